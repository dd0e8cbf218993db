"""``DepthwiseSeparableASPPHead`` (DeepLabV3+): Chen et al., "Encoder-Decoder with Atrous
Separable Convolution for Semantic Image Segmentation", https://arxiv.org/abs/1802.02611."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from visionbox.core.models.layers import ConvModule, DepthwiseSeparableConvModule

from ...registry import MODELS
from ..utils import resize
from .aspp_head import ASPPHead

__all__ = ["DepthwiseSeparableASPPHead"]


@MODELS.register_module()
class DepthwiseSeparableASPPHead(ASPPHead):
    """ASPP with depthwise-separable atrous branches, fused with low-level features
    (``inputs[0]`` through ``c1_bottleneck``) by two separable convs (``sep_bottleneck``).

    Args:
        c1_in_channels: Channels of ``inputs[0]`` (0: no low-level branch).
        c1_channels: Channels of the low-level branch.
        **kwargs: Arguments of :class:`ASPPHead` (checked against its signature).
    """

    def __init__(self, c1_in_channels: int, c1_channels: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if c1_in_channels < 0:
            raise ValueError(f"c1_in_channels must be >= 0, got {c1_in_channels}.")
        for i, dilation in enumerate(self.dilations):
            if dilation > 1:
                self.aspp_modules[i] = DepthwiseSeparableConvModule(
                    self.in_channels,
                    self.channels,
                    3,
                    dilation=dilation,
                    padding=dilation,
                    norm_cfg=self.norm_cfg,
                    act_cfg=self.act_cfg,
                )
        self.c1_bottleneck = (
            ConvModule(
                c1_in_channels,
                c1_channels,
                1,
                conv_cfg=self.conv_cfg,
                norm_cfg=self.norm_cfg,
                act_cfg=self.act_cfg,
            )
            if c1_in_channels > 0
            else None
        )
        sep = dict(kernel_size=3, padding=1, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        self.sep_bottleneck = nn.Sequential(
            DepthwiseSeparableConvModule(self.channels + c1_channels, self.channels, **sep),
            DepthwiseSeparableConvModule(self.channels, self.channels, **sep),
        )

    def forward(self, inputs: Any) -> Tensor:
        """Backbone levels -> (N, K, h0, w0) logits at the resolution of ``inputs[0]``."""
        output = self._aspp(self._transform_inputs(inputs))
        if self.c1_bottleneck is not None:
            c1 = self.c1_bottleneck(inputs[0])
            output = resize(output, c1.shape[2:], mode="bilinear", align_corners=self.align_corners)
            output = torch.cat([output, c1], dim=1)
        return self.cls_seg(self.sep_bottleneck(output))
