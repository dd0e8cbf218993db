"""Deformable convolutions on ``torchvision.ops.deform_conv2d``, under mmcv's names and keys.

* ``DCN`` (v1, Dai et al. 2017, https://arxiv.org/abs/1703.06211): learned offsets.
* ``DCNv2`` (Zhu et al. 2018, https://arxiv.org/abs/1811.11168): learned offsets and modulation
  masks.

Both keep mmcv's ``state_dict`` keys (``weight``, ``bias``, ``conv_offset.weight``,
``conv_offset.bias``) and offset layout: ``conv_offset`` predicts ``(dy, dx)`` pairs per kernel
point and deformable group (then, for v2, one mask logit per point), the layout torchvision reads.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.modules.utils import _pair
from torchvision.ops import deform_conv2d

from ...registry import MODELS

__all__ = ["DeformConv2dPack", "ModulatedDeformConv2dPack"]

IntPair = int | tuple[int, int]


class _DeformConvBase(nn.Module):
    """Weights and the offset branch shared by DCN and DCNv2."""

    _offset_parts = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair,
        padding: IntPair,
        dilation: IntPair,
        groups: int,
        deform_groups: int,
        bias: bool,
    ) -> None:
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                f"divisible by groups ({groups})."
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = groups
        self.deform_groups = deform_groups
        self.transposed = False
        self.output_padding = _pair(0)
        self.weight = nn.Parameter(
            torch.empty(out_channels, in_channels // groups, *self.kernel_size)
        )
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        kernel_points = self.kernel_size[0] * self.kernel_size[1]
        self.conv_offset = nn.Conv2d(
            in_channels,
            deform_groups * self._offset_parts * kernel_points,
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            bias=True,
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-uniform weights as ``nn.Conv2d``; zero offsets so training starts as a conv."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight[0].numel()
            nn.init.uniform_(self.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))
        nn.init.zeros_(self.conv_offset.weight)
        nn.init.zeros_(self.conv_offset.bias)

    def init_weights(self) -> None:
        """Keep the zero offsets when an enclosing module initialises its convs."""
        nn.init.zeros_(self.conv_offset.weight)
        nn.init.zeros_(self.conv_offset.bias)

    def _deform(self, x: Tensor, offset: Tensor, mask: Tensor | None) -> Tensor:
        return deform_conv2d(
            x,
            offset,
            self.weight,
            self.bias,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            mask=mask,
        )


@MODELS.register_module("DCN")
class DeformConv2dPack(_DeformConvBase):
    """Deformable convolution v1 with its own offset branch.

    Shapes: (N, in_channels, H, W) -> (N, out_channels, H', W') as ``nn.Conv2d``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: IntPair = 0,
        dilation: IntPair = 1,
        groups: int = 1,
        deform_groups: int = 1,
        bias: bool = False,
        im2col_step: int = 32,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            deform_groups,
            bias,
        )
        self.im2col_step = im2col_step  # accepted for mmcv configs; torchvision needs no chunking

    def forward(self, x: Tensor) -> Tensor:
        return self._deform(x, self.conv_offset(x), None)


@MODELS.register_module("DCNv2")
class ModulatedDeformConv2dPack(_DeformConvBase):
    """Modulated deformable convolution (DCNv2) with its own offset-and-mask branch.

    Shapes: (N, in_channels, H, W) -> (N, out_channels, H', W') as ``nn.Conv2d``.
    """

    _offset_parts = 3

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: IntPair = 0,
        dilation: IntPair = 1,
        groups: int = 1,
        deform_groups: int = 1,
        bias: bool | str = True,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            deform_groups,
            bool(bias),
        )

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv_offset(x)
        split = out.shape[1] * 2 // 3
        return self._deform(x, out[:, :split], torch.sigmoid(out[:, split:]))
