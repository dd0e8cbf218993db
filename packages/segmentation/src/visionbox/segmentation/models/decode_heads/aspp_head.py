"""``ASPPHead`` (DeepLabV3): Chen et al., "Rethinking Atrous Convolution for Semantic Image
Segmentation", https://arxiv.org/abs/1706.05587."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from visionbox.core.models.layers import ConvModule

from ...registry import MODELS
from ..utils import resize
from .decode_head import BaseDecodeHead

__all__ = ["ASPPHead", "ASPPModule"]


class ASPPModule(nn.ModuleList):
    """Parallel atrous convs: 1x1 for dilation 1, 3x3 with that dilation otherwise.

    Args:
        dilations: Dilation of each branch.
        in_channels: Input channels.
        channels: Channels of each branch.
        conv_cfg: Conv layer config.
        norm_cfg: Norm layer config.
        act_cfg: Activation config.
    """

    def __init__(
        self,
        dilations: Sequence[int],
        in_channels: int,
        channels: int,
        conv_cfg: dict | None,
        norm_cfg: dict | None,
        act_cfg: dict | None,
    ) -> None:
        super().__init__()
        self.dilations = dilations
        self.in_channels = in_channels
        self.channels = channels
        for dilation in dilations:
            self.append(
                ConvModule(
                    in_channels,
                    channels,
                    1 if dilation == 1 else 3,
                    dilation=dilation,
                    padding=0 if dilation == 1 else dilation,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg,
                )
            )

    def forward(self, x: Tensor) -> list[Tensor]:
        """(N, C, h, w) -> list of (N, channels, h, w), one per dilation."""
        return [branch(x) for branch in self]


@MODELS.register_module()
class ASPPHead(BaseDecodeHead):
    """Image pooling (``image_pool``) + atrous branches (``aspp_modules``) -> ``bottleneck``.

    Args:
        dilations: Dilations of the atrous branches.
        **kwargs: Arguments of :class:`BaseDecodeHead` (checked against its signature).
    """

    def __init__(self, dilations: Sequence[int] = (1, 6, 12, 18), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(dilations, (list, tuple)):
            raise TypeError(f"dilations must be a list or tuple, got {dilations!r}.")
        self.dilations = dilations
        common = dict(conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), ConvModule(self.in_channels, self.channels, 1, **common)
        )
        self.aspp_modules = ASPPModule(dilations, self.in_channels, self.channels, **common)
        self.bottleneck = ConvModule(
            (len(dilations) + 1) * self.channels, self.channels, 3, padding=1, **common
        )

    def _aspp(self, x: Tensor) -> Tensor:
        pooled = resize(
            self.image_pool(x), x.shape[2:], mode="bilinear", align_corners=self.align_corners
        )
        return self.bottleneck(torch.cat([pooled, *self.aspp_modules(x)], dim=1))

    def _forward_feature(self, inputs: Any) -> Tensor:
        return self._aspp(self._transform_inputs(inputs))

    def forward(self, inputs: Any) -> Tensor:
        """Backbone levels -> (N, K, h, w) logits."""
        return self.cls_seg(self._forward_feature(inputs))
