"""Necks: output shapes, extra levels, and the channel check against a backbone."""

from __future__ import annotations

import pytest
import torch

from visionbox.core.models import FPN, PAFPN, ChannelMapper, check_channels
from visionbox.core.registry import MODELS
from visionbox.core.testing import tiny_backbone_cfg, tiny_images, tiny_neck_cfg


def _feats(channels=(8, 16, 32, 64), size=32):
    return tuple(tiny_images(1, c, size // 2**i, seed=i) for i, c in enumerate(channels))


@pytest.mark.parametrize("extra", [False, "on_input", "on_lateral", "on_output", True])
def test_fpn_levels_and_extra_convs(extra):
    neck = FPN([8, 16, 32, 64], 16, num_outs=5, add_extra_convs=extra)
    outs = neck(_feats())
    assert [tuple(o.shape[1:]) for o in outs] == [(16, 32 // 2**i, 32 // 2**i) for i in range(5)]
    assert len(neck.fpn_convs) == (4 if extra is False else 5)
    if extra in ("on_input", True):
        assert neck.fpn_convs[4].conv.in_channels == 64


def test_fpn_start_level_and_keys():
    neck = FPN([8, 16, 32, 64], 16, num_outs=4, start_level=1, add_extra_convs="on_input")
    assert len(neck.lateral_convs) == 3
    assert "lateral_convs.0.conv.weight" in neck.state_dict()
    assert "fpn_convs.3.conv.weight" in neck.state_dict()
    assert len(neck(_feats())) == 4


def test_fpn_top_down_sums_upsampled_coarse_levels():
    neck = FPN([2, 2], 2, num_outs=2)
    with torch.no_grad():
        for conv in neck.lateral_convs:
            conv.conv.weight.copy_(torch.eye(2).view(2, 2, 1, 1))
            conv.conv.bias.zero_()
        for conv in neck.fpn_convs:
            conv.conv.weight.zero_()
            conv.conv.weight[:, :, 1, 1] = torch.eye(2)
            conv.conv.bias.zero_()
    fine, coarse = torch.rand(1, 2, 4, 4), torch.rand(1, 2, 2, 2)
    outs = neck((fine, coarse))
    up = coarse.repeat_interleave(2, 2).repeat_interleave(2, 3)
    assert torch.allclose(outs[0], fine + up, atol=1e-6)
    assert torch.allclose(outs[1], coarse, atol=1e-6)


def test_fpn_bad_extra_convs_names_choices():
    with pytest.raises(ValueError, match="on_input"):
        FPN([8, 16], 8, num_outs=3, add_extra_convs="on_top")


def test_pafpn_and_channel_mapper_shapes_and_keys():
    pafpn = PAFPN([8, 16, 32, 64], 16, num_outs=5)
    assert [o.shape[1] for o in pafpn(_feats())] == [16] * 5
    assert {"downsample_convs.2.conv.weight", "pafpn_convs.2.conv.weight"} <= set(
        pafpn.state_dict()
    )
    mapper = ChannelMapper([8, 16, 32, 64], 16, num_outs=5)
    outs = mapper(_feats())
    assert [tuple(o.shape[1:]) for o in outs][-1] == (16, 2, 2)
    assert "extra_convs.0.conv.weight" in mapper.state_dict()


def test_mismatched_neck_fails_with_both_lists():
    backbone = MODELS.build(tiny_backbone_cfg())
    check_channels(backbone, MODELS.build(tiny_neck_cfg()))
    neck = MODELS.build(
        dict(type="FPN", in_channels=[256, 512, 1024, 2048], out_channels=16, num_outs=5)
    )
    with pytest.raises(ValueError) as err:
        check_channels(backbone, neck)
    assert "[256, 512, 1024, 2048]" in str(err.value) and "[8, 16, 32, 64]" in str(err.value)
