"""CNN building blocks: ConvModule, the layer builders, DCN, weight initialisers."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from visionbox.core.models import layers
from visionbox.core.models.layers import (
    ConvModule,
    DepthwiseSeparableConvModule,
    build_activation_layer,
    build_conv_layer,
    build_norm_layer,
    build_padding_layer,
    build_upsample_layer,
)
from visionbox.core.registry import WEIGHT_INITIALIZERS
from visionbox.core.testing import tiny_images


def test_conv_module_default_order_and_keys():
    module = ConvModule(3, 8, 3, padding=1, norm_cfg=dict(type="BN"))
    assert set(module.state_dict()) >= {"conv.weight", "bn.weight", "bn.running_var"}
    assert module.conv.bias is None  # bias='auto' with a norm
    x = tiny_images(2, 3, 8)
    expected = F.relu(module.bn(module.conv(x)))
    assert torch.allclose(module(x), expected)


def test_conv_module_order_act_first_norms_input_channels():
    module = ConvModule(3, 8, 1, norm_cfg=dict(type="BN"), order=("norm", "act", "conv"))
    assert module.bn.num_features == 3
    x = tiny_images(2, 3, 4)
    assert torch.allclose(module(x), module.conv(F.relu(module.bn(x))))
    with pytest.raises(ValueError, match="order"):
        ConvModule(3, 8, 1, order=("conv", "conv", "act"))


def test_conv_module_inplace_and_padding_modes():
    assert ConvModule(3, 4, 3).activate.inplace is True
    assert ConvModule(3, 4, 3, inplace=False).activate.inplace is False
    reflect = ConvModule(3, 4, 3, padding=1, padding_mode="reflect", act_cfg=None)
    x = tiny_images(1, 3, 6)
    assert isinstance(reflect.padding_layer, nn.ReflectionPad2d)
    expected = F.conv2d(
        F.pad(x, (1, 1, 1, 1), mode="reflect"), reflect.conv.weight, reflect.conv.bias
    )
    assert torch.allclose(reflect(x), expected, atol=1e-6)
    circular = ConvModule(3, 4, 3, padding=1, padding_mode="circular", act_cfg=None)
    assert circular.conv.padding_mode == "circular"


def test_depthwise_separable_keys_and_groups():
    module = DepthwiseSeparableConvModule(4, 8, 3, padding=1, norm_cfg=dict(type="BN"))
    assert module.depthwise_conv.conv.groups == 4
    assert "pointwise_conv.conv.weight" in module.state_dict()
    assert module(tiny_images(2, 4, 5)).shape == (2, 8, 5, 5)


@pytest.mark.parametrize(
    ("cfg", "name", "cls"),
    [
        (dict(type="BN"), "bn1", nn.BatchNorm2d),
        (dict(type="BN1d"), "bn1", nn.BatchNorm1d),
        (dict(type="BN3d"), "bn1", nn.BatchNorm3d),
        (dict(type="GN", num_groups=2), "gn1", nn.GroupNorm),
        (dict(type="LN"), "ln1", nn.LayerNorm),
        (dict(type="IN"), "in1", nn.InstanceNorm2d),
    ],
)
def test_build_norm_layer_names_like_mmcv(cfg, name, cls):
    got_name, layer = build_norm_layer(cfg, 4, postfix=1)
    assert got_name == name and isinstance(layer, cls)


def test_build_norm_layer_requires_grad_false_freezes():
    _, layer = build_norm_layer(dict(type="BN", requires_grad=False), 4)
    assert not any(p.requires_grad for p in layer.parameters())


def test_unknown_norm_type_names_the_valid_ones():
    with pytest.raises(KeyError) as err:
        build_norm_layer(dict(type="SynBN"), 4)
    message = str(err.value)
    for name in ("BN", "SyncBN", "GN", "LN", "IN"):
        assert name in message
    assert "Did you mean 'SyncBN'" in message


def test_misspelt_norm_key_is_rejected():
    with pytest.raises(TypeError, match="momentun"):
        build_norm_layer(dict(type="BN", momentun=0.1), 4)


def test_sync_bn_falls_back_to_bn_with_one_warning(monkeypatch):
    monkeypatch.setattr(layers.norm, "_warned_sync_bn", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, first = build_norm_layer(dict(type="SyncBN"), 4)
        _, second = build_norm_layer(dict(type="SyncBN"), 4)
    assert type(first) is nn.BatchNorm2d and type(second) is nn.BatchNorm2d
    assert sum("SyncBN" in str(w.message) for w in caught) == 1


def test_activation_builder_and_unknown_type():
    assert isinstance(build_activation_layer(dict(type="HSwish")), nn.Hardswish)
    x = torch.linspace(-5, 5, 11)
    assert torch.allclose(build_activation_layer(dict(type="HSigmoid"))(x), F.hardsigmoid(x))
    assert torch.allclose(build_activation_layer(dict(type="Swish"))(x), F.silu(x))
    with pytest.raises(KeyError, match="Did you mean 'ReLU'"):
        build_activation_layer(dict(type="Relu"))


def test_padding_and_upsample_builders():
    assert isinstance(build_padding_layer(dict(type="replicate"), 2), nn.ReplicationPad2d)
    up = build_upsample_layer(dict(type="bilinear", scale_factor=2, align_corners=False))
    assert up.mode == "bilinear"
    deconv = build_upsample_layer(dict(type="deconv"), 4, 2, kernel_size=2, stride=2)
    assert deconv(tiny_images(1, 4, 3)).shape == (1, 2, 6, 6)
    shuffle = build_upsample_layer(
        dict(type="pixel_shuffle", scale_factor=2, upsample_kernel=3), 4, 2
    )
    assert shuffle(tiny_images(1, 4, 3)).shape == (1, 2, 6, 6)


def test_dcnv2_keys_and_zero_offsets_equal_a_conv():
    dcn = build_conv_layer(dict(type="DCNv2", deform_groups=2), 4, 6, 3, padding=1)
    assert set(dcn.state_dict()) == {"weight", "bias", "conv_offset.weight", "conv_offset.bias"}
    assert dcn.conv_offset.out_channels == 2 * 3 * 9
    x = tiny_images(2, 4, 7)
    # zero offsets and mask logits 0 -> mask 0.5 everywhere
    expected = F.conv2d(x, dcn.weight * 0.5, padding=1) + dcn.bias.view(1, -1, 1, 1)
    assert torch.allclose(dcn(x), expected, atol=1e-5)


def test_dcn_v1_with_integer_offsets_shifts_the_sampling():
    dcn = build_conv_layer(dict(type="DCN"), 1, 1, 1)
    assert dcn.conv_offset.out_channels == 2
    with torch.no_grad():
        dcn.weight.fill_(1.0)
        dcn.conv_offset.bias.copy_(torch.tensor([0.0, 1.0]))  # (dy, dx) = (0, 1)
    x = torch.arange(16.0).view(1, 1, 4, 4)
    out = dcn(x)
    assert torch.allclose(out[0, 0, :, :3], x[0, 0, :, 1:])


def test_weight_initialisers_resolve_from_our_registry():
    for name in ("Constant", "Xavier", "Normal", "TruncNormal", "Uniform", "Kaiming", "Pretrained"):
        assert WEIGHT_INITIALIZERS.get(name) is not None, name
    conv = nn.Conv2d(2, 2, 1)
    WEIGHT_INITIALIZERS.build(dict(type="Constant", layer="Conv2d", val=0.5, bias=0.1))(conv)
    assert torch.all(conv.weight == 0.5) and torch.allclose(conv.bias, torch.full((2,), 0.1))
