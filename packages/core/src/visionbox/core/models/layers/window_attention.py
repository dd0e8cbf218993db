"""Window multi-head self-attention with relative position bias, plain and shifted (Swin,
https://arxiv.org/abs/2103.14030), with mmdetection's / mmsegmentation's ``state_dict`` keys
(``w_msa.relative_position_bias_table``, ``w_msa.relative_position_index``, ``w_msa.qkv``,
``w_msa.proj``).

On GPUs the attention runs on ``torch.nn.functional.scaled_dot_product_attention`` with the
relative position bias and the shifted-window mask as its additive ``attn_mask`` (the peers scale
``q`` and add the bias by hand: same math, rounding within ~1e-6 relative). On the CPU it is two
batched matmuls around a softmax: PyTorch's CPU kernels for a float mask take about twice as long
on windows of 49 tokens.

Shape shorthand: B batch, H x W token grid, C channels, w window side, N = w * w tokens per window,
nW windows per image, nH heads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from torch import Tensor, nn

from .drop import build_dropout
from .transformer import check_num_heads, to_2tuple

__all__ = [
    "ShiftWindowMSA",
    "WindowMSA",
    "relative_position_index",
    "shifted_window_mask",
    "window_partition",
    "window_reverse",
]

#: The additive mask value of token pairs from different regions (the peers' -100, not -inf).
MASK_VALUE = -100.0


def window_partition(x: Tensor, window_size: int) -> Tensor:
    """Cut (B, H, W, C) into windows (B * nW, w, w, C), image-major, windows in row order."""
    batch, height, width, channels = x.shape
    x = x.view(
        batch, height // window_size, window_size, width // window_size, window_size, channels
    )
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window_size, window_size, channels)


def window_reverse(windows: Tensor, height: int, width: int) -> Tensor:
    """Inverse of :func:`window_partition`: (B * nW, w, w, C) -> (B, H, W, C)."""
    window_size = windows.shape[1]
    rows, cols = height // window_size, width // window_size
    x = windows.view(-1, rows, cols, window_size, window_size, windows.shape[-1])
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, height, width, windows.shape[-1])


def relative_position_index(window_size: tuple[int, int]) -> Tensor:
    """(N, N) index into the ``(2 * Wh - 1) * (2 * Ww - 1)`` bias table.

    Token ``p = (i, j)`` and token ``q = (k, l)`` read row ``(i - k + Wh - 1) * (2 * Ww - 1) +
    (j - l + Ww - 1)``.
    """
    wh, ww = window_size
    rows, cols = torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing="ij")
    rows, cols = rows.flatten(), cols.flatten()
    d_rows = rows[:, None] - rows[None, :] + wh - 1
    d_cols = cols[:, None] - cols[None, :] + ww - 1
    return d_rows * (2 * ww - 1) + d_cols


def shifted_window_mask(
    height: int, width: int, window_size: int, shift_size: int, device: torch.device | None = None
) -> Tensor:
    """(nW, N, N) additive mask for shifted windows: 0 within a region, ``MASK_VALUE`` across.

    After the cyclic shift by ``shift_size``, the last window row / column holds pixels from up to
    three regions (``[0, H - w)``, ``[H - w, H - s)``, ``[H - s, H)`` along each axis); tokens of
    different regions must not attend to each other.
    """
    rows = torch.arange(height, device=device)
    cols = torch.arange(width, device=device)
    row_region = (rows >= height - window_size).long() + (rows >= height - shift_size).long()
    col_region = (cols >= width - window_size).long() + (cols >= width - shift_size).long()
    region = (row_region[:, None] * 3 + col_region[None, :]).float()
    windows = window_partition(region[None, :, :, None], window_size).reshape(-1, window_size**2)
    different = windows[:, None, :] != windows[:, :, None]
    return torch.zeros(different.shape, device=device).masked_fill_(different, MASK_VALUE)


class WindowMSA(BaseModule):
    """Multi-head self-attention inside each window, with a learned relative position bias.

    Shapes: x (B * nW, N, C), mask (nW, N, N) additive or ``None`` -> (B * nW, N, C).

    Args:
        embed_dims: Channels C.
        num_heads: Heads nH.
        window_size: (Wh, Ww).
        qkv_bias: Bias of ``qkv``.
        qk_scale: Scale of ``q . k`` (``None``: ``head_dims ** -0.5``).
        attn_drop_rate: Dropout of the attention weights.
        proj_drop_rate: Dropout after ``proj``.
        init_cfg: Initialization config.
    """

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        window_size: tuple[int, int],
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        attn_drop_rate: float = 0.0,
        proj_drop_rate: float = 0.0,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        check_num_heads(embed_dims, num_heads)
        self.embed_dims = embed_dims
        self.window_size = to_2tuple(window_size)
        self.num_heads = num_heads
        self.scale = qk_scale or (embed_dims // num_heads) ** -0.5
        wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * wh - 1) * (2 * ww - 1), num_heads)
        )
        self.register_buffer("relative_position_index", relative_position_index(self.window_size))
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.attn_drop = attn_drop_rate
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop_rate)

    def init_weights(self) -> None:
        super().init_weights()
        trunc_normal_(self.relative_position_bias_table, std=0.02)

    def relative_position_bias(self) -> Tensor:
        """(nH, N, N) bias gathered from the table."""
        n = self.window_size[0] * self.window_size[1]
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        return bias.view(n, n, -1).permute(2, 0, 1)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        batch_windows, n, channels = x.shape
        heads = self.num_heads
        qkv = self.qkv(x).view(batch_windows, n, 3, heads, channels // heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (B * nW, nH, N, d)
        bias = self.relative_position_bias()
        if mask is not None:
            num_windows = mask.shape[0]
            # (nW * nH, N, N) against queries viewed as (B, nW * nH, N, d)
            bias = (bias[None] + mask[:, None].to(bias.dtype)).reshape(num_windows * heads, n, n)
            q, k, v = (t.reshape(-1, num_windows * heads, n, t.shape[-1]) for t in (q, k, v))
        dropout = self.attn_drop if self.training else 0.0
        if q.device.type == "cpu":
            out = _biased_attention(q, k, v, bias.to(q.dtype), self.scale, dropout)
        else:
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=bias.to(q.dtype), dropout_p=dropout, scale=self.scale
            )
        out = out.reshape(batch_windows, heads, n, -1).transpose(1, 2).reshape(x.shape)
        return self.proj_drop(self.proj(out))


def _biased_attention(
    q: Tensor, k: Tensor, v: Tensor, bias: Tensor, scale: float, dropout: float
) -> Tensor:
    """``softmax(q k^T * scale + bias) v`` as two batched matmuls: (B, h, N, d) q / k / v and
    an (h, N, N) bias -> (B, h, N, d). On the CPU this is about twice as fast as
    ``scaled_dot_product_attention`` with a float mask, for windows of a few dozen tokens."""
    batch, heads, n, dims = q.shape
    logits = torch.baddbmm(
        bias.expand(batch, heads, n, n).reshape(batch * heads, n, n),
        q.reshape(batch * heads, n, dims),
        k.reshape(batch * heads, n, dims).transpose(1, 2),
        alpha=scale,
    )
    weights = F.dropout(logits.softmax(-1), dropout, training=dropout > 0)
    return torch.bmm(weights, v.reshape(batch * heads, n, dims)).view(batch, heads, n, dims)


class ShiftWindowMSA(BaseModule):
    """(Shifted) window attention over a token grid, padded to whole windows.

    Shapes: ((B, H * W, C), (H, W)) -> (B, H * W, C).

    Args:
        embed_dims: Channels C.
        num_heads: Heads.
        window_size: Window side w.
        shift_size: Cyclic shift towards the top-left (0: plain windows); ``0 <= s < w``.
        qkv_bias: Bias of ``qkv``.
        qk_scale: Scale of ``q . k`` (``None``: ``head_dims ** -0.5``).
        attn_drop_rate: Dropout of the attention weights.
        proj_drop_rate: Dropout after the projection.
        dropout_layer: Applied to the output (``DropPath``).
        init_cfg: Initialization config.
    """

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        window_size: int,
        shift_size: int = 0,
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        attn_drop_rate: float = 0.0,
        proj_drop_rate: float = 0.0,
        dropout_layer: dict | None = dict(type="DropPath", drop_prob=0.0),  # noqa: B006
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 <= shift_size < window_size:
            raise ValueError(
                f"shift_size must be in [0, window_size={window_size}); got {shift_size}"
            )
        self.window_size = window_size
        self.shift_size = shift_size
        self.w_msa = WindowMSA(
            embed_dims=embed_dims,
            num_heads=num_heads,
            window_size=to_2tuple(window_size),
            qkv_bias=qkv_bias,
            qk_scale=qk_scale,
            attn_drop_rate=attn_drop_rate,
            proj_drop_rate=proj_drop_rate,
        )
        self.drop = build_dropout(dropout_layer)

    def forward(self, query: Tensor, hw_shape: tuple[int, int]) -> Tensor:
        batch, length, channels = query.shape
        height, width = hw_shape
        if length != height * width:
            raise ValueError(f"ShiftWindowMSA got {length} tokens for a {height}x{width} grid")
        ws, shift = self.window_size, self.shift_size
        x = query.view(batch, height, width, channels)
        pad_r, pad_b = (ws - width % ws) % ws, (ws - height % ws) % ws
        if pad_r or pad_b:
            x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
        h_pad, w_pad = x.shape[1], x.shape[2]
        mask = None
        if shift > 0:
            x = torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))
            mask = shifted_window_mask(h_pad, w_pad, ws, shift, device=x.device)
        windows = window_partition(x, ws).reshape(-1, ws * ws, channels)
        windows = self.w_msa(windows, mask=mask).reshape(-1, ws, ws, channels)
        x = window_reverse(windows, h_pad, w_pad)
        if shift > 0:
            x = torch.roll(x, shifts=(shift, shift), dims=(1, 2))
        if pad_r or pad_b:
            x = x[:, :height, :width, :]
        return self.drop(x.reshape(batch, length, channels))
