"""OpenMMLab 2.x keys converted to their mmengine form, one warning each."""

from __future__ import annotations

import textwrap
import warnings

import pytest
import torch

from visionbox.core.config import Config, LegacyConfigWarning, convert_legacy_keys
from visionbox.core.registry import PARAM_SCHEDULERS

LEGACY_DETECTION = """
optimizer = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001,
                 paramwise_cfg=dict(norm_decay_mult=0.0))
optimizer_config = dict(grad_clip=dict(max_norm=35, norm_type=2))
lr_config = dict(policy='step', warmup='linear', warmup_iters=500, warmup_ratio=0.001, step=[8, 11])
runner = dict(type='EpochBasedRunner', max_epochs=12)
checkpoint_config = dict(interval=1, max_keep_ckpts=3)
log_config = dict(interval=50,
                  hooks=[dict(type='TextLoggerHook'), dict(type='TensorboardLoggerHook')])
evaluation = dict(interval=2, metric='bbox', save_best='auto')
dist_params = dict(backend='nccl')
resume_from = 'work_dirs/latest.pth'
"""


def legacy_warnings(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, LegacyConfigWarning)]


def test_legacy_file_converted_with_one_warning_per_key(tmp_path):
    path = tmp_path / "legacy.py"
    path.write_text(textwrap.dedent(LEGACY_DETECTION))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        cfg = Config.fromfile(path)
    messages = legacy_warnings(record)
    old_keys = ["optimizer", "optimizer_config", "lr_config", "runner", "checkpoint_config"]
    old_keys += ["log_config", "evaluation", "dist_params", "resume_from"]
    assert len(messages) == len(old_keys)
    for key in old_keys:
        assert sum(f"'{key}'" in m for m in messages) == 1, key
        assert key not in cfg
    assert (
        "'optim_wrapper.optimizer'" in messages[["'optimizer'" in m for m in messages].index(True)]
    )

    assert cfg.optim_wrapper == dict(
        type="OptimWrapper",
        paramwise_cfg=dict(norm_decay_mult=0.0),
        optimizer=dict(type="SGD", lr=0.02, momentum=0.9, weight_decay=0.0001),
        clip_grad=dict(max_norm=35, norm_type=2),
    )
    assert cfg.train_cfg == dict(type="EpochBasedTrainLoop", max_epochs=12, val_interval=2)
    assert cfg.param_scheduler == [
        dict(type="LinearLR", start_factor=0.001, begin=0, end=501, by_epoch=False),
        dict(type="MultiStepLR", milestones=[8, 11], gamma=0.1, begin=0, by_epoch=True, end=12),
    ]
    assert cfg.default_hooks.checkpoint == dict(
        type="CheckpointHook", interval=1, max_keep_ckpts=3, save_best="auto"
    )
    assert cfg.default_hooks.logger == dict(type="LoggerHook", interval=50)
    backends = [b["type"] for b in cfg.visualizer.vis_backends]
    assert backends == ["LocalVisBackend", "TensorboardVisBackend"]
    assert cfg.env_cfg.dist_cfg == dict(backend="nccl")
    assert cfg.load_from == "work_dirs/latest.pth" and cfg.resume is True
    # The converted config is valid mmengine form.
    cfg.validate()


def test_iter_runner_poly_and_fp16():
    cfg = dict(
        optimizer=dict(type="SGD", lr=0.01),
        optimizer_config=dict(type="GradientCumulativeOptimizerHook", cumulative_iters=4),
        fp16=dict(loss_scale=512.0),
        runner=dict(type="IterBasedRunner", max_iters=80000),
        lr_config=dict(policy="poly", power=0.9, min_lr=1e-4, by_epoch=False),
    )
    with pytest.warns(LegacyConfigWarning) as record:
        convert_legacy_keys(cfg)
    assert len(record) == 5
    assert cfg["train_cfg"] == dict(type="IterBasedTrainLoop", max_iters=80000, val_interval=1)
    assert cfg["optim_wrapper"] == dict(
        type="AmpOptimWrapper",
        optimizer=dict(type="SGD", lr=0.01),
        accumulative_counts=4,
        loss_scale=512.0,
    )
    assert cfg["param_scheduler"] == [
        dict(type="PolyLR", power=0.9, eta_min=1e-4, begin=0, by_epoch=False, end=80000)
    ]


