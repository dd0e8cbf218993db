"""Convolution, padding and upsampling layers under their OpenMMLab names, and their builders.

Conv names: Conv1d, Conv2d, Conv3d, Conv (= Conv2d), deconv (ConvTranspose2d), deconv3d, and the
deformable ``DCN`` / ``DCNv2`` of :mod:`.dcn`. Padding names: zero, reflect, replicate. Upsample
names: nearest, bilinear (``nn.Upsample`` with that mode), deconv, pixel_shuffle.
"""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F
from mmengine.model import xavier_init
from torch import Tensor, nn

from ...registry import MODELS
from ._build import build_from_registry, resolve_layer_type

__all__ = [
    "CONV_TYPES",
    "PADDING_TYPES",
    "UPSAMPLE_TYPES",
    "PixelShufflePack",
    "build_conv_layer",
    "build_padding_layer",
    "build_upsample_layer",
]

MODELS.register_module("Conv1d", module=nn.Conv1d)
MODELS.register_module("Conv2d", module=nn.Conv2d)
MODELS.register_module("Conv3d", module=nn.Conv3d)
MODELS.register_module("Conv", module=nn.Conv2d)
MODELS.register_module("deconv", module=nn.ConvTranspose2d)
MODELS.register_module("deconv3d", module=nn.ConvTranspose3d)
MODELS.register_module("zero", module=nn.ZeroPad2d)
MODELS.register_module("reflect", module=nn.ReflectionPad2d)
MODELS.register_module("replicate", module=nn.ReplicationPad2d)
MODELS.register_module("nearest", module=nn.Upsample)
MODELS.register_module("bilinear", module=nn.Upsample)

#: Type names of each layer family.
CONV_TYPES = ("Conv1d", "Conv2d", "Conv3d", "Conv", "deconv", "deconv3d", "DCN", "DCNv2")
PADDING_TYPES = ("zero", "reflect", "replicate")
UPSAMPLE_TYPES = ("nearest", "bilinear", "deconv", "pixel_shuffle")


@MODELS.register_module(name="pixel_shuffle")
class PixelShufflePack(nn.Module):
    """A conv to ``out_channels * scale_factor**2`` channels followed by ``F.pixel_shuffle``.

    Shapes: (N, in_channels, H, W) -> (N, out_channels, H * scale_factor, W * scale_factor).
    """

    def __init__(
        self, in_channels: int, out_channels: int, scale_factor: int, upsample_kernel: int
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.scale_factor = scale_factor
        self.upsample_kernel = upsample_kernel
        self.upsample_conv = nn.Conv2d(
            in_channels,
            out_channels * scale_factor * scale_factor,
            upsample_kernel,
            padding=(upsample_kernel - 1) // 2,
        )
        xavier_init(self.upsample_conv, distribution="uniform")

    def forward(self, x: Tensor) -> Tensor:
        return F.pixel_shuffle(self.upsample_conv(x), self.scale_factor)


def build_conv_layer(cfg: dict | None, *args: Any, **kwargs: Any) -> nn.Module:
    """Build a convolution (``cfg=None``: ``Conv2d``); other arguments go to the class."""
    return build_from_registry(
        dict(type="Conv2d") if cfg is None else cfg, "conv", CONV_TYPES, *args, **kwargs
    )


def build_padding_layer(cfg: dict, *args: Any, **kwargs: Any) -> nn.Module:
    """Build a padding layer, e.g. ``build_padding_layer(dict(type='reflect'), 1)``."""
    return build_from_registry(cfg, "padding", PADDING_TYPES, *args, **kwargs)


def build_upsample_layer(cfg: dict, *args: Any, **kwargs: Any) -> nn.Module:
    """Build an upsampling layer.

    ``nearest`` and ``bilinear`` become ``nn.Upsample(mode=<type>, scale_factor=...)``; ``deconv``
    and ``pixel_shuffle`` take channel arguments.
    """
    layer_cls, layer_type, args_ = resolve_layer_type(cfg, "upsample", UPSAMPLE_TYPES)
    if layer_cls is nn.Upsample:
        args_["mode"] = layer_type
    return layer_cls(*args, **kwargs, **args_)
