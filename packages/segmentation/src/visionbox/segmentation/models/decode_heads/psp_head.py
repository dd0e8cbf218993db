"""``PSPHead``: Zhao et al., "Pyramid Scene Parsing Network", https://arxiv.org/abs/1612.01105."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from visionbox.core.models.layers import ConvModule

from ...registry import MODELS
from ..utils import resize
from .decode_head import BaseDecodeHead

__all__ = ["PPM", "PSPHead"]


class PPM(nn.ModuleList):
    """Pyramid pooling: per scale, adaptive average pooling then a 1x1 ConvModule, upsampled back.

    Args:
        pool_scales: Output sizes of the poolings.
        in_channels: Input channels.
        channels: Channels of each branch.
        conv_cfg: Conv layer config.
        norm_cfg: Norm layer config.
        act_cfg: Activation config.
        align_corners: ``align_corners`` of the upsampling.
    """

    def __init__(
        self,
        pool_scales: Sequence[int],
        in_channels: int,
        channels: int,
        conv_cfg: dict | None,
        norm_cfg: dict | None,
        act_cfg: dict | None,
        align_corners: bool,
    ) -> None:
        super().__init__()
        self.pool_scales = pool_scales
        self.align_corners = align_corners
        for scale in pool_scales:
            self.append(
                nn.Sequential(
                    nn.AdaptiveAvgPool2d(scale),
                    ConvModule(
                        in_channels,
                        channels,
                        1,
                        conv_cfg=conv_cfg,
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg,
                    ),
                )
            )

    def forward(self, x: Tensor) -> list[Tensor]:
        """(N, C, h, w) -> list of (N, channels, h, w), one per scale."""
        size = x.shape[2:]
        return [
            resize(branch(x), size, mode="bilinear", align_corners=self.align_corners)
            for branch in self
        ]


@MODELS.register_module()
class PSPHead(BaseDecodeHead):
    """Pyramid pooling (``psp_modules``) concatenated with the input, then ``bottleneck``.

    Args:
        pool_scales: Output sizes of the pyramid poolings.
        **kwargs: Arguments of :class:`BaseDecodeHead` (checked against its signature).
    """

    def __init__(self, pool_scales: Sequence[int] = (1, 2, 3, 6), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(pool_scales, (list, tuple)):
            raise TypeError(f"pool_scales must be a list or tuple, got {pool_scales!r}.")
        self.pool_scales = pool_scales
        self.psp_modules = PPM(
            pool_scales,
            self.in_channels,
            self.channels,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg,
            align_corners=self.align_corners,
        )
        self.bottleneck = ConvModule(
            self.in_channels + len(pool_scales) * self.channels,
            self.channels,
            3,
            padding=1,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg,
        )

    def _forward_feature(self, inputs: Any) -> Tensor:
        x = self._transform_inputs(inputs)
        return self.bottleneck(torch.cat([x, *self.psp_modules(x)], dim=1))

    def forward(self, inputs: Any) -> Tensor:
        """Backbone levels -> (N, K, h, w) logits."""
        return self.cls_seg(self._forward_feature(inputs))
