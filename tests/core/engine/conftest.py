"""A tiny regression model, a randomly augmented toy dataset and a metric for the engine tests.

They are registered in core's registries under names no VisionBox package uses.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import torch
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from torch import nn
from torch.utils.data import Dataset

from visionbox.core.registry import DATASETS, HOOKS, METRICS, MODELS


class Interrupted(RuntimeError):
    """Raised by ``EngineInterruptHook`` to simulate a crash."""


@HOOKS.register_module(force=True)
class EngineInterruptHook(Hook):
    """Stop training with :class:`Interrupted` after epoch ``after_epoch`` has been saved."""

    priority = "LOWEST"  # after CheckpointHook (VERY_LOW)

    def __init__(self, after_epoch: int = 1) -> None:
        self.after_epoch = after_epoch

    def after_train_epoch(self, runner) -> None:
        if runner.epoch + 1 == self.after_epoch:
            raise Interrupted(f"interrupted after epoch {self.after_epoch}")


@MODELS.register_module(force=True)
class EngineToyRegressor(BaseModel):
    """Linear -> ReLU -> Dropout -> Linear on 4 features; MSE loss."""

    def __init__(self, hidden: int = 8) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(hidden, 1)

    def forward(self, inputs, targets=None, mode: str = "tensor"):
        x = torch.stack(inputs)
        out = self.head(self.backbone(x)).squeeze(1)
        if mode == "loss":
            return dict(loss=((out - torch.stack(targets).squeeze(1)) ** 2).mean())
        if mode == "predict":
            return [dict(pred=o, target=t) for o, t in zip(out.detach(), targets)]
        return out


@DATASETS.register_module(force=True)
class EngineToyDataset(Dataset):
    """``length`` samples of y = w.x + 1 whose features get random noise and sign flips."""

    metainfo = dict(classes=("value",))

    def __init__(self, length: int = 16) -> None:
        generator = torch.Generator().manual_seed(1)
        self.x = torch.randn(length, 4, generator=generator)
        self.y = self.x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 1.0

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> dict:
        # Random augmentation from the global NumPy and torch generators.
        noise = torch.randn(4) * 0.05
        sign = -1.0 if np.random.rand() < 0.3 else 1.0
        return dict(inputs=self.x[index] * sign + noise, targets=self.y[index].reshape(1) * sign)


@METRICS.register_module(force=True)
class EngineToyMSE(BaseMetric):
    """Mean squared error of the toy regressor's predictions."""

    def process(self, data_batch, data_samples) -> None:
        for sample in data_samples:
            self.results.append(float((sample["pred"] - sample["target"].squeeze()) ** 2))

    def compute_metrics(self, results: list) -> dict:
        return dict(mse=float(np.mean(results)))


def toy_config(work_dir: str, max_epochs: int = 2, **overrides) -> dict:
    """A complete runner config for the toy model (unique experiment name)."""
    loader = dict(
        batch_size=4,
        num_workers=0,
        dataset=dict(type="EngineToyDataset"),
        sampler=dict(type="DefaultSampler", shuffle=True),
    )
    cfg = dict(
        model=dict(type="EngineToyRegressor"),
        work_dir=str(work_dir),
        experiment_name=f"toy_{uuid.uuid4().hex[:12]}",
        train_dataloader=loader,
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.05, momentum=0.9, weight_decay=1e-4)),
        param_scheduler=[dict(type="MultiStepLR", milestones=[1], gamma=0.5, by_epoch=True)],
        test_dataloader=dict(loader, sampler=dict(type="DefaultSampler", shuffle=False)),
        test_cfg=dict(),
        test_evaluator=dict(type="EngineToyMSE"),
        default_hooks=dict(
            logger=dict(type="LoggerHook", interval=100),
            checkpoint=dict(type="CheckpointHook", interval=1),
        ),
        randomness=dict(seed=7),
        log_level="WARNING",
    )
    cfg.update(overrides)
    return cfg


@pytest.fixture(autouse=True)
def _restore_default_scope():
    """Runners create mmengine DefaultScope instances; drop them so later tests see none."""
    saved = DefaultScope._instance_dict.copy()
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


@pytest.fixture
def make_toy_config():
    return toy_config


@pytest.fixture
def interrupted_error():
    return Interrupted
