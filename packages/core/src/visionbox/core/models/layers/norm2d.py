"""Channel norms of (N, C, H, W) maps as mmpretrain names them: ``LN2d`` (``LayerNorm2d``, the
LayerNorm of ConvNeXt, https://arxiv.org/abs/2201.03545) and ``GRN`` (Global Response
Normalization of ConvNeXt V2, https://arxiv.org/abs/2301.00808)."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...registry import MODELS

__all__ = ["GRN", "LayerNorm2d"]

DataFormat = Literal["channel_first", "channel_last"]
_FORMATS = ("channel_first", "channel_last")


def _check_format(data_format: str) -> None:
    if data_format not in _FORMATS:
        raise ValueError(f"data_format must be one of {_FORMATS}; got {data_format!r}")


@MODELS.register_module("LN2d")
class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of each pixel (keys ``weight``, ``bias``).

    Shapes: (N, C, H, W) with ``'channel_first'`` (the default), (N, H, W, C) with
    ``'channel_last'``; the output has the input's layout.
    """

    def __init__(
        self, num_channels: int, eps: float = 1e-5, elementwise_affine: bool = True
    ) -> None:
        super().__init__(num_channels, eps=eps, elementwise_affine=elementwise_affine)
        self.num_channels = num_channels

    def forward(self, x: Tensor, data_format: DataFormat = "channel_first") -> Tensor:
        _check_format(data_format)
        if x.dim() != 4:
            raise ValueError(f"LayerNorm2d expects a 4-D input, got shape {tuple(x.shape)}")
        if data_format == "channel_last":
            return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        x = F.layer_norm(
            x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps
        )
        return x.permute(0, 3, 1, 2).contiguous()


@MODELS.register_module()
class GRN(nn.Module):
    """``x + gamma * x * n(x) + beta`` with ``n`` each channel's spatial L2 norm over its mean
    across channels (keys ``gamma``, ``beta``).

    Shapes: (N, C, H, W) with ``'channel_first'``, (N, H, W, C) with ``'channel_last'``.
    """

    def __init__(self, in_channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.gamma = nn.Parameter(torch.zeros(in_channels))
        self.beta = nn.Parameter(torch.zeros(in_channels))
        self.eps = eps

    def forward(self, x: Tensor, data_format: DataFormat = "channel_first") -> Tensor:
        _check_format(data_format)
        if data_format == "channel_last":
            gx = torch.linalg.vector_norm(x, dim=(1, 2), keepdim=True)
            nx = gx / (gx.mean(dim=-1, keepdim=True) + self.eps)
            return self.gamma * (x * nx) + self.beta + x
        gx = torch.linalg.vector_norm(x, dim=(2, 3), keepdim=True)
        nx = gx / (gx.mean(dim=1, keepdim=True) + self.eps)
        return self.gamma.view(1, -1, 1, 1) * (x * nx) + self.beta.view(1, -1, 1, 1) + x
