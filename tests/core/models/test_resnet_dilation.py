"""Dilated ResNets: mmseg's ``contract_dilation`` and ``multi_grid`` in core's ResNet family."""

from __future__ import annotations

import pytest
import torch
import torchvision

from visionbox.core.models.backbones.res_blocks import block_dilations
from visionbox.core.registry import MODELS
from visionbox.core.testing import tiny_images

# Output stride 8: stages 3 and 4 keep the resolution and dilate instead.
D8 = dict(strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4))


def _dilations(layer: torch.nn.Module) -> list[int]:
    """The dilation of each block's 3x3 conv (``conv2`` of a Bottleneck, ``conv1`` of a
    BasicBlock), checked against its padding (a 3x3 conv keeps the size when both agree)."""
    out = []
    for block in layer:
        conv = block.conv2 if hasattr(block, "conv3") else block.conv1
        assert conv.padding == conv.dilation, (conv.padding, conv.dilation)
        out.append(conv.dilation[0])
    return out


def test_defaults_keep_mmdet_behaviour():
    net = MODELS.build(dict(type="ResNet", depth=50, **D8))
    assert net.contract_dilation is False and net.multi_grid is None
    assert _dilations(net.layer3) == [2] * 6
    assert _dilations(net.layer4) == [4] * 3
    plain = MODELS.build(dict(type="ResNet", depth=50))
    assert _dilations(plain.layer4) == [1] * 3
    assert net.state_dict().keys() == plain.state_dict().keys()


@pytest.mark.parametrize("variant", ["ResNet", "ResNetV1c", "ResNetV1d"])
def test_contract_dilation_halves_the_first_block_of_each_dilated_stage(variant):
    net = MODELS.build(dict(type=variant, depth=50, contract_dilation=True, **D8))
    assert _dilations(net.layer1) == [1] * 3
    assert _dilations(net.layer2) == [1] * 4
    assert _dilations(net.layer3) == [1] + [2] * 5
    assert _dilations(net.layer4) == [2, 4, 4]
    outs = net(tiny_images(1, 3, 64))
    assert [tuple(o.shape[-2:]) for o in outs] == [(16, 16), (8, 8), (8, 8), (8, 8)]


def test_contract_dilation_on_basic_blocks():
    net = MODELS.build(
        dict(type="ResNetV1c", depth=18, base_channels=8, contract_dilation=True, **D8)
    )
    assert _dilations(net.layer3) == [1, 2]
    assert _dilations(net.layer4) == [2, 4]
    # The second 3x3 conv of a BasicBlock is never dilated (as in mmseg and torchvision).
    assert all(block.conv2.dilation == (1, 1) for block in net.layer4)


def test_multi_grid_sets_the_last_stage_only_and_overrides_contraction():
    net = MODELS.build(
        dict(type="ResNetV1c", depth=50, contract_dilation=True, multi_grid=(1, 2, 4), **D8)
    )
    assert net.multi_grid == (1, 2, 4)
    assert _dilations(net.layer3) == [1] + [2] * 5
    assert _dilations(net.layer4) == [1, 2, 4]
    # With fewer stages the multi-grid stage is the last one built.
    three = MODELS.build(
        dict(
            type="ResNet",
            depth=18,
            base_channels=8,
            num_stages=3,
            out_indices=(2,),
            multi_grid=(3, 5),
            **D8,
        )
    )
    assert _dilations(three.layer3) == [3, 5]
    assert _dilations(three.layer2) == [1, 1]


@pytest.mark.parametrize("grid", [(1, 2), (1, 2, 4, 8), (0, 1, 2)])
def test_multi_grid_needs_one_positive_dilation_per_block(grid):
    with pytest.raises(ValueError, match=r"multi_grid .*\(3 blocks\)"):
        MODELS.build(dict(type="ResNet", depth=50, multi_grid=grid, **D8))


def test_misspelt_dilation_argument_suggests_the_right_one():
    with pytest.raises(TypeError, match="contract_dilation"):
        MODELS.build(dict(type="ResNetV1c", depth=18, contract_dilaton=True))


def test_block_dilations_rule():
    assert block_dilations(3, 1, contract_dilation=True) == [1, 1, 1]
    assert block_dilations(3, 4, contract_dilation=True) == [2, 4, 4]
    assert block_dilations(3, 4) == [4, 4, 4]
    assert block_dilations(2, 4, multi_grid=(1, 3), contract_dilation=True) == [1, 3]


def test_contracted_resnet50_equals_torchvision_dilated_resnet50():
    """torchvision's ``replace_stride_with_dilation`` (the trunk of its FCN / DeepLabV3) gives
    the first block of each dilated stage the previous stage's dilation: contract_dilation."""
    torch.manual_seed(0)
    reference = torchvision.models.resnet50(replace_stride_with_dilation=[False, True, True])
    reference.eval()
    ours = MODELS.build(dict(type="ResNet", depth=50, contract_dilation=True, **D8)).eval()
    state = {k: v for k, v in reference.state_dict().items() if not k.startswith("fc.")}
    ours.load_state_dict(state, strict=True)
    x = tiny_images(1, 3, 48)
    with torch.no_grad():
        outs = ours(x)
        y = reference.maxpool(reference.relu(reference.bn1(reference.conv1(x))))
        for layer, out in zip(
            (reference.layer1, reference.layer2, reference.layer3, reference.layer4), outs
        ):
            y = layer(y)
            torch.testing.assert_close(out, y)
    assert outs[-1].shape == (1, 2048, 6, 6)
