"""Mix Transformer (MiT), the SegFormer encoder (Xie et al. 2021, https://arxiv.org/abs/2105.15203),
with mmsegmentation 1.2's ``MixVisionTransformer`` arguments, defaults and ``state_dict`` keys.

Stage ``i`` is ``layers.i``: ``layers.i.0`` an overlapping patch embedding (conv ``patch_sizes[i]``,
stride ``strides[i]``, padding ``patch_sizes[i] // 2``, then LayerNorm), ``layers.i.1.<j>`` its
encoder blocks (spatial-reduction attention with ``sr_ratios[i]`` and Mix-FFN), ``layers.i.2`` the
stage's LayerNorm. Stage ``i`` has ``embed_dims * num_heads[i]`` channels.

The configs b0..b5 differ in ``embed_dims`` (32 for b0, 64 otherwise) and ``num_layers``
(b0/b1 [2, 2, 2, 2], b2 [3, 4, 6, 3], b3 [3, 4, 18, 3], b4 [3, 8, 27, 3], b5 [3, 6, 40, 3]).

Shape shorthand: N batch, H_i x W_i the map of stage i, C_i = embed_dims * num_heads[i].
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch.utils.checkpoint as cp
from mmengine.model.weight_init import constant_init, normal_init, trunc_normal_init
from torch import Tensor, nn

from ...registry import MODELS
from ..base import BaseBackbone
from ..layers import (
    EfficientMultiheadAttention,
    PatchEmbed,
    build_activation_layer,
    build_dropout,
    build_norm_layer,
    nchw_to_nlc,
    nlc_to_nchw,
)

__all__ = ["MixFFN", "MixVisionTransformer"]


class MixFFN(nn.Module):
    """Mix-FFN: 1x1 conv, 3x3 depthwise conv (the positional cue), activation, 1x1 conv.

    Keys: ``layers.0`` (fc1), ``layers.1`` (depthwise), ``layers.4`` (fc2), as in mmseg.

    Args:
        embed_dims: C, the token width.
        feedforward_channels: Hidden width.
        act_cfg: Activation after the depthwise conv.
        ffn_drop: Dropout after the activation and after fc2.
        dropout_layer: Applied to the branch before the residual sum (``DropPath``).
    """

    def __init__(
        self,
        embed_dims: int,
        feedforward_channels: int,
        act_cfg: dict = dict(type="GELU"),  # noqa: B006 (read-only default)
        ffn_drop: float = 0.0,
        dropout_layer: dict | None = None,
    ) -> None:
        super().__init__()
        self.embed_dims = embed_dims
        self.feedforward_channels = feedforward_channels
        hidden = feedforward_channels
        drop = nn.Dropout(ffn_drop)
        self.layers = nn.Sequential(
            nn.Conv2d(embed_dims, hidden, 1),
            nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden),
            build_activation_layer(act_cfg),
            drop,
            nn.Conv2d(hidden, embed_dims, 1),
            drop,
        )
        self.dropout_layer = build_dropout(dropout_layer) if dropout_layer else nn.Identity()

    def forward(
        self, x: Tensor, hw_shape: tuple[int, int], identity: Tensor | None = None
    ) -> Tensor:
        """(N, H * W, C) tokens -> (N, H * W, C) ``identity + dropout_layer(ffn(x))``."""
        out = nchw_to_nlc(self.layers(nlc_to_nchw(x, hw_shape)))
        return (x if identity is None else identity) + self.dropout_layer(out)


class MiTEncoderLayer(nn.Module):
    """Pre-norm block: ``x + attn(norm1(x))`` then ``x + ffn(norm2(x))`` (mmseg's
    ``TransformerEncoderLayer`` of ``mit.py``; keys ``norm1``, ``attn``, ``norm2``, ``ffn``)."""

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        feedforward_channels: int,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        qkv_bias: bool = True,
        act_cfg: dict = dict(type="GELU"),  # noqa: B006 (read-only default)
        norm_cfg: dict = dict(type="LN"),  # noqa: B006 (read-only default)
        sr_ratio: int = 1,
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        drop_path = dict(type="DropPath", drop_prob=drop_path_rate)
        self.norm1 = build_norm_layer(norm_cfg, embed_dims)[1]
        self.attn = EfficientMultiheadAttention(
            embed_dims,
            num_heads,
            attn_drop=attn_drop_rate,
            proj_drop=drop_rate,
            dropout_layer=drop_path,
            qkv_bias=qkv_bias,
            norm_cfg=norm_cfg,
            sr_ratio=sr_ratio,
        )
        self.norm2 = build_norm_layer(norm_cfg, embed_dims)[1]
        self.ffn = MixFFN(
            embed_dims,
            feedforward_channels,
            act_cfg=act_cfg,
            ffn_drop=drop_rate,
            dropout_layer=drop_path,
        )
        self.with_cp = with_cp

    def _inner(self, x: Tensor, hw_shape: tuple[int, int]) -> Tensor:
        x = self.attn(self.norm1(x), hw_shape, identity=x)
        return self.ffn(self.norm2(x), hw_shape, identity=x)

    def forward(self, x: Tensor, hw_shape: tuple[int, int]) -> Tensor:
        """(N, H * W, C) -> (N, H * W, C)."""
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(self._inner, x, hw_shape, use_reentrant=False)
        return self._inner(x, hw_shape)


@MODELS.register_module()
class MixVisionTransformer(BaseBackbone):
    """The SegFormer encoder: four stages of overlapping patch embedding and efficient attention.

    Args:
        in_channels: Input image channels.
        embed_dims: Base width; stage ``i`` has ``embed_dims * num_heads[i]`` channels.
        num_stages: Number of stages (the length of every per-stage list).
        num_layers: Encoder blocks per stage.
        num_heads: Attention heads per stage.
        patch_sizes: Patch-embedding conv kernel per stage (padding ``k // 2``).
        strides: Patch-embedding conv stride per stage.
        sr_ratios: Spatial reduction of keys and values per stage.
        out_indices: Stages whose maps are returned.
        mlp_ratio: Mix-FFN hidden width / stage width.
        qkv_bias: Biases of the attention projections.
        drop_rate: Dropout after attention and FFN projections.
        attn_drop_rate: Dropout on attention weights.
        drop_path_rate: Stochastic depth, rising linearly over all blocks from 0 to this value.
        act_cfg: Mix-FFN activation.
        norm_cfg: Every LayerNorm (patch embeddings, blocks, stage ends).
        pretrained: Deprecated checkpoint path; use ``init_cfg=dict(type='Pretrained', ...)``.
        init_cfg: None: mmseg's own init (truncated normal linears, fan-out normal convs).
        with_cp: Gradient checkpointing in every block.

    Shapes: (N, in_channels, H, W) -> tuple of (N, C_i, H_i, W_i) for i in ``out_indices``, with
    H_0 = ceil(H / 4) and H_{i+1} = ceil(H_i / 2) for the default strides.
    """

    def __init__(
        self,
        in_channels: int = 3,
        embed_dims: int = 64,
        num_stages: int = 4,
        num_layers: Sequence[int] = (3, 4, 6, 3),
        num_heads: Sequence[int] = (1, 2, 4, 8),
        patch_sizes: Sequence[int] = (7, 3, 3, 3),
        strides: Sequence[int] = (4, 2, 2, 2),
        sr_ratios: Sequence[int] = (8, 4, 2, 1),
        out_indices: Sequence[int] = (0, 1, 2, 3),
        mlp_ratio: int = 4,
        qkv_bias: bool = True,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        act_cfg: dict = dict(type="GELU"),  # noqa: B006 (read-only default)
        norm_cfg: dict = dict(type="LN", eps=1e-6),  # noqa: B006 (read-only default)
        pretrained: str | None = None,
        init_cfg: dict | list[dict] | None = None,
        with_cp: bool = False,
    ) -> None:
        if pretrained is not None and init_cfg is not None:
            raise ValueError("MixVisionTransformer: set init_cfg or pretrained, not both.")
        if pretrained is not None:
            init_cfg = dict(type="Pretrained", checkpoint=pretrained)
        super().__init__(init_cfg=init_cfg)
        per_stage = dict(
            num_layers=num_layers,
            num_heads=num_heads,
            patch_sizes=patch_sizes,
            strides=strides,
            sr_ratios=sr_ratios,
        )
        wrong = {k: len(v) for k, v in per_stage.items() if len(v) != num_stages}
        if wrong:
            raise ValueError(
                f"MixVisionTransformer has num_stages={num_stages}, but these per-stage lists "
                f"have other lengths: {wrong}."
            )
        out_indices = (out_indices,) if isinstance(out_indices, int) else tuple(out_indices)
        if not out_indices or not all(0 <= i < num_stages for i in out_indices):
            raise ValueError(f"out_indices must be in range(0, {num_stages}), got {out_indices}.")
        self.embed_dims = embed_dims
        self.num_stages = num_stages
        self.num_layers = list(num_layers)
        self.num_heads = list(num_heads)
        self.patch_sizes = list(patch_sizes)
        self.strides = list(strides)
        self.sr_ratios = list(sr_ratios)
        self.out_indices = out_indices
        self.with_cp = with_cp
        rates = np.linspace(0, drop_path_rate, sum(num_layers)).tolist()
        self.layers = nn.ModuleList()
        channels = []
        for i, depth in enumerate(num_layers):
            width = embed_dims * num_heads[i]
            patch_embed = PatchEmbed(
                in_channels=in_channels,
                embed_dims=width,
                kernel_size=patch_sizes[i],
                stride=strides[i],
                padding=patch_sizes[i] // 2,
                norm_cfg=norm_cfg,
            )
            first = sum(num_layers[:i])
            blocks = nn.ModuleList(
                MiTEncoderLayer(
                    width,
                    num_heads[i],
                    mlp_ratio * width,
                    drop_rate=drop_rate,
                    attn_drop_rate=attn_drop_rate,
                    drop_path_rate=rates[first + j],
                    qkv_bias=qkv_bias,
                    act_cfg=act_cfg,
                    norm_cfg=norm_cfg,
                    sr_ratio=sr_ratios[i],
                    with_cp=with_cp,
                )
                for j in range(depth)
            )
            norm = build_norm_layer(norm_cfg, width)[1]
            self.layers.append(nn.ModuleList([patch_embed, blocks, norm]))
            channels.append(width)
            in_channels = width
        self.out_channels = [channels[i] for i in out_indices]

    def init_weights(self) -> None:
        """mmseg's init without ``init_cfg``; otherwise ``init_cfg`` (e.g. ``Pretrained``)."""
        if self.init_cfg is not None:
            super().init_weights()
            return
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_init(m, std=0.02, bias=0.0)
            elif isinstance(m, nn.LayerNorm):
                constant_init(m, val=1.0, bias=0.0)
            elif isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
                normal_init(m, mean=0, std=math.sqrt(2.0 / fan_out), bias=0)

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        """(N, in_channels, H, W) -> maps (N, C_i, H_i, W_i) of the stages in ``out_indices``."""
        outs = []
        for i, (patch_embed, blocks, norm) in enumerate(self.layers):
            x, hw_shape = patch_embed(x)
            for block in blocks:
                x = block(x, hw_shape)
            x = nlc_to_nchw(norm(x), hw_shape)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
