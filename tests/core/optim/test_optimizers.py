"""Optimizers by name, user optimizers and user constructors, through VisionBox's registries."""

from __future__ import annotations

import inspect
import uuid

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmengine.optim import build_optim_wrapper as mmengine_build_optim_wrapper
from mmengine.registry import DefaultScope
from torch import nn
from torch.utils.data import Dataset

from visionbox.core.engine import build_runner
from visionbox.core.optim import build_optim_wrapper
from visionbox.core.registry import DATASETS, MODELS, OPTIMIZER_BUILDERS, OPTIMIZERS

try:  # the task-scope cases run where visionbox-detection is installed (tox -e integration)
    from visionbox.detection import registry as det_registry
except ModuleNotFoundError:
    det_registry = None
needs_detection = pytest.mark.skipif(det_registry is None, reason="needs visionbox-detection")

TORCH_OPTIMIZERS = sorted(
    name
    for name, obj in vars(torch.optim).items()
    if inspect.isclass(obj)
    and issubclass(obj, torch.optim.Optimizer)
    and obj is not torch.optim.Optimizer
)


@OPTIMIZERS.register_module(force=True)
class MyOptimizer(torch.optim.SGD):
    """The optimizer of the customization guide: three hyper-parameters a, b and c."""

    def __init__(self, params, a: float, b: float, c: float) -> None:
        super().__init__(params, lr=a * 0.01)
        self.a, self.b, self.c = a, b, c


@OPTIMIZER_BUILDERS.register_module(force=True)
class FreezeBiasConstructor(DefaultOptimWrapperConstructor):
    """A user constructor: parameters whose name matches ``paramwise_cfg.frozen`` are left out."""

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        super().__init__(optim_wrapper_cfg)
        self.frozen = (paramwise_cfg or {}).get("frozen", "")

    def __call__(self, model: nn.Module) -> OptimWrapper:
        params = [p for n, p in model.named_parameters() if self.frozen not in n]
        optimizer = OPTIMIZERS.build(dict(self.optimizer_cfg, params=params))
        return OptimWrapper(optimizer)


class DetectionOnlyConstructor(FreezeBiasConstructor):
    """Registered in the detection scope only."""


if det_registry is not None:
    det_registry.OPTIM_WRAPPER_CONSTRUCTORS.register_module(force=True)(DetectionOnlyConstructor)


def _model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.LazyLinear(2))


@pytest.mark.parametrize("name", TORCH_OPTIMIZERS)
def test_every_torch_optimizer_by_name(name):
    # As in mmengine, torch's Adafactor is 'TorchAdafactor' ('Adafactor' is transformers').
    registered = "TorchAdafactor" if name == "Adafactor" else name
    assert OPTIMIZERS.get(registered) is getattr(torch.optim, name)
    if det_registry is not None:
        assert det_registry.OPTIMIZERS.get(registered) is getattr(torch.optim, name)
    model = nn.Linear(3, 2, bias=name != "Muon")  # Muon takes 2-D parameters only
    wrapper = build_optim_wrapper(model, dict(optimizer=dict(type=registered, lr=0.01)))
    assert type(wrapper.optimizer) is getattr(torch.optim, name)


def test_torch_optimizers_include_the_common_ones():
    assert {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "LBFGS"} <= set(TORCH_OPTIMIZERS)


def test_user_optimizer_from_config():
    cfg = dict(optimizer=dict(type="MyOptimizer", a=1, b=2, c=3))
    wrapper = build_optim_wrapper(nn.Linear(2, 2), cfg)
    optimizer = wrapper.optimizer
    assert isinstance(optimizer, MyOptimizer) and (optimizer.a, optimizer.b, optimizer.c) == (
        1,
        2,
        3,
    )
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.01)
    if det_registry is not None:  # also found from a task scope, through the parent registry
        wrapper = build_optim_wrapper(nn.Linear(2, 2), cfg, default_scope="detection")
        assert isinstance(wrapper.optimizer, MyOptimizer)


