"""``SegformerHead``: the all-MLP decoder of Xie et al., "SegFormer: Simple and Efficient Design
for Semantic Segmentation with Transformers", https://arxiv.org/abs/2105.15203."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from visionbox.core.models.layers import ConvModule

from ...registry import MODELS
from ..utils import resize
from .decode_head import BaseDecodeHead

__all__ = ["SegformerHead"]


@MODELS.register_module()
class SegformerHead(BaseDecodeHead):
    """Per level a 1x1 ConvModule (``convs``), all resized to the first level, concatenated and
    fused by a 1x1 ConvModule (``fusion_conv``). ``input_transform`` is ``'multiple_select'``.

    Args:
        interpolate_mode: Mode of the resizes.
        **kwargs: Arguments of :class:`BaseDecodeHead` (checked against its signature).
    """

    _fixed_args = ("input_transform",)

    def __init__(self, interpolate_mode: str = "bilinear", **kwargs: Any) -> None:
        super().__init__(input_transform="multiple_select", **kwargs)
        self.interpolate_mode = interpolate_mode
        num_inputs = len(self.in_channels)
        self.convs = nn.ModuleList(
            ConvModule(
                in_channels=self.in_channels[i],
                out_channels=self.channels,
                kernel_size=1,
                stride=1,
                norm_cfg=self.norm_cfg,
                act_cfg=self.act_cfg,
            )
            for i in range(num_inputs)
        )
        self.fusion_conv = ConvModule(
            in_channels=self.channels * num_inputs,
            out_channels=self.channels,
            kernel_size=1,
            norm_cfg=self.norm_cfg,
        )

    def forward(self, inputs: Any) -> Tensor:
        """Backbone levels -> (N, K, h0, w0) logits at the first level's resolution."""
        inputs = self._transform_inputs(inputs)
        size = inputs[0].shape[2:]
        outs = [
            resize(conv(x), size, mode=self.interpolate_mode, align_corners=self.align_corners)
            for conv, x in zip(self.convs, inputs)
        ]
        return self.cls_seg(self.fusion_conv(torch.cat(outs, dim=1)))
