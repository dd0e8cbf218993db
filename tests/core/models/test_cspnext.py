"""CSPNeXt, CSPNeXtPAFPN, the CSP layer with channel attention, QualityFocalLoss against its
formula, ExpMomentumEMA in core and PipelineSwitchHook."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from visionbox.core.models.layers import ChannelAttention, CSPLayer
from visionbox.core.registry import HOOKS, MODELS
from visionbox.core.testing import assert_all_params_have_grad

TINY = dict(type="CSPNeXt", deepen_factor=0.167, widen_factor=0.125)


def _num_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_cspnext_shapes_keys_and_gradients():
    backbone = MODELS.build(dict(TINY, out_indices=(1, 2, 3, 4)))
    assert backbone.out_channels == [16, 32, 64, 128]
    outs = backbone(torch.rand(2, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [
        (2, 16, 16, 16),
        (2, 32, 8, 8),
        (2, 64, 4, 4),
        (2, 128, 2, 2),
    ]
    keys = backbone.state_dict().keys()
    # mmdet's layout: three stem convs, the SPP block in the last stage, attention per CSP layer
    assert "stem.2.conv.weight" in keys
    assert "stage4.1.conv1.conv.weight" in keys
    assert "stage4.2.attention.fc.weight" in keys
    assert "stage1.1.blocks.0.conv2.depthwise_conv.conv.weight" in keys
    sum(o.sum() for o in outs).backward()
    assert_all_params_have_grad(backbone)


def test_cspnext_p6_and_arch_checks():
    backbone = MODELS.build(dict(TINY, arch="P6", out_indices=(2, 3, 4, 5)))
    assert backbone.out_channels == [32, 64, 96, 128]
    assert len(backbone.eval()(torch.rand(1, 3, 64, 64))) == 4
    with pytest.raises(KeyError, match="valid: P5, P6"):
        MODELS.build(dict(TINY, arch="P7"))
    with pytest.raises(ValueError, match="out_indices"):
        MODELS.build(dict(TINY, out_indices=(5,)))


def test_cspnext_frozen_stages_and_norm_eval():
    backbone = MODELS.build(dict(TINY, frozen_stages=1, norm_eval=True))
    backbone.train()
    assert not any(p.requires_grad for p in backbone.stem.parameters())
    assert not any(p.requires_grad for p in backbone.stage1.parameters())
    assert all(p.requires_grad for p in backbone.stage2.parameters())
    assert not backbone.stage3[0].bn.training


def test_rtmdet_tiny_backbone_and_neck_parameter_counts():
    """mmdetection 3.3 (rtmdet_tiny): CSPNeXt 2,348,700 and CSPNeXtPAFPN 2,188,944 parameters."""
    backbone = MODELS.build(dict(type="CSPNeXt", deepen_factor=0.167, widen_factor=0.375))
    neck = MODELS.build(
        dict(type="CSPNeXtPAFPN", in_channels=[96, 192, 384], out_channels=96, num_csp_blocks=1)
    )
    assert _num_params(backbone) == 2_348_700
    assert _num_params(neck) == 2_188_944


def test_cspnext_pafpn_shapes_and_channel_check():
    neck = MODELS.build(
        dict(type="CSPNeXtPAFPN", in_channels=[8, 16, 32], out_channels=8, num_csp_blocks=1)
    )
    feats = (torch.rand(1, 8, 16, 16), torch.rand(1, 16, 8, 8), torch.rand(1, 32, 4, 4))
    outs = neck(feats)
    assert [tuple(o.shape) for o in outs] == [(1, 8, 16, 16), (1, 8, 8, 8), (1, 8, 4, 4)]
    assert "out_convs.0.conv.weight" in neck.state_dict()
    assert neck.out_convs[0].conv.kernel_size == (3, 3)
    with pytest.raises(ValueError, match="expects 3 maps"):
        neck(feats[:2])


def test_channel_attention_scales_channels_by_hardsigmoid():
    att = ChannelAttention(4)
    x = torch.rand(2, 4, 5, 5)
    expected = x * F.hardsigmoid(att.fc(x.mean((2, 3), keepdim=True)))
    torch.testing.assert_close(att(x), expected)
    layer = CSPLayer(8, 8, use_cspnext_block=True, channel_attention=True)
    assert isinstance(layer.attention, ChannelAttention)
    assert not hasattr(CSPLayer(8, 8), "attention")


def test_quality_focal_loss_against_its_formula():
    torch.manual_seed(0)
    pred = torch.randn(5, 3, requires_grad=True)
    labels = torch.tensor([0, 3, 2, 3, 1])  # 3 = background
    scores = torch.tensor([0.8, 0.0, 0.3, 0.0, 0.55])
    loss_fn = MODELS.build(dict(type="QualityFocalLoss", beta=2.0, loss_weight=1.0))
    loss = loss_fn(pred, (labels, scores), reduction_override="sum")
    p = pred.detach().sigmoid()
    expected = 0.0
    for i in range(5):
        for c in range(3):
            if labels[i] == c:
                t = scores[i]
                bce = -(t * p[i, c].log() + (1 - t) * (1 - p[i, c]).log())
                expected += bce * (t - p[i, c]).abs() ** 2
            else:
                expected += -(1 - p[i, c]).log() * p[i, c] ** 2
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)
    loss.backward()
    assert pred.grad.abs().sum() > 0
    soft = torch.zeros(5, 3)
    soft[0, 0], soft[2, 2], soft[4, 1] = 0.8, 0.3, 0.55
    torch.testing.assert_close(loss_fn(pred, soft, reduction_override="sum"), loss)


def test_exp_momentum_ema_is_in_core_and_found_from_detection():
    from visionbox.core.models.layers import ExpMomentumEMA

    net = torch.nn.Linear(1, 1)
    ema = MODELS.build(dict(type="ExpMomentumEMA", model=net))
    assert isinstance(ema, ExpMomentumEMA)
    pytest.importorskip("visionbox.detection")
    from visionbox.detection.models.layers import ExpMomentumEMA as Reexported
    from visionbox.detection.registry import MODELS as DET_MODELS

    assert Reexported is ExpMomentumEMA
    assert DET_MODELS.get("detection.ExpMomentumEMA") is ExpMomentumEMA


class _Data(torch.utils.data.Dataset):
    def __init__(self) -> None:
        self.pipeline = None

    def __len__(self) -> int:
        return 1


def test_pipeline_switch_hook_switches_once_at_its_epoch():
    hook = HOOKS.build(
        dict(
            type="PipelineSwitchHook",
            switch_epoch=2,
            switch_pipeline=[dict(type="RandomFlip", prob=0.5)],
        )
    )
    dataset = _Data()
    loader = SimpleNamespace(dataset=SimpleNamespace(dataset=dataset), persistent_workers=False)
    runner = SimpleNamespace(epoch=1, train_dataloader=loader, logger=SimpleNamespace(info=print))
    hook.before_train_epoch(runner)
    assert dataset.pipeline is None
    runner.epoch = 2
    hook.before_train_epoch(runner)
    assert [type(t).__name__ for t in dataset.pipeline.transforms] == ["RandomFlip"]
    first = dataset.pipeline
    runner.epoch = 3
    hook.before_train_epoch(runner)
    assert dataset.pipeline is first
    with pytest.raises(ValueError, match="switch_epoch"):
        HOOKS.build(dict(type="PipelineSwitchHook", switch_epoch=-1, switch_pipeline=[]))