def test_misspelt_optimizer_and_keyword_fail_with_suggestions():
    with pytest.raises(KeyError, match="'MyOptimiser'.*Did you mean 'MyOptimizer'"):
        build_optim_wrapper(
            nn.Linear(2, 2), dict(optimizer=dict(type="MyOptimiser", a=1, b=2, c=3))
        )
    with pytest.raises(TypeError, match="'momentun'.*Did you mean 'momentum'"):
        build_optim_wrapper(nn.Linear(2, 2), dict(optimizer=dict(type="SGD", lr=0.1, momentun=0.9)))
    with pytest.raises(KeyError, match="Did you mean 'FreezeBiasConstructor'"):
        build_optim_wrapper(
            nn.Linear(2, 2),
            dict(constructor="FreezeBiasConstructr", optimizer=dict(type="SGD", lr=0.1)),
        )
    with pytest.raises(TypeError, match="'clip_grads'.*Did you mean 'clip_grad'"):
        build_optim_wrapper(
            nn.Linear(2, 2), dict(optimizer=dict(type="SGD", lr=0.1), clip_grads=None)
        )


def test_user_constructor_direct():
    cfg = dict(
        constructor="FreezeBiasConstructor",
        paramwise_cfg=dict(frozen="bias"),
        optimizer=dict(type="SGD", lr=0.1),
    )
    model = nn.Linear(3, 2)
    wrapper = build_optim_wrapper(model, cfg)
    params = wrapper.optimizer.param_groups[0]["params"]
    assert len(params) == 1 and params[0] is model.weight
    # mmengine's own builder finds it as soon as a VisionBox scope is active
    with DefaultScope.overwrite_default_scope("core"):
        wrapper = mmengine_build_optim_wrapper(model, cfg)
    assert len(wrapper.optimizer.param_groups[0]["params"]) == 1


@needs_detection
def test_task_scope_constructor_needs_that_scope():
    cfg = dict(
        constructor="DetectionOnlyConstructor",
        paramwise_cfg=dict(frozen="weight"),
        optimizer=dict(type="SGD", lr=0.1),
    )
    model = nn.Linear(3, 2)
    wrapper = build_optim_wrapper(model, cfg, default_scope="detection")
    assert wrapper.optimizer.param_groups[0]["params"][0] is model.bias
    with pytest.raises(KeyError, match="DetectionOnlyConstructor"):
        build_optim_wrapper(model, cfg, default_scope="core")


@MODELS.register_module(force=True)
class OptimToyModel(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 1)

    def forward(self, inputs, targets=None, mode: str = "tensor"):
        out = self.linear(torch.stack(inputs))
        if mode == "loss":
            return dict(loss=((out - torch.stack(targets)) ** 2).mean())
        return out


@DATASETS.register_module(force=True)
class OptimToyDataset(Dataset):
    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> dict:
        x = torch.full((3,), float(index))
        return dict(inputs=x, targets=x.sum(0, keepdim=True))


@pytest.mark.parametrize("scope", ["core", pytest.param("detection", marks=needs_detection)])
def test_user_constructor_via_runner(tmp_path, scope):
    """A Runner in the core or a task scope builds the user's constructor and optimizer."""
    constructor = "DetectionOnlyConstructor" if scope == "detection" else "FreezeBiasConstructor"
    cfg = dict(
        model=dict(type="OptimToyModel"),
        work_dir=str(tmp_path),
        experiment_name=f"optim_{uuid.uuid4().hex[:10]}",
        default_scope=scope,
        train_dataloader=dict(
            batch_size=4,
            dataset=dict(type="OptimToyDataset"),
            sampler=dict(type="DefaultSampler", shuffle=False),
        ),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(
            constructor=constructor,
            paramwise_cfg=dict(frozen="bias"),
            optimizer=dict(type="MyOptimizer", a=0.1, b=0, c=0),
        ),
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1)),
        log_level="WARNING",
    )
    runner = build_runner(cfg)
    bias, weight = (
        runner.model.linear.bias.detach().clone(),
        runner.model.linear.weight.detach().clone(),
    )
    runner.train()
    assert isinstance(runner.optim_wrapper.optimizer, MyOptimizer)
    assert torch.equal(runner.model.linear.bias, bias)  # left out by the constructor
    assert not torch.equal(runner.model.linear.weight, weight)
