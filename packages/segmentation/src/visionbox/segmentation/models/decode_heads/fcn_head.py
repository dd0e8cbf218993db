"""``FCNHead``: Long et al., "Fully Convolutional Networks for Semantic Segmentation",
https://arxiv.org/abs/1411.4038."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from visionbox.core.models.layers import ConvModule

from ...registry import MODELS
from .decode_head import BaseDecodeHead

__all__ = ["FCNHead"]


@MODELS.register_module()
class FCNHead(BaseDecodeHead):
    """``num_convs`` convs (``convs``), optionally concatenated with the input (``conv_cat``).

    Args:
        num_convs: Number of convs (0 needs ``in_channels == channels``).
        kernel_size: Kernel size of the convs.
        concat_input: Concatenate the input with the convs' output before ``conv_cat``.
        dilation: Dilation of the convs.
        **kwargs: Arguments of :class:`BaseDecodeHead` (checked against its signature).
    """

    def __init__(
        self,
        num_convs: int = 2,
        kernel_size: int = 3,
        concat_input: bool = True,
        dilation: int = 1,
        **kwargs: Any,
    ) -> None:
        if num_convs < 0 or not isinstance(dilation, int) or dilation <= 0:
            raise ValueError(
                "FCNHead needs num_convs >= 0 and an int dilation > 0, "
                f"got {num_convs}, {dilation}."
            )
        self.num_convs = num_convs
        self.concat_input = concat_input
        self.kernel_size = kernel_size
        super().__init__(**kwargs)
        if num_convs == 0 and self.in_channels != self.channels:
            raise ValueError("FCNHead with num_convs=0 needs in_channels == channels.")
        padding = kernel_size // 2 * dilation
        common = dict(conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        convs = [
            ConvModule(
                self.in_channels if i == 0 else self.channels,
                self.channels,
                kernel_size=kernel_size,
                padding=padding,
                dilation=dilation,
                **common,
            )
            for i in range(num_convs)
        ]
        self.convs = nn.Sequential(*convs) if convs else nn.Identity()
        if concat_input:
            self.conv_cat = ConvModule(
                self.in_channels + self.channels,
                self.channels,
                kernel_size=kernel_size,
                padding=kernel_size // 2,
                **common,
            )

    def _forward_feature(self, inputs: Any) -> Tensor:
        x = self._transform_inputs(inputs)
        feats = self.convs(x)
        if self.concat_input:
            feats = self.conv_cat(torch.cat([x, feats], dim=1))
        return feats

    def forward(self, inputs: Any) -> Tensor:
        """Backbone levels -> (N, K, h, w) logits at the selected level's resolution."""
        return self.cls_seg(self._forward_feature(inputs))
