"""``TCN``: the temporal convolutional network of VideoPose3D (Pavllo et al., "3D human pose
estimation in video with temporal convolutions and semi-supervised training", CVPR 2019).

Shape shorthand: B sequences, C_in = K * 2 input channels, T frames. With ``use_stride_conv``
each block divides T by its kernel size (243 -> 81 -> 27 -> 9 -> 3 -> 1 for kernels of 3).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from visionbox.core.models.base import BaseBackbone
from visionbox.core.models.layers import ConvModule, build_conv_layer

from ...registry import MODELS

__all__ = ["BasicTemporalBlock", "TCN"]

_CONV1D = dict(type="Conv1d")
_BN1D = dict(type="BN1d")


class BasicTemporalBlock(nn.Module):
    """Dilated (or strided) temporal conv, 1x1 conv, residual on the matching frames.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        mid_channels: Channels after the first conv.
        kernel_size: Temporal kernel size (odd).
        dilation: Dilation of the first conv (1 when ``use_stride_conv``).
        dropout: Dropout probability.
        causal: Use only past frames.
        residual: Add the residual connection.
        use_stride_conv: Stride instead of dilation (faster training).
        conv_cfg: Conv config.
        norm_cfg: Norm config.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        mid_channels: int = 1024,
        kernel_size: int = 3,
        dilation: int = 3,
        dropout: float = 0.25,
        causal: bool = False,
        residual: bool = True,
        use_stride_conv: bool = False,
        conv_cfg: dict = _CONV1D,
        norm_cfg: dict = _BN1D,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.residual = residual
        self.use_stride_conv = use_stride_conv
        self.pad = (kernel_size - 1) * dilation // 2
        if use_stride_conv:
            self.stride, self.dilation = kernel_size, 1
            self.causal_shift = kernel_size // 2 if causal else 0
        else:
            self.stride, self.dilation = 1, dilation
            self.causal_shift = kernel_size // 2 * dilation if causal else 0
        self.conv1 = nn.Sequential(
            ConvModule(
                in_channels,
                mid_channels,
                kernel_size=kernel_size,
                stride=self.stride,
                dilation=self.dilation,
                bias="auto",
                conv_cfg=dict(conv_cfg),
                norm_cfg=dict(norm_cfg),
            )
        )
        self.conv2 = nn.Sequential(
            ConvModule(
                mid_channels,
                out_channels,
                kernel_size=1,
                bias="auto",
                conv_cfg=dict(conv_cfg),
                norm_cfg=dict(norm_cfg),
            )
        )
        self.short_cut = (
            build_conv_layer(dict(conv_cfg), in_channels, out_channels, 1)
            if residual and in_channels != out_channels
            else None
        )
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None

    def forward(self, x: Tensor) -> Tensor:
        """(B, C_in, T) -> (B, C_out, T') with T' = T / k (stride) or T - 2 * pad."""
        out = self.conv1(x)
        if self.dropout is not None:
            out = self.dropout(out)
        out = self.conv2(out)
        if self.dropout is not None:
            out = self.dropout(out)
        if not self.residual:
            return out
        if self.use_stride_conv:
            start = self.causal_shift + self.kernel_size // 2
            res = x[:, :, start :: self.kernel_size]
        else:
            start = self.pad + self.causal_shift
            res = x[:, :, start : x.shape[2] - self.pad + self.causal_shift]
        if self.short_cut is not None:
            res = self.short_cut(res)
        return out + res[:, :, : out.shape[2]]


@MODELS.register_module()
class TCN(BaseBackbone):
    """Temporal convolutional network: a stem conv and ``num_blocks`` temporal blocks.

    Args:
        in_channels: K * 2 (or K * 3 with visibilities).
        stem_channels: Channels of every layer.
        num_blocks: Temporal blocks (``len(kernel_sizes) - 1``).
        kernel_sizes: Odd kernel sizes of the stem and of each block; the receptive field is their
            product (243 for five 3s).
        dropout: Dropout probability.
        causal: Use only past frames.
        residual: Residual connections.
        use_stride_conv: Strided convs (training on single target frames).
        conv_cfg: Conv config.
        norm_cfg: Norm config.
        max_norm: Clip conv weights to this norm after each forward (None: no clipping).
        init_cfg: Weight initialisation config.
    """

    def __init__(
        self,
        in_channels: int,
        stem_channels: int = 1024,
        num_blocks: int = 2,
        kernel_sizes: Sequence[int] = (3, 3, 3),
        dropout: float = 0.25,
        causal: bool = False,
        residual: bool = True,
        use_stride_conv: bool = False,
        conv_cfg: dict = _CONV1D,
        norm_cfg: dict = _BN1D,
        max_norm: float | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if init_cfg is None:
            init_cfg = [
                dict(type="Kaiming", mode="fan_in", nonlinearity="relu", layer=["Conv1d"]),
                dict(type="Constant", val=1, layer=["_BatchNorm", "GroupNorm"]),
            ]
        super().__init__(init_cfg=init_cfg)
        if num_blocks != len(kernel_sizes) - 1:
            raise ValueError(
                f"TCN needs len(kernel_sizes) == num_blocks + 1; got {len(kernel_sizes)} kernel "
                f"sizes for {num_blocks} blocks."
            )
        if any(k % 2 != 1 for k in kernel_sizes):
            raise ValueError(f"TCN supports odd kernel sizes only; got {tuple(kernel_sizes)}.")
        self.in_channels = in_channels
        self.stem_channels = stem_channels
        self.num_blocks = num_blocks
        self.kernel_sizes = tuple(kernel_sizes)
        self.max_norm = max_norm
        self.out_channels = [stem_channels] * num_blocks
        self.expand_conv = ConvModule(
            in_channels,
            stem_channels,
            kernel_size=kernel_sizes[0],
            stride=kernel_sizes[0] if use_stride_conv else 1,
            bias="auto",
            conv_cfg=dict(conv_cfg),
            norm_cfg=dict(norm_cfg),
        )
        dilation = kernel_sizes[0]
        self.tcn_blocks = nn.ModuleList()
        for i in range(1, num_blocks + 1):
            self.tcn_blocks.append(
                BasicTemporalBlock(
                    in_channels=stem_channels,
                    out_channels=stem_channels,
                    mid_channels=stem_channels,
                    kernel_size=kernel_sizes[i],
                    dilation=dilation,
                    dropout=dropout,
                    causal=causal,
                    residual=residual,
                    use_stride_conv=use_stride_conv,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                )
            )
            dilation *= kernel_sizes[i]
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        """(B, C_in, T) -> one (B, stem_channels, T_i) map per block."""
        if self.max_norm is not None and self.training:
            self._clip_weights()
        x = self.expand_conv(x)
        if self.dropout is not None:
            x = self.dropout(x)
        outs = []
        for block in self.tcn_blocks:
            x = block(x)
            outs.append(x)
        return tuple(outs)

    def _clip_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.modules.conv._ConvNd):
                with torch.no_grad():
                    dims = tuple(range(1, module.weight.ndim))
                    norm = module.weight.norm(dim=dims, keepdim=True)
                    module.weight.mul_(norm.clamp(max=self.max_norm) / norm.clamp(min=1e-8))
