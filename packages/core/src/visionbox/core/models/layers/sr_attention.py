"""Spatial-reduction multi-head attention (SegFormer's "efficient self-attention", Xie et al. 2021,
https://arxiv.org/abs/2105.15203; PVT, https://arxiv.org/abs/2102.12122) with mmsegmentation 1.2's
``EfficientMultiheadAttention`` arguments and ``state_dict`` keys.

Keys and values come from the token map shrunk by a strided ``sr_ratio`` x ``sr_ratio`` conv, so
attention over N = H * W queries costs N * N / sr_ratio**2 instead of N * N.

Keys: ``attn.in_proj_weight`` (3C, C), ``attn.in_proj_bias``, ``attn.out_proj.{weight,bias}`` (the
``torch.nn.MultiheadAttention`` layout that mmcv's ``MultiheadAttention`` wraps), ``sr`` and
``norm`` when ``sr_ratio > 1``. It is core's :class:`MultiheadAttention` (mmcv's) fed with the
reduced keys and values, so it runs on ``scaled_dot_product_attention``; the peer asks
``nn.MultiheadAttention`` for the weights (explicit softmax), so outputs agree to float rounding,
not bit for bit.

Shape shorthand: N batch, L = H * W tokens, C embed_dims, r sr_ratio.
"""

from __future__ import annotations

from torch import Tensor, nn

from .norm import build_norm_layer
from .transformer import MultiheadAttention

__all__ = ["EfficientMultiheadAttention", "nchw_to_nlc", "nlc_to_nchw"]


def nlc_to_nchw(x: Tensor, hw_shape: tuple[int, int]) -> Tensor:
    """(N, H * W, C) tokens -> (N, C, H, W) map."""
    n, length, c = x.shape
    h, w = hw_shape
    if length != h * w:
        raise ValueError(f"{length} tokens do not form a {h}x{w} map.")
    return x.transpose(1, 2).reshape(n, c, h, w)


def nchw_to_nlc(x: Tensor) -> Tensor:
    """(N, C, H, W) map -> (N, H * W, C) tokens."""
    return x.flatten(2).transpose(1, 2)


class EfficientMultiheadAttention(MultiheadAttention):
    """Multi-head self-attention whose keys and values are spatially reduced by ``sr_ratio``.

    Args:
        embed_dims: C, the token width.
        num_heads: Heads; C must be divisible by it.
        attn_drop: Dropout on the attention weights (training only).
        proj_drop: Dropout after the output projection.
        dropout_layer: Applied to the attention branch before the residual sum (``DropPath``).
        init_cfg: Initialization config.
        batch_first: Tokens are (N, L, C) (mmseg's default here).
        qkv_bias: Biases of the input and output projections.
        norm_cfg: Norm after the reduction conv.
        sr_ratio: r: kernel and stride of the reduction conv (1: no reduction).
    """

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
        dropout_layer: dict | None = None,
        init_cfg: dict | None = None,
        batch_first: bool = True,
        qkv_bias: bool = False,
        norm_cfg: dict = dict(type="LN"),  # noqa: B006 (read-only default)
        sr_ratio: int = 1,
    ) -> None:
        super().__init__(
            embed_dims,
            num_heads,
            attn_drop,
            proj_drop,
            dropout_layer=dropout_layer,
            init_cfg=init_cfg,
            batch_first=batch_first,
            bias=qkv_bias,
        )
        if sr_ratio < 1:
            raise ValueError(f"sr_ratio must be >= 1, got {sr_ratio}.")
        self.sr_ratio = sr_ratio
        if sr_ratio > 1:
            self.sr = nn.Conv2d(embed_dims, embed_dims, sr_ratio, stride=sr_ratio)
            self.norm = build_norm_layer(norm_cfg, embed_dims)[1]

    def reduce(self, x: Tensor, hw_shape: tuple[int, int]) -> Tensor:
        """(N, H * W, C) tokens -> (N, (H // r) * (W // r), C) key/value tokens."""
        if self.sr_ratio == 1:
            return x
        return self.norm(nchw_to_nlc(self.sr(nlc_to_nchw(x, hw_shape))))

    def forward(  # type: ignore[override]
        self, x: Tensor, hw_shape: tuple[int, int], identity: Tensor | None = None
    ) -> Tensor:
        """Attend from the tokens ``x`` to their reduced map.

        Args:
            x: (N, H * W, C) tokens (already normalised by the caller); (H * W, N, C) when
                ``batch_first`` is False.
            hw_shape: (H, W) of the token map.
            identity: Residual of the shape of ``x``; ``x`` when None.

        Returns:
            ``identity + dropout_layer(attention(x))``, the shape of ``x``.
        """
        if not self.batch_first:
            x_kv = self.reduce(x.transpose(0, 1), hw_shape).transpose(0, 1)
        else:
            x_kv = self.reduce(x, hw_shape)
        return super().forward(x, x_kv, x_kv, identity=identity)
