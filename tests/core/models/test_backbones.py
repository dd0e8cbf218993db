"""Backbones: reference parity with torchvision, OpenMMLab keys, bad input, freezing."""

from __future__ import annotations

import pytest
import torch
import torchvision
from mmengine.registry import DefaultScope

from visionbox.core.models import HRNet, ResNet
from visionbox.core.registry import MODELS
from visionbox.core.testing import tiny_images


def _num_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _torchvision_trunk_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for n, p in model.named_parameters() if not n.startswith("fc."))


def test_resnet50_has_exactly_torchvision_params_minus_fc():
    ours = MODELS.build(dict(type="ResNet", depth=50, out_indices=(0, 1, 2, 3)))
    assert _num_params(ours) == 23_508_032
    assert _torchvision_trunk_params(torchvision.models.resnet50()) == 23_508_032


def test_resnet18_has_exactly_torchvision_params_minus_fc():
    ours = MODELS.build(dict(type="ResNet", depth=18))
    assert _num_params(ours) == _torchvision_trunk_params(torchvision.models.resnet18())
    assert ours.out_channels == [64, 128, 256, 512]


@pytest.mark.parametrize(
    ("arch", "tv_name"),
    [("resnet18", "resnet18-f37072fd.pth"), ("resnet50", "resnet50-0676ba61.pth")],
)
def test_torchvision_weights_through_torchvision_scheme(tmp_path, monkeypatch, arch, tv_name):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    reference = getattr(torchvision.models, arch)().eval()
    checkpoints = tmp_path / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.save(reference.state_dict(), checkpoints / tv_name)

    depth = int(arch.removeprefix("resnet"))
    ours = MODELS.build(
        dict(
            type="ResNet",
            depth=depth,
            init_cfg=dict(type="Pretrained", checkpoint=f"torchvision://{arch}"),
        )
    )
    with DefaultScope.overwrite_default_scope("core"):  # VisionBox's Pretrained: cache only
        ours.init_weights()
    ours.eval()
    x = tiny_images(1, 3, 64)
    with torch.no_grad():
        outs = ours(x)
        y = reference.maxpool(reference.relu(reference.bn1(reference.conv1(x))))
        expected = []
        for layer in (reference.layer1, reference.layer2, reference.layer3, reference.layer4):
            y = layer(y)
            expected.append(y)
    assert len(outs) == 4
    for got, want in zip(outs, expected):
        assert (got - want).abs().max().item() < 1e-5


