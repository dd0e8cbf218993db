"""Every component registered in core's MODELS builds from a config, runs forward and backward on a
tiny input, and every parameter receives a gradient."""

from __future__ import annotations

import pytest
import torch

from visionbox.core.registry import MODELS
from visionbox.core.testing import assert_all_params_have_grad, random_boxes, tiny_images

# Components registered by visionbox.core.models.data_preprocessors have their own tests there.
_TESTED_ELSEWHERE = ("visionbox.core.models.data_preprocessors",)
# Core's built-in components are VisionBox classes or torch layers registered under OpenMMLab
# names; classes that other tests or users register (from their own modules) are not core's.
_BUILT_IN = ("visionbox.core.", "torch.")

_HR_EXTRA = dict(
    stage1=dict(
        num_modules=1, num_branches=1, block="BOTTLENECK", num_blocks=(1,), num_channels=(8,)
    ),
    stage2=dict(
        num_modules=1, num_branches=2, block="BASIC", num_blocks=(1, 1), num_channels=(4, 8)
    ),
    stage3=dict(
        num_modules=1, num_branches=3, block="BASIC", num_blocks=(1, 1, 1), num_channels=(4, 8, 16)
    ),
    stage4=dict(
        num_modules=1,
        num_branches=4,
        block="BASIC",
        num_blocks=(1, 1, 1, 1),
        num_channels=(4, 8, 16, 32),
    ),
)


def _image(c=3, size=32):
    return (tiny_images(2, c, size).requires_grad_(),)


