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
from .csp_layer import ChannelAttention, CSPLayer, CSPNeXtBlock, DarknetBottleneck
from .dcn import DeformConv2dPack, ModulatedDeformConv2dPack
from .drop import DROPOUT_TYPES, Dropout, DropPath, build_dropout, drop_path
from .ema import ExpMomentumEMA
from .norm import NORM_TYPES, build_norm_layer, infer_abbr, is_norm
from .norm2d import GRN, LayerNorm2d
from .sr_attention import EfficientMultiheadAttention, nchw_to_nlc, nlc_to_nchw
from .transformer import (
    FFN,
    AdaptivePadding,
    LayerScale,
    MultiheadAttention,
    PatchEmbed,
    PatchMerging,
    to_2tuple,
)
from .vit_attention import MultiheadSelfAttention
from .window_attention import (
    ShiftWindowMSA,
    WindowMSA,
    relative_position_index,
    shifted_window_mask,
    window_partition,
    window_reverse,
)

__all__ = [
    "ACTIVATION_TYPES",
    "CONV_TYPES",
    "DROPOUT_TYPES",
    "FFN",
    "GRN",
    "NORM_TYPES",
    "PADDING_TYPES",
    "UPSAMPLE_TYPES",
    "AdaptivePadding",
    "CSPLayer",
    "CSPNeXtBlock",
    "ChannelAttention",
    "Clamp",
    "ConvModule",
    "DarknetBottleneck",
    "DeformConv2dPack",
    "DepthwiseSeparableConvModule",
    "DropPath",
    "Dropout",
    "EfficientMultiheadAttention",
    "ExpMomentumEMA",
    "HSigmoid",
    "LayerNorm2d",
    "LayerScale",
    "ModulatedDeformConv2dPack",
    "MultiheadAttention",
    "MultiheadSelfAttention",
    "PatchEmbed",
    "PatchMerging",
    "PixelShufflePack",
    "ShiftWindowMSA",
    "Swish",
    "WindowMSA",
    "build_activation_layer",
    "build_conv_layer",
    "build_dropout",
    "build_norm_layer",
    "build_padding_layer",
    "build_upsample_layer",
    "drop_path",
    "infer_abbr",
    "is_norm",
    "nchw_to_nlc",
    "nlc_to_nchw",
    "relative_position_index",
    "shifted_window_mask",
    "to_2tuple",
    "window_partition",
    "window_reverse",
]