def test_missing_torchvision_weights_name_the_expected_path(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    model = ResNet(depth=18, init_cfg=dict(type="Pretrained", checkpoint="torchvision://resnet18"))
    with DefaultScope.overwrite_default_scope("core"), pytest.raises(FileNotFoundError) as err:
        model.init_weights()
    expected = tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    assert str(expected) in str(err.value)


def test_invalid_depth_names_the_valid_depths():
    with pytest.raises(KeyError) as err:
        ResNet(depth=51)
    for depth in ("18", "34", "50", "101", "152"):
        assert depth in str(err.value)


def test_resnet_state_dict_keys_follow_mmdet():
    keys = MODELS.build(dict(type="ResNet", depth=50)).state_dict().keys()
    for key in (
        "conv1.weight",
        "bn1.running_mean",
        "layer1.0.conv1.weight",
        "layer1.0.downsample.0.weight",
        "layer1.0.downsample.1.weight",
        "layer4.2.bn3.bias",
    ):
        assert key in keys
    v1c = MODELS.build(dict(type="ResNetV1c", depth=50)).state_dict().keys()
    assert {
        "stem.0.weight",
        "stem.1.weight",
        "stem.3.weight",
        "stem.6.weight",
        "stem.7.bias",
    } <= set(v1c)
    assert "conv1.weight" not in v1c
    v1d = MODELS.build(dict(type="ResNetV1d", depth=50)).state_dict().keys()
    assert "layer2.0.downsample.1.weight" in v1d and "layer2.0.downsample.2.weight" in v1d


def test_resnext_matches_torchvision_param_count():
    ours = MODELS.build(dict(type="ResNeXt", depth=50, groups=32, base_width=4))
    assert _num_params(ours) == _torchvision_trunk_params(torchvision.models.resnext50_32x4d())


def test_resnet_variants_reject_their_fixed_keys():
    with pytest.raises(TypeError, match="deep_stem"):
        MODELS.build(dict(type="ResNetV1c", depth=50, deep_stem=False))


def test_frozen_stages_and_norm_eval():
    model = ResNet(depth=18, base_channels=8, frozen_stages=1, norm_eval=True)
    model.train()
    assert not any(p.requires_grad for p in model.conv1.parameters())
    assert not any(p.requires_grad for p in model.layer1.parameters())
    assert all(p.requires_grad for p in model.layer2.parameters())
    assert not model.layer3[0].bn1.training and model.training


def test_zero_init_residual_zeroes_last_norm():
    model = ResNet(
        depth=50, base_channels=8, num_stages=1, strides=(1,), dilations=(1,), out_indices=(0,)
    )
    model.init_weights()
    assert torch.count_nonzero(model.layer1[0].bn3.weight) == 0
    assert torch.all(model.layer1[0].bn1.weight == 1)


def test_dcn_stage_uses_deformable_conv():
    model = ResNet(
        depth=50,
        base_channels=4,
        num_stages=2,
        strides=(1, 2),
        dilations=(1, 1),
        out_indices=(0, 1),
        dcn=dict(type="DCNv2", deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True),
    )
    keys = model.state_dict().keys()
    assert "layer2.0.conv2.conv_offset.weight" in keys
    assert "layer1.0.conv2.conv_offset.weight" not in keys
    assert [o.shape[1] for o in model(tiny_images(1, 3, 32))] == [16, 32]


def test_hrnet_w32_keys_and_outputs():
    extra = dict(
        stage1=dict(
            num_modules=1, num_branches=1, block="BOTTLENECK", num_blocks=(4,), num_channels=(64,)
        ),
        stage2=dict(
            num_modules=1, num_branches=2, block="BASIC", num_blocks=(4, 4), num_channels=(32, 64)
        ),
        stage3=dict(
            num_modules=4,
            num_branches=3,
            block="BASIC",
            num_blocks=(4, 4, 4),
            num_channels=(32, 64, 128),
        ),
        stage4=dict(
            num_modules=3,
            num_branches=4,
            block="BASIC",
            num_blocks=(4, 4, 4, 4),
            num_channels=(32, 64, 128, 256),
        ),
    )
    model = HRNet(extra=extra)
    keys = set(model.state_dict())
    for key in (
        "conv1.weight",
        "bn2.weight",
        "layer1.0.downsample.0.weight",
        "transition1.0.0.weight",
        "transition1.1.0.0.weight",
        "stage2.0.branches.0.0.conv1.weight",
        "stage2.0.fuse_layers.0.1.0.weight",
        "stage3.0.fuse_layers.2.0.1.0.weight",
        "transition3.3.0.0.weight",
        "stage4.2.fuse_layers.3.2.0.1.weight",
    ):
        assert key in keys, key
    assert model.out_channels == [32, 64, 128, 256]
    extra["stage4"]["multiscale_output"] = False
    single = HRNet(extra=extra)
    assert single.out_channels == [32]
    # the HRNet paper (Table 1): HRNet-W32 with its 17-keypoint 1x1 head has 28.5M parameters
    with_head = sum(p.numel() for p in single.parameters()) + 32 * 17 + 17
    assert round(with_head / 1e6, 1) == 28.5
    assert [o.shape[1:] for o in single.eval()(tiny_images(1, 3, 64))] == [torch.Size([32, 16, 16])]


def test_hrnet_bad_block_names_valid_blocks():
    extra = dict(
        stage1=dict(
            num_modules=1, num_branches=1, block="BOTTLE", num_blocks=(1,), num_channels=(8,)
        ),
    )
    with pytest.raises(KeyError, match="BOTTLE.*valid: BASIC, BOTTLENECK"):
        HRNet(extra=extra)
    extra["stage1"]["block"] = "BOTTLENECK"
    with pytest.raises(KeyError, match="stage2"):
        HRNet(extra=extra)


def test_cspdarknet_yolox_s_channels_and_keys():
    model = MODELS.build(dict(type="CSPDarknet", deepen_factor=0.33, widen_factor=0.5))
    assert model.out_channels == [128, 256, 512]
    keys = set(model.state_dict())
    assert {
        "stem.conv.conv.weight",
        "stage1.0.conv.weight",
        "stage4.1.conv1.conv.weight",
        "stage4.2.main_conv.conv.weight",
        "stage2.1.blocks.0.conv2.bn.weight",
    } <= keys
    outs = model(tiny_images(1, 3, 64))
    assert [tuple(o.shape[1:]) for o in outs] == [(128, 8, 8), (256, 4, 4), (512, 2, 2)]


def test_mobilenet_v2_matches_torchvision_feature_params():
    model = MODELS.build(dict(type="MobileNetV2", out_indices=(7,)))
    reference = torchvision.models.mobilenet_v2()
    assert _num_params(model) == sum(p.numel() for p in reference.features.parameters())
    assert model.out_channels == [1280]


def test_with_cp_gives_the_same_gradients():
    plain = ResNet(depth=18, base_channels=4, norm_eval=False)
    checkpointed = ResNet(depth=18, base_channels=4, norm_eval=False, with_cp=True)
    checkpointed.load_state_dict(plain.state_dict())
    x = tiny_images(2, 3, 32)
    for model in (plain, checkpointed):
        model.train()
        sum(o.sum() for o in model(x.clone().requires_grad_())).backward()
    for (name, a), b in zip(plain.named_parameters(), checkpointed.parameters()):
        assert torch.allclose(a.grad, b.grad, atol=1e-5), name
