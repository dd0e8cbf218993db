"""fuse_conv_bn and optimize_for_inference: the folded model computes what the unfolded one did."""

from __future__ import annotations

import copy
import shutil

import pytest
import torch
import torchvision
from torch import nn

from visionbox.core.models import (
    ConvModule,
    CSPDarknet,
    HRNet,
    MobileNetV2,
    ResNet,
    ResNetV1d,
    fuse_conv_bn,
    is_conv_net,
    optimize_for_inference,
)
from visionbox.core.testing import count_batchnorms, randomize_batchnorm, tiny_images

ATOL = 1e-4


def _outputs(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    with torch.no_grad():
        out = model(x)
    return [out] if isinstance(out, torch.Tensor) else list(out)


def _assert_fused_equal(model: nn.Module, x: torch.Tensor, left: int = 0) -> nn.Module:
    randomize_batchnorm(model).eval()
    reference = _outputs(model, x)
    fused = fuse_conv_bn(copy.deepcopy(model))
    assert count_batchnorms(fused) == left
    assert fused.fused_conv_bn == count_batchnorms(model) - left > 0
    for ref, out in zip(reference, _outputs(fused, x), strict=True):
        torch.testing.assert_close(out, ref, atol=ATOL, rtol=1e-4)
    return fused


def test_conv_module_folds_into_a_biased_conv():
    module = ConvModule(3, 8, 3, padding=1, norm_cfg=dict(type="BN"))
    assert module.conv.bias is None
    fused = _assert_fused_equal(module, tiny_images(2, 3, 8))
    assert isinstance(fused.bn, nn.Identity) and fused.conv.bias is not None
    assert "bn.weight" not in fused.state_dict()


def test_conv_with_bias_and_affine_free_batchnorm():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=True), nn.BatchNorm2d(8, affine=False))
    _assert_fused_equal(model, tiny_images(2, 3, 8))


class _SharedConvLevels(nn.Module):
    """One conv shared by three ConvModules (and a Sequential pair), each with its own BN."""

    def __init__(self) -> None:
        super().__init__()
        self.levels = nn.ModuleList(
            ConvModule(3, 8, 3, padding=1, norm_cfg=dict(type="BN")) for _ in range(3)
        )
        for level in self.levels[1:]:
            level.conv = self.levels[0].conv
        self.pairs = nn.ModuleList(
            nn.Sequential(nn.Conv2d(3, 8, 1), nn.BatchNorm2d(8)) for _ in range(2)
        )
        self.pairs[1][0] = self.pairs[0][0]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [level(x) for level in self.levels] + [pair(x) for pair in self.pairs]


def test_shared_conv_takes_each_batchnorm_in_its_own_copy():
    fused = _assert_fused_equal(_SharedConvLevels(), tiny_images(2, 3, 8))
    assert fused.levels[1].conv is not fused.levels[0].conv
    assert fused.pairs[1][0] is not fused.pairs[0][0]


def test_norm_before_conv_is_not_folded():
    module = ConvModule(8, 8, 1, norm_cfg=dict(type="BN"), order=("norm", "conv", "act"))
    randomize_batchnorm(module).eval()
    fuse_conv_bn(module)
    assert module.fused_conv_bn == 0 and isinstance(module.bn, nn.BatchNorm2d)


def test_train_mode_batchnorm_is_not_folded():
    module = ConvModule(3, 8, 3, norm_cfg=dict(type="BN")).train()
    fuse_conv_bn(module)
    assert module.fused_conv_bn == 0 and isinstance(module.bn, nn.BatchNorm2d)


def test_sequential_transposed_grouped_conv_and_bn():
    model = nn.Sequential(
        nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1, groups=2, bias=False),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.Conv2d(6, 6, 3, padding=1, groups=3),
        nn.BatchNorm2d(6),
    )
    _assert_fused_equal(model, tiny_images(2, 4, 6))


def test_deformable_conv_module_folds():
    module = ConvModule(4, 8, 3, padding=1, conv_cfg=dict(type="DCNv2"), norm_cfg=dict(type="BN"))
    nn.init.normal_(module.conv.conv_offset.weight, std=0.01)
    _assert_fused_equal(module, tiny_images(1, 4, 8))


