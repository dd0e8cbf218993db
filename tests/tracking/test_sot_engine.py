"""SiamRPNExpLR and SiamRPNBackboneUnfreezeHook: found from configs, mmtracking's schedule and
the unfreezing that survives mmengine's ``model.train()``."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from mmengine.registry import init_default_scope
from torch import nn

from visionbox.tracking.registry import HOOKS, MODELS, PARAM_SCHEDULERS


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope("tracking")


def test_siamrpn_exp_lr_follows_mmtrackings_schedule():
    """mmtracking's SiamRPN++ schedule: 5 epochs from 0.2 x lr towards lr (endpoint=False),
    then down by 0.1 at epoch 19 (endpoint=True)."""
    param = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.005)
    schedulers = [
        PARAM_SCHEDULERS.build(
            dict(
                type="SiamRPNExpLR",
                optimizer=optimizer,
                start_factor=0.2,
                end_factor=1.0,
                by_epoch=True,
                begin=0,
                end=5,
                endpoint=False,
            )
        ),
        PARAM_SCHEDULERS.build(
            dict(
                type="SiamRPNExpLR",
                optimizer=optimizer,
                start_factor=1.0,
                end_factor=0.1,
                by_epoch=True,
                begin=5,
                end=20,
                endpoint=True,
            )
        ),
    ]
    lrs = []
    for _ in range(20):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
    # chained as in mmtracking 1.x: the warm-up stops one step short of lr (endpoint=False),
    # and the decay multiplies what it finds by 0.1 over its 15 epochs (endpoint=True)
    warm_end = 0.001 * 5 ** (4 / 5)
    expected = [0.001 * 5 ** (e / 5) for e in range(5)] + [
        warm_end * 0.1 ** ((e - 5) / 14) for e in range(5, 20)
    ]
    assert lrs == pytest.approx(expected, rel=1e-9)
    assert lrs[19] == pytest.approx(0.1 * lrs[5])
    from visionbox.tracking.engine import SiamRPNExpLR

    per_iter = SiamRPNExpLR.build_iter_from_epoch(
        torch.optim.SGD([param], lr=0.005), start_factor=0.2, end=5, endpoint=False, epoch_length=10
    )
    assert (per_iter.begin, per_iter.end, per_iter.total_iters, per_iter.by_epoch) == (
        0,
        50,
        50,
        False,
    )
    with pytest.raises(ValueError, match="finite"):
        PARAM_SCHEDULERS.build(dict(type="SiamRPNExpLR", optimizer=optimizer))
    with pytest.raises(TypeError, match="Did you mean 'end_factor'"):
        PARAM_SCHEDULERS.build(
            dict(type="SiamRPNExpLR", optimizer=optimizer, end=5, end_facter=1.0)
        )


def _tiny_model() -> nn.Module:
    model = nn.Module()
    model.backbone = MODELS.build(
        dict(
            type="SOTResNet",
            depth=18,
            base_channels=8,
            out_indices=(1, 2, 3),
            strides=(1, 2, 1, 1),
            dilations=(1, 1, 2, 4),
            frozen_stages=4,
            norm_eval=True,
        )
    )
    return model


def _trainable(stage: nn.Module) -> bool:
    return all(p.requires_grad for p in stage.parameters())


def _bn_training(stage: nn.Module) -> bool:
    return all(m.training for m in stage.modules() if isinstance(m, nn.BatchNorm2d))


def test_backbone_unfreeze_hook_survives_model_train():
    model = _tiny_model()
    hook = HOOKS.build(
        dict(
            type="SiamRPNBackboneUnfreezeHook",
            backbone_start_train_epoch=2,
            backbone_train_layers=["layer2", "layer3", "layer4"],
        )
    )
    runner = SimpleNamespace(model=model, epoch=0)
    hook.before_train(runner)
    for epoch in range(4):
        runner.epoch = epoch
        # mmengine's EpochBasedTrainLoop: before_train_epoch, model.train(), before_train_iter
        hook.before_train_epoch(runner)
        model.train()
        hook.before_train_iter(runner, 0, None)
        backbone = model.backbone
        unfrozen = epoch >= 2
        for name in ("layer2", "layer3", "layer4"):
            stage = getattr(backbone, name)
            assert _trainable(stage) == unfrozen and _bn_training(stage) == unfrozen, (epoch, name)
        assert not _trainable(backbone.layer1) and not _bn_training(backbone.layer1)
        assert not backbone.conv1.weight.requires_grad
    bad = HOOKS.build(dict(type="SiamRPNBackboneUnfreezeHook", backbone_train_layers=["layr2"]))
    with pytest.raises(KeyError, match="Did you mean 'layer2'"):
        bad.before_train(runner)


def test_lasot_config_uses_the_schedule_and_the_hook():
    from visionbox.core.config import Config, validate_config

    path = (
        Path(__file__).resolve().parents[2]
        / "packages/tracking/src/visionbox/tracking/configs/siamese_rpn"
        / "siamese-rpn_r50_8xb16-20e_imagenetvid-imagenetdet-coco_test-lasot.py"
    )
    cfg = Config.fromfile(str(path))
    validate_config(cfg)
    assert [s["type"] for s in cfg.param_scheduler] == ["SiamRPNExpLR", "SiamRPNExpLR"]
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.005)
    for sched in cfg.param_scheduler:
        PARAM_SCHEDULERS.build(dict(sched, optimizer=optimizer))
    (hook,) = cfg.custom_hooks
    built = HOOKS.build(hook)
    assert built.backbone_start_train_epoch == 10
    assert built.backbone_train_layers == ["layer2", "layer3", "layer4"]
    assert cfg.model.backbone.frozen_stages == 4
