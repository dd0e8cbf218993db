"""Transformer bricks with mmcv 2.x's names, arguments and ``state_dict`` keys.

``PatchEmbed`` and ``PatchMerging`` (Swin, https://arxiv.org/abs/2103.14030; ViT,
https://arxiv.org/abs/2010.11929), ``FFN`` (``layers.0.0`` / ``layers.1`` linear layers),
``LayerScale`` (CaiT, https://arxiv.org/abs/2103.17239) and ``MultiheadAttention`` (mmcv's wrapper
of ``nn.MultiheadAttention``: keys ``attn.in_proj_weight`` / ``attn.out_proj.*``), which runs on
``torch.nn.functional.scaled_dot_product_attention`` because it never asks for the weights.

Shape shorthand: B batch, L = H * W tokens, C channels (``embed_dims``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from ...registry import MODELS
from .activation import build_activation_layer
from .conv import build_conv_layer
from .drop import build_dropout
from .norm import build_norm_layer

__all__ = [
    "AdaptivePadding",
    "FFN",
    "LayerScale",
    "MultiheadAttention",
    "PatchEmbed",
    "PatchMerging",
    "check_num_heads",
    "to_2tuple",
]

_PADDING_MODES = ("same", "corner")


def to_2tuple(value: int | Sequence[int]) -> tuple[int, int]:
    """``7 -> (7, 7)``; a pair stays a pair."""
    if isinstance(value, int):
        return value, value
    pair = tuple(value)
    if len(pair) != 2:
        raise ValueError(f"Expected an int or a pair, got {value!r}")
    return pair  # type: ignore[return-value]


def check_num_heads(embed_dims: int, num_heads: int) -> None:
    """Raise ``ValueError`` unless ``num_heads`` divides ``embed_dims``."""
    if num_heads < 1 or embed_dims % num_heads:
        raise ValueError(f"embed_dims ({embed_dims}) must be divisible by num_heads ({num_heads})")


def _out_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class AdaptivePadding(nn.Module):
    """Zero-pad (B, C, H, W) so that a kernel with this stride covers every pixel.

    ``'corner'`` pads bottom and right; ``'same'`` splits the padding like TensorFlow's SAME.
    Shapes: (B, C, H, W) -> (B, C, H + pad_h, W + pad_w).
    """

    def __init__(
        self,
        kernel_size: int | Sequence[int] = 1,
        stride: int | Sequence[int] = 1,
        dilation: int | Sequence[int] = 1,
        padding: Literal["same", "corner"] = "corner",
    ) -> None:
        super().__init__()
        if padding not in _PADDING_MODES:
            raise ValueError(
                f"AdaptivePadding padding must be one of {_PADDING_MODES}; got {padding!r}"
            )
        self.padding = padding
        self.kernel_size = to_2tuple(kernel_size)
        self.stride = to_2tuple(stride)
        self.dilation = to_2tuple(dilation)

    def get_pad_shape(self, input_shape: Sequence[int]) -> tuple[int, int]:
        """``(pad_h, pad_w)`` for an (H, W) input."""
        pads = []
        for size, kernel, stride, dilation in zip(
            input_shape, self.kernel_size, self.stride, self.dilation
        ):
            out = math.ceil(size / stride)
            pads.append(max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0))
        return pads[0], pads[1]

    def forward(self, x: Tensor) -> Tensor:
        pad_h, pad_w = self.get_pad_shape(x.shape[-2:])
        if pad_h == 0 and pad_w == 0:
            return x
        if self.padding == "corner":
            return F.pad(x, [0, pad_w, 0, pad_h])
        return F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])


def _adaptive_padding(
    padding: int | Sequence[int] | str, kernel_size: tuple, stride: tuple, dilation: tuple
) -> tuple[AdaptivePadding | None, tuple[int, int]]:
    if isinstance(padding, str):
        return AdaptivePadding(kernel_size, stride, dilation, padding), (0, 0)  # type: ignore[arg-type]
    return None, to_2tuple(padding)


class PatchEmbed(BaseModule):
    """Image to patch tokens with one convolution (``projection``) and an optional ``norm``.

    Shapes: (B, C_in, H, W) -> ((B, H_out * W_out, embed_dims), (H_out, W_out)).

    Args:
        in_channels: Input channels.
        embed_dims: Token channels.
        conv_type: Registered conv type of the projection.
        kernel_size: Projection kernel.
        stride: Projection stride (``None``: ``kernel_size``).
        padding: Conv padding, or ``'corner'`` / ``'same'`` adaptive padding so that the kernel
            covers every pixel.
        dilation: Projection dilation.
        bias: Bias of the projection.
        norm_cfg: Norm over the token channels (``dict(type='LN')``), or ``None``.
        input_size: When given, ``init_out_size`` holds the token grid of that input size.
        init_cfg: Initialization config.
    """

    def __init__(
        self,
        in_channels: int = 3,
        embed_dims: int = 768,
        conv_type: str = "Conv2d",
        kernel_size: int | Sequence[int] = 16,
        stride: int | Sequence[int] | None = 16,
        padding: int | Sequence[int] | str = "corner",
        dilation: int | Sequence[int] = 1,
        bias: bool = True,
        norm_cfg: dict | None = None,
        input_size: int | Sequence[int] | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        kernel = to_2tuple(kernel_size)
        stride_ = to_2tuple(kernel_size if stride is None else stride)
        dilation_ = to_2tuple(dilation)
        self.adaptive_padding, pad = _adaptive_padding(padding, kernel, stride_, dilation_)
        self.projection = build_conv_layer(
            dict(type=conv_type),
            in_channels=in_channels,
            out_channels=embed_dims,
            kernel_size=kernel,
            stride=stride_,
            padding=pad,
            dilation=dilation_,
            bias=bias,
        )
        self.norm = None if norm_cfg is None else build_norm_layer(norm_cfg, embed_dims)[1]
        self.init_input_size = self.init_out_size = None
        if input_size:
            size = to_2tuple(input_size)
            self.init_input_size = size
            if self.adaptive_padding is not None:
                pad_h, pad_w = self.adaptive_padding.get_pad_shape(size)
                size = (size[0] + pad_h, size[1] + pad_w)
            self.init_out_size = tuple(
                _out_size(s, k, st, p, d)
                for s, k, st, p, d in zip(size, kernel, stride_, pad, dilation_)
            )

    def forward(self, x: Tensor) -> tuple[Tensor, tuple[int, int]]:
        if self.adaptive_padding is not None:
            x = self.adaptive_padding(x)
        x = self.projection(x)
        out_size = (x.shape[2], x.shape[3])
        x = x.flatten(2).transpose(1, 2)
        if self.norm is not None:
            x = self.norm(x)
        return x, out_size


class PatchMerging(BaseModule):
    """Group each ``kernel_size`` neighbourhood of tokens, normalize and project (Swin).

    The neighbourhood is unfolded channel-major (``nn.Unfold`` order: channel, then row, then
    column), as mmcv does; the original Swin concatenates ``x0..x3`` instead, which
    ``SwinTransformer``'s checkpoint conversion reorders.

    Shapes: ((B, H * W, C_in), (H, W)) -> ((B, H_out * W_out, C_out), (H_out, W_out)).

    Args:
        in_channels: Input token channels.
        out_channels: Output token channels.
        kernel_size: Neighbourhood size.
        stride: Step between neighbourhoods (``None``: ``kernel_size``).
        padding: Padding, or ``'corner'`` / ``'same'`` adaptive padding.
        dilation: Dilation of the neighbourhood.
        bias: Bias of ``reduction``.
        norm_cfg: Norm over the ``kernel_h * kernel_w * C_in`` channels, or ``None``.
        init_cfg: Initialization config.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int] = 2,
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] | str = "corner",
        dilation: int | Sequence[int] = 1,
        bias: bool = False,
        norm_cfg: dict | None = dict(type="LN"),  # noqa: B006 (read-only default)
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        kernel = to_2tuple(kernel_size)
        stride_ = to_2tuple(stride or kernel_size)
        dilation_ = to_2tuple(dilation)
        self.adaptive_padding, pad = _adaptive_padding(padding, kernel, stride_, dilation_)
        self.sampler = nn.Unfold(
            kernel_size=kernel, dilation=dilation_, padding=pad, stride=stride_
        )
        sample_dim = kernel[0] * kernel[1] * in_channels
        self.norm = None if norm_cfg is None else build_norm_layer(norm_cfg, sample_dim)[1]
        self.reduction = nn.Linear(sample_dim, out_channels, bias=bias)

    def forward(self, x: Tensor, input_size: Sequence[int]) -> tuple[Tensor, tuple[int, int]]:
        batch, length, channels = x.shape
        height, width = input_size
        if length != height * width:
            raise ValueError(
                f"PatchMerging got {length} tokens for an input size of {height}x{width}"
            )
        x = x.view(batch, height, width, channels).permute(0, 3, 1, 2)
        if self.adaptive_padding is not None:
            x = self.adaptive_padding(x)
            height, width = x.shape[-2:]
        x = self.sampler(x)
        s = self.sampler
        out_size = (
            _out_size(height, s.kernel_size[0], s.stride[0], s.padding[0], s.dilation[0]),
            _out_size(width, s.kernel_size[1], s.stride[1], s.padding[1], s.dilation[1]),
        )
        x = x.transpose(1, 2)
        if self.norm is not None:
            x = self.norm(x)
        return self.reduction(x), out_size


