"""CNN building blocks with the OpenMMLab (mmcv 2.x) names, arguments and ``state_dict`` keys."""

from .activation import ACTIVATION_TYPES, Clamp, HSigmoid, Swish, build_activation_layer
from .conv import (
    CONV_TYPES,
    PADDING_TYPES,
    UPSAMPLE_TYPES,
    PixelShufflePack,
    build_conv_layer,
    build_padding_layer,
    build_upsample_layer,
)
from .conv_module import ConvModule, DepthwiseSeparableConvModule
from .csp_layer import CSPLayer, DarknetBottleneck
from .dcn import DeformConv2dPack, ModulatedDeformConv2dPack
from .norm import NORM_TYPES, build_norm_layer, infer_abbr, is_norm

__all__ = [
    "ACTIVATION_TYPES",
    "CONV_TYPES",
    "NORM_TYPES",
    "PADDING_TYPES",
    "UPSAMPLE_TYPES",
    "CSPLayer",
    "Clamp",
    "ConvModule",
    "DarknetBottleneck",
    "DeformConv2dPack",
    "DepthwiseSeparableConvModule",
    "HSigmoid",
    "ModulatedDeformConv2dPack",
    "PixelShufflePack",
    "Swish",
    "build_activation_layer",
    "build_conv_layer",
    "build_norm_layer",
    "build_padding_layer",
    "build_upsample_layer",
    "infer_abbr",
    "is_norm",
]