@pytest.mark.parametrize(
    "factory",
    [
        lambda: ResNet(depth=50, base_channels=8, stem_channels=8, out_indices=(0, 1, 2, 3)),
        lambda: ResNet(depth=18, base_channels=8, stem_channels=8),
        lambda: ResNetV1d(depth=50, base_channels=8, stem_channels=8, frozen_stages=1),
        lambda: MobileNetV2(widen_factor=0.25, out_indices=(2, 4, 7)),
        lambda: CSPDarknet(deepen_factor=0.33, widen_factor=0.125),
    ],
    ids=["resnet50", "resnet18", "resnetv1d50-frozen", "mobilenetv2", "cspdarknet"],
)
def test_backbones_fold_every_batchnorm(factory):
    _assert_fused_equal(factory(), tiny_images(1, 3, 64))


def test_hrnet_folds_every_batchnorm():
    extra = dict(
        stage1=dict(
            num_modules=1, num_branches=1, block="BOTTLENECK", num_blocks=(1,), num_channels=(8,)
        ),
        stage2=dict(
            num_modules=1, num_branches=2, block="BASIC", num_blocks=(1, 1), num_channels=(4, 8)
        ),
        stage3=dict(
            num_modules=1,
            num_branches=3,
            block="BASIC",
            num_blocks=(1, 1, 1),
            num_channels=(4, 8, 16),
        ),
        stage4=dict(
            num_modules=1,
            num_branches=4,
            block="BASIC",
            num_blocks=(1, 1, 1, 1),
            num_channels=(4, 8, 16, 32),
        ),
    )
    _assert_fused_equal(HRNet(extra=extra), tiny_images(1, 3, 64))


def test_torchvision_frozen_batchnorm_folds():
    model = torchvision.models.resnet18(norm_layer=torchvision.ops.FrozenBatchNorm2d)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torchvision.ops.FrozenBatchNorm2d):
                m.running_var.uniform_(0.5, 1.5)
                m.running_mean.normal_(0, 0.1)
    x = tiny_images(1, 3, 64)
    reference = _outputs(model.eval(), x)[0]
    fused = fuse_conv_bn(copy.deepcopy(model))
    assert fused.fused_conv_bn == 20
    assert not any(isinstance(m, torchvision.ops.FrozenBatchNorm2d) for m in fused.modules())
    torch.testing.assert_close(_outputs(fused, x)[0], reference, atol=ATOL, rtol=1e-4)


def test_optimize_for_inference_is_in_place_eval_and_channels_last():
    model = randomize_batchnorm(ResNet(depth=18, base_channels=8, stem_channels=8)).train()
    x = tiny_images(1, 3, 64)
    reference = _outputs(copy.deepcopy(model).eval(), x)
    assert optimize_for_inference(model) is model
    assert not model.training and count_batchnorms(model) == 0
    assert model.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    outputs = _outputs(model, x)
    assert outputs[-1].is_contiguous(memory_format=torch.channels_last)
    for ref, out in zip(reference, outputs, strict=True):
        torch.testing.assert_close(out, ref, atol=ATOL, rtol=1e-4)


def test_optimize_for_inference_switches():
    model = ResNet(depth=18, base_channels=8)
    model = optimize_for_inference(model, fuse=False, channels_last=False)
    assert count_batchnorms(model) == 20
    assert not model.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    with pytest.raises(ValueError, match="channels_last must be None, True or False"):
        optimize_for_inference(model, channels_last="yes")
    with pytest.raises(TypeError, match="nn.Module"):
        optimize_for_inference("model.pth")


def test_optimize_for_inference_calls_switch_to_deploy_when_folding():
    class _Layer(nn.Module):
        deployed = False

        def switch_to_deploy(self):
            self.deployed = True

    for fuse in (True, False):
        model = nn.Sequential(nn.Conv2d(3, 4, 3), _Layer())
        optimize_for_inference(model, fuse=fuse)
        assert model[1].deployed is fuse


def test_is_conv_net():
    assert is_conv_net(ResNet(depth=18, base_channels=8))
    assert not is_conv_net(nn.Sequential(nn.Conv2d(3, 8, 4, 4), nn.Flatten(), nn.Linear(8, 512)))
    assert not is_conv_net(nn.ReLU())


@pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None,
    reason="torch.compile's CPU backend needs a C compiler",
)
def test_optimize_for_inference_compiles_backbone_with_the_same_outputs():
    class Wrapper(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = ResNet(depth=18, base_channels=8, stem_channels=8, out_indices=(3,))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.backbone(x)[-1]

    model = randomize_batchnorm(Wrapper()).eval()
    x = tiny_images(1, 3, 64)
    reference = _outputs(model, x)[0]
    fast = optimize_for_inference(copy.deepcopy(model), compile=True)
    assert "forward" in vars(fast.backbone)  # the compiled forward, set on the instance
    assert "forward" not in vars(model.backbone)
    torch.testing.assert_close(_outputs(fast, x)[0], reference, atol=ATOL, rtol=1e-4)