class LayerScale(nn.Module):
    """Per-channel learnable scale (mmcv's: parameter ``weight``).

    Shapes: (..., C) for ``'channels_last'``; (B, C, ...) for ``'channels_first'``.
    """

    def __init__(
        self,
        dim: int,
        inplace: bool = False,
        data_format: Literal["channels_last", "channels_first"] = "channels_last",
        scale: float = 1e-5,
    ) -> None:
        super().__init__()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                f"LayerScale data_format must be 'channels_last' or 'channels_first'; "
                f"got {data_format!r}"
            )
        self.inplace = inplace
        self.data_format = data_format
        self.weight = nn.Parameter(torch.ones(dim) * scale)

    def forward(self, x: Tensor) -> Tensor:
        if self.data_format == "channels_first":
            weight = self.weight.view(-1, *([1] * (x.dim() - 2)))
        else:
            weight = self.weight
        return x.mul_(weight) if self.inplace else x * weight


@MODELS.register_module()
class FFN(BaseModule):
    """Feed-forward network with an identity connection (mmcv's keys ``layers.0.0``, ``layers.1``).

    ``num_fcs - 1`` blocks of Linear + activation + Dropout, then Linear + Dropout; the output goes
    through ``dropout_layer`` (e.g. ``DropPath``) and is added to ``identity`` (default: the input).
    Shapes: (..., embed_dims) -> (..., embed_dims).

    Args:
        embed_dims: Input and output channels.
        feedforward_channels: Hidden channels.
        num_fcs: Number of linear layers (>= 2).
        act_cfg: Activation after each hidden linear layer.
        ffn_drop: Dropout after each linear layer.
        dropout_layer: Applied to the output before the identity is added, or ``None``.
        add_identity: Add the identity connection.
        init_cfg: Initialization config.
        layer_scale_init_value: When > 0, a ``LayerScale`` (``gamma2``) scales the output.
    """

    def __init__(
        self,
        embed_dims: int = 256,
        feedforward_channels: int = 1024,
        num_fcs: int = 2,
        act_cfg: dict = dict(type="ReLU", inplace=True),  # noqa: B006 (read-only default)
        ffn_drop: float = 0.0,
        dropout_layer: dict | None = None,
        add_identity: bool = True,
        init_cfg: dict | list[dict] | None = None,
        layer_scale_init_value: float = 0.0,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_fcs < 2:
            raise ValueError(f"FFN num_fcs must be at least 2; got {num_fcs}")
        self.embed_dims = embed_dims
        self.feedforward_channels = feedforward_channels
        self.num_fcs = num_fcs
        layers: list[nn.Module] = []
        in_channels = embed_dims
        for _ in range(num_fcs - 1):
            layers.append(
                nn.Sequential(
                    nn.Linear(in_channels, feedforward_channels),
                    build_activation_layer(act_cfg),
                    nn.Dropout(ffn_drop),
                )
            )
            in_channels = feedforward_channels
        layers += [nn.Linear(feedforward_channels, embed_dims), nn.Dropout(ffn_drop)]
        self.layers = nn.Sequential(*layers)
        self.dropout_layer = build_dropout(dropout_layer)
        self.add_identity = add_identity
        self.gamma2 = (
            LayerScale(embed_dims, scale=layer_scale_init_value)
            if layer_scale_init_value > 0
            else nn.Identity()
        )

    def forward(self, x: Tensor, identity: Tensor | None = None) -> Tensor:
        out = self.dropout_layer(self.gamma2(self.layers(x)))
        if not self.add_identity:
            return out
        return (x if identity is None else identity) + out


@MODELS.register_module()
class MultiheadAttention(BaseModule):
    """mmcv's ``MultiheadAttention``: ``nn.MultiheadAttention`` (``attn``) with an identity
    connection, positional encodings and ``dropout_layer``.

    The attention runs without returning its weights, so PyTorch computes it with
    ``scaled_dot_product_attention`` (mmcv asks for the weights and takes the explicit path:
    same math, rounding within ~1e-6 relative).

    Shapes: query (L_q, B, C), or (B, L_q, C) with ``batch_first``; key / value (L_k, B, C);
    ``attn_mask`` (L_q, L_k) or (B * num_heads, L_q, L_k), bool (True: masked) or additive
    float; ``key_padding_mask`` (B, L_k) bool. Output: the shape of ``query``.

    Args:
        embed_dims: Channels C.
        num_heads: Attention heads.
        attn_drop: Dropout of the attention weights.
        proj_drop: Dropout after the output projection.
        dropout_layer: Applied before the identity is added (``Dropout`` / ``DropPath``).
        init_cfg: Initialization config.
        batch_first: Inputs are (B, L, C).
        bias: Biases of the input and output projections.
    """

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
        dropout_layer: dict | None = dict(type="Dropout", drop_prob=0.0),  # noqa: B006
        init_cfg: dict | list[dict] | None = None,
        batch_first: bool = False,
        bias: bool = True,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        check_num_heads(embed_dims, num_heads)
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.batch_first = batch_first
        self.attn = nn.MultiheadAttention(embed_dims, num_heads, attn_drop, bias=bias)
        self.proj_drop = nn.Dropout(proj_drop)
        self.dropout_layer = build_dropout(dropout_layer)

    def forward(
        self,
        query: Tensor,
        key: Tensor | None = None,
        value: Tensor | None = None,
        identity: Tensor | None = None,
        query_pos: Tensor | None = None,
        key_pos: Tensor | None = None,
        attn_mask: Tensor | None = None,
        key_padding_mask: Tensor | None = None,
    ) -> Tensor:
        key = query if key is None else key
        value = key if value is None else value
        identity = query if identity is None else identity
        if key_pos is None and query_pos is not None and query_pos.shape == key.shape:
            key_pos = query_pos
        if query_pos is not None:
            query = query + query_pos
        if key_pos is not None:
            key = key + key_pos
        if self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        out = self.attn(
            query,
            key,
            value,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
        )[0]
        if self.batch_first:
            out = out.transpose(0, 1)
        return identity + self.dropout_layer(self.proj_drop(out))