def test_total_epochs_and_cosine():
    cfg = dict(
        total_epochs=24,
        lr_config=dict(
            policy="CosineAnnealing",
            min_lr_ratio=1e-3,
            warmup="constant",
            warmup_iters=3,
            warmup_ratio=0.1,
            warmup_by_epoch=True,
        ),
    )
    with pytest.warns(LegacyConfigWarning) as record:
        convert_legacy_keys(cfg)
    assert [str(w.message).split("'")[1] for w in record] == ["total_epochs", "lr_config"]
    assert cfg["train_cfg"] == dict(type="EpochBasedTrainLoop", max_epochs=24, val_interval=1)
    assert cfg["param_scheduler"] == [
        dict(type="ConstantLR", factor=0.1, begin=0, end=4, by_epoch=True),
        dict(
            type="CosineAnnealingLR", T_max=24, eta_min_ratio=1e-3, begin=0, by_epoch=True, end=24
        ),
    ]


def mmcv_warmup_factor(kind: str, it: int, length: int, ratio: float) -> float:
    """The warmup factor of mmcv 1.x's LrUpdaterHook.get_warmup_lr."""
    if it >= length:
        return 1.0
    if kind == "linear":
        return 1 - (1 - it / length) * (1 - ratio)
    if kind == "constant":
        return ratio
    return ratio ** (1 - it / length)


@pytest.mark.parametrize("kind", ["linear", "constant", "exp"])
def test_converted_warmup_equals_mmcv_warmup(kind):
    length, ratio = 6, 0.01
    cfg = dict(lr_config=dict(policy="fixed", warmup=kind, warmup_iters=length, warmup_ratio=ratio))
    with pytest.warns(LegacyConfigWarning):
        convert_legacy_keys(cfg)
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=1.0)
    schedulers = [
        PARAM_SCHEDULERS.build(s, default_args=dict(optimizer=optimizer))
        for s in cfg["param_scheduler"]
    ]
    for it in range(length + 3):
        lr = optimizer.param_groups[0]["lr"]
        assert lr == pytest.approx(mmcv_warmup_factor(kind, it, length, ratio), rel=1e-6), it
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()


@pytest.mark.filterwarnings("ignore::visionbox.core.config.LegacyConfigWarning")
def test_new_keys_win_and_bad_legacy_keys_fail_clearly():
    with pytest.raises(ValueError, match="both the legacy key 'optimizer' and 'optim_wrapper'"):
        convert_legacy_keys(dict(optimizer=dict(type="SGD"), optim_wrapper=dict(optimizer={})))
    with pytest.raises(ValueError, match="convertible policies"):
        convert_legacy_keys(dict(runner=dict(max_epochs=2), lr_config=dict(policy="inv")))
    with pytest.raises(ValueError, match="needs the training length"):
        convert_legacy_keys(dict(lr_config=dict(policy="CosineAnnealing")))
    with pytest.warns(LegacyConfigWarning):
        cfg = convert_legacy_keys(dict(runner=dict(max_epochs=3), train_cfg=dict(max_epochs=5)))
    assert cfg["train_cfg"] == dict(max_epochs=5)


def test_mmengine_config_is_left_alone():
    cfg = dict(optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)), train_cfg=dict(max_epochs=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert convert_legacy_keys(dict(cfg)) == cfg


def test_optimizer_variable_used_by_optim_wrapper_is_not_legacy(recwarn):
    optimizer = dict(type="SGD", lr=0.01, momentum=0.9)
    cfg = Config(
        dict(optimizer=optimizer, optim_wrapper=dict(type="OptimWrapper", optimizer=optimizer))
    )
    assert cfg.optim_wrapper.optimizer.lr == 0.01
    assert not [w for w in recwarn if issubclass(w.category, LegacyConfigWarning)]
    cfg.validate()


def test_top_level_norm_cfg_variable_validates():
    Config(dict(norm_cfg=dict(type="SyncBN", requires_grad=True))).validate()