def _feats(channels=(4, 8), size=16):
    return (
        tuple(
            tiny_images(2, c, size // 2**i, seed=i).requires_grad_() for i, c in enumerate(channels)
        ),
    )


def _cls(n=6, c=4):
    return (torch.randn(n, c, requires_grad=True), torch.randint(0, c, (n,)))


def _boxes():
    target = random_boxes(5, 32, seed=1)
    pred = (target + torch.randn(5, 4)).requires_grad_()
    return (pred, target)


_ACT = lambda: _image(2, 6)  # noqa: E731
_NORM2D = lambda: _image(4, 6)  # noqa: E731

# name -> (config, inputs factory)
TINY = {
    # activations
    "ReLU": (dict(type="ReLU"), _ACT),
    "LeakyReLU": (dict(type="LeakyReLU"), _ACT),
    "PReLU": (dict(type="PReLU"), _ACT),
    "RReLU": (dict(type="RReLU"), _ACT),
    "ReLU6": (dict(type="ReLU6"), _ACT),
    "ELU": (dict(type="ELU"), _ACT),
    "Sigmoid": (dict(type="Sigmoid"), _ACT),
    "Tanh": (dict(type="Tanh"), _ACT),
    "SiLU": (dict(type="SiLU"), _ACT),
    "Swish": (dict(type="Swish"), _ACT),
    "GELU": (dict(type="GELU"), _ACT),
    "HSwish": (dict(type="HSwish"), _ACT),
    "HSigmoid": (dict(type="HSigmoid"), _ACT),
    "Clamp": (dict(type="Clamp", min=-0.5, max=0.5), _ACT),
    "Clip": (dict(type="Clip"), _ACT),
    # norms
    "BN": (dict(type="BN", num_features=4), _NORM2D),
    "BN1d": (dict(type="BN1d", num_features=4), lambda: (torch.randn(3, 4, requires_grad=True),)),
    "BN2d": (dict(type="BN2d", num_features=4), _NORM2D),
    "BN3d": (
        dict(type="BN3d", num_features=4),
        lambda: (torch.randn(2, 4, 2, 3, 3, requires_grad=True),),
    ),
    "SyncBN": (dict(type="SyncBN", num_features=4), _NORM2D),
    "GN": (dict(type="GN", num_groups=2, num_channels=4), _NORM2D),
    "LN": (
        dict(type="LN", normalized_shape=6),
        lambda: (torch.randn(2, 3, 6, requires_grad=True),),
    ),
    "IN": (dict(type="IN", num_features=4, affine=True), _NORM2D),
    "IN1d": (
        dict(type="IN1d", num_features=4, affine=True),
        lambda: (torch.randn(2, 4, 5, requires_grad=True),),
    ),
    "IN2d": (dict(type="IN2d", num_features=4, affine=True), _NORM2D),
    "IN3d": (
        dict(type="IN3d", num_features=4, affine=True),
        lambda: (torch.randn(2, 4, 3, 3, 3, requires_grad=True),),
    ),
    # convs, padding, upsampling
    "Conv": (dict(type="Conv", in_channels=3, out_channels=4, kernel_size=3), lambda: _image(3, 8)),
    "Conv1d": (
        dict(type="Conv1d", in_channels=3, out_channels=4, kernel_size=3),
        lambda: (torch.randn(2, 3, 8, requires_grad=True),),
    ),
    "Conv2d": (
        dict(type="Conv2d", in_channels=3, out_channels=4, kernel_size=3),
        lambda: _image(3, 8),
    ),
    "Conv3d": (
        dict(type="Conv3d", in_channels=3, out_channels=4, kernel_size=3),
        lambda: (torch.randn(1, 3, 4, 4, 4, requires_grad=True),),
    ),
    "deconv": (
        dict(type="deconv", in_channels=3, out_channels=4, kernel_size=2, stride=2),
        lambda: _image(3, 4),
    ),
    "deconv3d": (
        dict(type="deconv3d", in_channels=3, out_channels=2, kernel_size=2, stride=2),
        lambda: (torch.randn(1, 3, 2, 2, 2, requires_grad=True),),
    ),
    "DCN": (
        dict(type="DCN", in_channels=4, out_channels=4, kernel_size=3, padding=1, bias=True),
        lambda: _image(4, 6),
    ),
    "DCNv2": (
        dict(
            type="DCNv2", in_channels=4, out_channels=4, kernel_size=3, padding=1, deform_groups=2
        ),
        lambda: _image(4, 6),
    ),
    "zero": (dict(type="zero", padding=1), _ACT),
    "reflect": (dict(type="reflect", padding=1), _ACT),
    "replicate": (dict(type="replicate", padding=1), _ACT),
    "nearest": (dict(type="nearest", scale_factor=2), _ACT),
    "bilinear": (dict(type="bilinear", scale_factor=2), _ACT),
    "pixel_shuffle": (
        dict(
            type="pixel_shuffle", in_channels=2, out_channels=3, scale_factor=2, upsample_kernel=3
        ),
        _ACT,
    ),
    "ConvModule": (
        dict(
            type="ConvModule",
            in_channels=3,
            out_channels=4,
            kernel_size=3,
            padding=1,
            norm_cfg=dict(type="BN"),
        ),
        lambda: _image(3, 8),
    ),
    # backbones
    "ResNet": (dict(type="ResNet", depth=18, base_channels=4, norm_eval=False), _image),
    "ResNetV1c": (
        dict(
            type="ResNetV1c",
            depth=50,
            base_channels=4,
            stem_channels=8,
            num_stages=2,
            strides=(1, 2),
            dilations=(1, 1),
            out_indices=(0, 1),
        ),
        _image,
    ),
    "ResNetV1d": (
        dict(
            type="ResNetV1d",
            depth=50,
            base_channels=4,
            stem_channels=8,
            num_stages=2,
            strides=(1, 2),
            dilations=(1, 1),
            out_indices=(0, 1),
        ),
        _image,
    ),
    "ResNeXt": (
        dict(
            type="ResNeXt",
            depth=50,
            groups=2,
            base_width=4,
            base_channels=4,
            num_stages=2,
            strides=(1, 2),
            dilations=(1, 1),
            out_indices=(0, 1),
        ),
        _image,
    ),
    "MobileNetV2": (dict(type="MobileNetV2", widen_factor=0.25, out_indices=(1, 2, 4, 7)), _image),
    "HRNet": (dict(type="HRNet", extra=_HR_EXTRA), _image),
    "CSPDarknet": (
        dict(type="CSPDarknet", deepen_factor=0.33, widen_factor=0.125, out_indices=(2, 3, 4)),
        _image,
    ),
    "CSPNeXt": (
        dict(type="CSPNeXt", deepen_factor=0.167, widen_factor=0.125, out_indices=(2, 3, 4)),
        _image,
    ),
    # necks
    "CSPNeXtPAFPN": (
        dict(type="CSPNeXtPAFPN", in_channels=[4, 8], out_channels=8, num_csp_blocks=1),
        _feats,
    ),
    "FPN": (
        dict(
            type="FPN", in_channels=[4, 8], out_channels=8, num_outs=3, add_extra_convs="on_input"
        ),
        _feats,
    ),
    "PAFPN": (
        dict(
            type="PAFPN",
            in_channels=[4, 8],
            out_channels=8,
            num_outs=3,
            add_extra_convs="on_output",
        ),
        _feats,
    ),
    "ChannelMapper": (
        dict(type="ChannelMapper", in_channels=[4, 8], out_channels=8, num_outs=3),
        _feats,
    ),
    # losses
    "CrossEntropyLoss": (dict(type="CrossEntropyLoss"), _cls),
    "FocalLoss": (
        dict(type="FocalLoss"),
        lambda: (torch.randn(6, 4, requires_grad=True), torch.randint(0, 5, (6,))),
    ),
    "L1Loss": (dict(type="L1Loss"), _boxes),
    "SmoothL1Loss": (dict(type="SmoothL1Loss", beta=0.5), _boxes),
    "MSELoss": (dict(type="MSELoss"), _boxes),
    "IoULoss": (dict(type="IoULoss"), _boxes),
    "GIoULoss": (dict(type="GIoULoss"), _boxes),
    "DIoULoss": (dict(type="DIoULoss"), _boxes),
    "CIoULoss": (dict(type="CIoULoss"), _boxes),
    "QualityFocalLoss": (
        dict(type="QualityFocalLoss"),
        lambda: (
            torch.randn(6, 4, requires_grad=True),
            (torch.randint(0, 5, (6,)), torch.rand(6)),
        ),
    ),
    "DiceLoss": (
        dict(type="DiceLoss"),
        lambda: (torch.randn(3, 8, 8, requires_grad=True), torch.rand(3, 8, 8) > 0.5),
    ),
}


# weight averaging (its parameters are a frozen copy; the input still gets a gradient)
TINY["ExpMomentumEMA"] = (
    dict(type="ExpMomentumEMA", model=torch.nn.Conv2d(2, 2, 1)),
    lambda: _image(2, 6),
)

# transformer backbones (ViT's class token reaches the featmap through attention)
TINY["MixVisionTransformer"] = (
    dict(
        type="MixVisionTransformer", embed_dims=4, num_layers=[1, 1, 1, 1], num_heads=[1, 1, 2, 2]
    ),
    lambda: _image(3, 32),
)
TINY["VisionTransformer"] = (
    dict(
        type="VisionTransformer",
        arch=dict(embed_dims=8, num_layers=2, num_heads=2, feedforward_channels=16),
        img_size=16,
        patch_size=8,
        out_type="featmap",
    ),
    lambda: _image(3, 16),
)

TINY["SwinTransformer"] = (
    dict(
        type="SwinTransformer",
        embed_dims=8,
        depths=(2, 1),
        num_heads=(1, 2),
        window_size=2,
        strides=(4, 2),
        out_indices=(0, 1),
    ),
    lambda: _image(3, 32),
)
TINY["ConvNeXt"] = (
    dict(type="ConvNeXt", arch=dict(depths=[1, 1], channels=[8, 16]), out_indices=(0, 1)),
    lambda: _image(3, 32),
)
TINY["FFN"] = (dict(type="FFN", embed_dims=8, feedforward_channels=16), lambda: _tokens())
TINY["MultiheadAttention"] = (
    dict(type="MultiheadAttention", embed_dims=8, num_heads=2, batch_first=True),
    lambda: _tokens(),
)
TINY["DropPath"] = (dict(type="DropPath", drop_prob=0.5), lambda: _tokens())
TINY["Dropout"] = (dict(type="Dropout", drop_prob=0.5), lambda: _tokens())
TINY["LN2d"] = (dict(type="LN2d", num_channels=4), lambda: _image(4, 8))
TINY["GRN"] = (dict(type="GRN", in_channels=4), lambda: _image(4, 8))


def _tokens(batch: int = 2, length: int = 5, channels: int = 8):
    return (torch.randn(batch, length, channels, requires_grad=True),)


def _registered_names() -> list[str]:
    MODELS.import_from_location()
    return sorted(
        name
        for name, obj in MODELS.module_dict.items()
        if getattr(obj, "__module__", "").startswith(_BUILT_IN)
        and not getattr(obj, "__module__", "").startswith(_TESTED_ELSEWHERE)
    )


def test_every_registered_name_has_a_tiny_config():
    missing = [name for name in _registered_names() if name not in TINY]
    assert not missing, f"add a tiny config to TINY for: {missing}"
    stale = [name for name in TINY if name not in MODELS.module_dict]
    assert not stale, f"TINY lists names that are not registered: {stale}"


def _sum_outputs(out) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out.float().sum()
    return sum(_sum_outputs(o) for o in out)


@pytest.mark.parametrize("name", sorted(TINY))
def test_component_builds_runs_and_gets_gradients(name):
    cfg, make_inputs = TINY[name]
    module = MODELS.build(dict(cfg))
    module.train()
    inputs = make_inputs()
    out = module(*inputs)
    loss = _sum_outputs(out)
    assert torch.isfinite(loss)
    loss.backward()
    assert_all_params_have_grad(module)
    leaves = [x for x in _flatten(inputs) if x.requires_grad]
    assert leaves and all(x.grad is not None for x in leaves), (
        f"{name}: no gradient reached its input"
    )


def _flatten(items) -> list[torch.Tensor]:
    if isinstance(items, torch.Tensor):
        return [items]
    return [t for item in items for t in _flatten(item)]
