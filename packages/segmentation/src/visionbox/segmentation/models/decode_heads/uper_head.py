"""``UPerHead``: Xiao et al., "Unified Perceptual Parsing for Scene Understanding",
https://arxiv.org/abs/1807.10221."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from visionbox.core.models.layers import ConvModule

from ...registry import MODELS
from ..utils import resize
from .decode_head import BaseDecodeHead
from .psp_head import PPM

__all__ = ["UPerHead"]


@MODELS.register_module()
class UPerHead(BaseDecodeHead):
    """A PPM on the last level plus an FPN over all levels (``input_transform`` is fixed to
    ``'multiple_select'``).

    Args:
        pool_scales: Output sizes of the pyramid poolings.
        **kwargs: Arguments of :class:`BaseDecodeHead` (checked against its signature).
    """

    _fixed_args = ("input_transform",)

    def __init__(self, pool_scales: Sequence[int] = (1, 2, 3, 6), **kwargs: Any) -> None:
        super().__init__(input_transform="multiple_select", **kwargs)
        common = dict(conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        self.psp_modules = PPM(
            pool_scales,
            self.in_channels[-1],
            self.channels,
            align_corners=self.align_corners,
            **common,
        )
        self.bottleneck = ConvModule(
            self.in_channels[-1] + len(pool_scales) * self.channels,
            self.channels,
            3,
            padding=1,
            **common,
        )
        self.lateral_convs = nn.ModuleList()
        self.fpn_convs = nn.ModuleList()
        for in_channels in self.in_channels[:-1]:
            self.lateral_convs.append(
                ConvModule(in_channels, self.channels, 1, inplace=False, **common)
            )
            self.fpn_convs.append(
                ConvModule(self.channels, self.channels, 3, padding=1, inplace=False, **common)
            )
        self.fpn_bottleneck = ConvModule(
            len(self.in_channels) * self.channels, self.channels, 3, padding=1, **common
        )

    def psp_forward(self, inputs: list[Tensor]) -> Tensor:
        """PPM + bottleneck on the last level."""
        x = inputs[-1]
        return self.bottleneck(torch.cat([x, *self.psp_modules(x)], dim=1))

    def _forward_feature(self, inputs: Any) -> Tensor:
        inputs = self._transform_inputs(inputs)
        laterals = [conv(inputs[i]) for i, conv in enumerate(self.lateral_convs)]
        laterals.append(self.psp_forward(inputs))
        levels = len(laterals)
        for i in range(levels - 1, 0, -1):
            laterals[i - 1] = laterals[i - 1] + resize(
                laterals[i],
                laterals[i - 1].shape[2:],
                mode="bilinear",
                align_corners=self.align_corners,
            )
        outs = [self.fpn_convs[i](laterals[i]) for i in range(levels - 1)]
        outs.append(laterals[-1])
        size = outs[0].shape[2:]
        outs = [outs[0]] + [
            resize(out, size, mode="bilinear", align_corners=self.align_corners) for out in outs[1:]
        ]
        return self.fpn_bottleneck(torch.cat(outs, dim=1))

    def forward(self, inputs: Any) -> Tensor:
        """Backbone levels -> (N, K, h0, w0) logits at the first level's resolution."""
        return self.cls_seg(self._forward_feature(inputs))
