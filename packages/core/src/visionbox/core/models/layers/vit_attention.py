"""Global multi-head self-attention with one fused ``qkv`` projection: mmpretrain 1.2's
``MultiheadAttention`` (the ViT / DeiT / MAE block attention), keys ``qkv.{weight,bias}``,
``proj.{weight,bias}`` and ``gamma1.weight`` with layer scale.

It runs on ``torch.nn.functional.scaled_dot_product_attention``, as mmpretrain does on PyTorch 2,
so the two agree to the last bit on the same weights.

Shape shorthand: N batch, L tokens, C embed_dims.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from .drop import build_dropout
from .transformer import LayerScale

__all__ = ["MultiheadSelfAttention"]


class MultiheadSelfAttention(nn.Module):
    """``x -> dropout_layer(gamma1(proj_drop(proj(softmax(q k^T / sqrt(d)) v))))``.

    No residual: the encoder block adds it. (N, L, input_dims) -> (N, L, C).

    Args:
        embed_dims: C; divisible by ``num_heads``.
        num_heads: Attention heads.
        input_dims: Token width of the input (default C).
        attn_drop: Dropout on the attention weights (training only).
        proj_drop: Dropout after ``proj``.
        dropout_layer: Applied last (``DropPath`` in ViT blocks); ``None``: identity.
        qkv_bias: Bias of ``qkv``.
        proj_bias: Bias of ``proj``.
        layer_scale_init_value: > 0 adds ``gamma1``, a LayerScale with this initial value.
    """

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        input_dims: int | None = None,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
        dropout_layer: dict | None = None,
        qkv_bias: bool = True,
        proj_bias: bool = True,
        layer_scale_init_value: float = 0.0,
    ) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f"embed_dims={embed_dims} is not divisible by num_heads={num_heads}.")
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.attn_drop = attn_drop
        self.qkv = nn.Linear(input_dims or embed_dims, embed_dims * 3, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims, bias=proj_bias)
        self.proj_drop = nn.Dropout(proj_drop)
        self.out_drop = build_dropout(dropout_layer)
        self.gamma1 = (
            LayerScale(embed_dims, scale=layer_scale_init_value)
            if layer_scale_init_value > 0
            else nn.Identity()
        )

    def forward(self, x: Tensor) -> Tensor:
        """(N, L, input_dims) -> (N, L, C)."""
        n, length, _ = x.shape
        qkv = self.qkv(x).reshape(n, length, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        drop = self.attn_drop if self.training else 0.0
        out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], dropout_p=drop)
        out = self.proj(out.transpose(1, 2).reshape(n, length, self.embed_dims))
        return self.out_drop(self.gamma1(self.proj_drop(out)))
