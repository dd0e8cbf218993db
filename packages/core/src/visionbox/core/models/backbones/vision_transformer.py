"""Vision Transformer (Dosovitskiy et al. 2021, https://arxiv.org/abs/2010.11929) with mmpretrain
1.2's ``VisionTransformer`` arguments, defaults and ``state_dict`` keys, as ViTPose (Xu et al. 2022,
https://arxiv.org/abs/2204.12484) uses it through ``type='mmpretrain.VisionTransformer'``.

Keys: ``cls_token`` (1, 1, C) when ``with_cls_token``, ``pos_embed`` (1, L0 + extra, C),
``patch_embed.projection``, ``layers.<i>.{ln1,attn.qkv,attn.proj,ln2,ffn.layers.0.0,ffn.layers.1}``,
``ln1`` (final norm), ``ln2`` (``out_type='avg_featmap'``), ``pre_norm`` (``pre_norm=True``).

The position embedding is learned for ``img_size``; another input size gets it resized (bicubic by
default) on the fly, and a checkpoint trained at another size is resized when it is loaded.

Shape shorthand: N batch, C embed_dims, (h, w) the patch grid of the input, L = h * w, E the extra
tokens (1 with the class token, else 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model.weight_init import trunc_normal_
from torch import Tensor, nn

from ...registry import MODELS
from ...utils import did_you_mean
from ..base import BaseBackbone
from ..layers import FFN, MultiheadSelfAttention, PatchEmbed, build_norm_layer

__all__ = ["VisionTransformer", "ViTEncoderLayer", "resize_pos_embed"]

OUT_TYPES = ("raw", "cls_token", "featmap", "avg_featmap")


def resize_pos_embed(
    pos_embed: Tensor,
    src_shape: tuple[int, int],
    dst_shape: tuple[int, int],
    mode: str = "bicubic",
    num_extra_tokens: int = 1,
) -> Tensor:
    """Interpolate a (1, E + h_s * w_s, C) position embedding to the grid ``dst_shape``.

    The extra tokens' embeddings are kept; the grid part is resized as an image (float32, as
    bicubic needs; ``align_corners=False`` for the interpolating modes) and cast back.
    Returns (1, E + h_d * w_d, C).
    """
    if tuple(src_shape) == tuple(dst_shape):
        return pos_embed
    _, length, channels = pos_embed.shape
    src_h, src_w = src_shape
    if length != src_h * src_w + num_extra_tokens:
        raise ValueError(
            f"pos_embed has {length} tokens, not {src_h}x{src_w} + {num_extra_tokens} extra: "
            "check img_size and patch_size."
        )
    extra = pos_embed[:, :num_extra_tokens]
    grid = pos_embed[:, num_extra_tokens:].reshape(1, src_h, src_w, channels).permute(0, 3, 1, 2)
    corners = None if mode in ("nearest", "area", "nearest-exact") else False
    grid = F.interpolate(grid.float(), size=tuple(dst_shape), mode=mode, align_corners=corners)
    grid = grid.flatten(2).transpose(1, 2).to(pos_embed.dtype)
    return torch.cat((extra, grid), dim=1)


class ViTEncoderLayer(nn.Module):
    """Pre-norm block ``x + attn(ln1(x))``, ``x + ffn(ln2(x))`` (mmpretrain's
    ``TransformerEncoderLayer``). (N, L + E, C) -> (N, L + E, C)."""

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        feedforward_channels: int,
        layer_scale_init_value: float = 0.0,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        num_fcs: int = 2,
        qkv_bias: bool = True,
        ffn_type: Literal["origin"] = "origin",
        act_cfg: dict = dict(type="GELU"),  # noqa: B006 (read-only default)
        norm_cfg: dict = dict(type="LN"),  # noqa: B006 (read-only default)
    ) -> None:
        super().__init__()
        if ffn_type != "origin":
            raise ValueError(
                f"VisionTransformer supports ffn_type='origin' only, got {ffn_type!r} "
                "(mmpretrain's 'swiglu_fused' is not implemented)."
            )
        drop_path = dict(type="DropPath", drop_prob=drop_path_rate)
        self.ln1 = build_norm_layer(norm_cfg, embed_dims)[1]
        self.attn = MultiheadSelfAttention(
            embed_dims,
            num_heads,
            attn_drop=attn_drop_rate,
            proj_drop=drop_rate,
            dropout_layer=drop_path,
            qkv_bias=qkv_bias,
            layer_scale_init_value=layer_scale_init_value,
        )
        self.ln2 = build_norm_layer(norm_cfg, embed_dims)[1]
        self.ffn = FFN(
            embed_dims=embed_dims,
            feedforward_channels=feedforward_channels,
            num_fcs=num_fcs,
            ffn_drop=drop_rate,
            dropout_layer=drop_path,
            act_cfg=act_cfg,
            layer_scale_init_value=layer_scale_init_value,
        )

    def init_weights(self) -> None:
        """mmpretrain's FFN init: Xavier-uniform weights, N(0, 1e-6) biases."""
        for m in self.ffn.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x))
        return self.ffn(self.ln2(x), identity=x)


@MODELS.register_module()
class VisionTransformer(BaseBackbone):
    """Vision Transformer encoder (mmpretrain's).

    Args:
        arch: A name of ``arch_zoo`` ('small', 'base', 'large', 'huge', 'deit-tiny', ...) or a dict
            with ``embed_dims``, ``num_layers``, ``num_heads``, ``feedforward_channels``.
        img_size: (H, W) (or one int) the position embedding is learned for.
        patch_size: Side of the square patches (the patch-embedding conv's kernel and stride).
        in_channels: Input image channels.
        out_indices: Blocks whose outputs are returned (negative: from the end).
        drop_rate: Dropout after the position embedding, attention and FFN.
        drop_path_rate: Stochastic depth, rising linearly over the blocks from 0 to this value.
        qkv_bias: Bias of the qkv projection.
        norm_cfg: Every LayerNorm.
        final_norm: A LayerNorm (``ln1``) after the last block.
        out_type: 'raw' (N, L + E, C), 'cls_token' (N, C), 'featmap' (N, C, h, w) or
            'avg_featmap' (N, C), the mean patch token through ``ln2``.
        with_cls_token: Prepend a learned class token.
        frozen_stages: Freeze the embeddings and the first ``frozen_stages`` blocks (-1: none).
        interpolate_mode: Mode of the position-embedding resize.
        layer_scale_init_value: > 0 adds LayerScale (``gamma1`` / ``gamma2``) to the blocks.
        patch_cfg: Overrides of the ``PatchEmbed`` arguments (ViTPose: ``dict(padding=2)``).
        layer_cfgs: Overrides of the block arguments, one dict for all or one per block.
        pre_norm: A LayerNorm before the blocks (CLIP); the patch conv then has no bias.
        init_cfg: Weight initialisation config.

    Shapes: (N, in_channels, H, W) -> tuple, one entry per ``out_indices``, shaped by ``out_type``.
    """

    arch_zoo = {
        **dict.fromkeys(
            ["s", "small"],
            dict(embed_dims=768, num_layers=8, num_heads=8, feedforward_channels=768 * 3),
        ),
        **dict.fromkeys(
            ["b", "base"],
            dict(embed_dims=768, num_layers=12, num_heads=12, feedforward_channels=3072),
        ),
        **dict.fromkeys(
            ["l", "large"],
            dict(embed_dims=1024, num_layers=24, num_heads=16, feedforward_channels=4096),
        ),
        **dict.fromkeys(
            ["h", "huge"],
            dict(embed_dims=1280, num_layers=32, num_heads=16, feedforward_channels=5120),
        ),
        **dict.fromkeys(
            ["eva-g", "eva-giant"],
            dict(embed_dims=1408, num_layers=40, num_heads=16, feedforward_channels=6144),
        ),
        **dict.fromkeys(
            ["deit-t", "deit-tiny"],
            dict(embed_dims=192, num_layers=12, num_heads=3, feedforward_channels=192 * 4),
        ),
        **dict.fromkeys(
            ["deit-s", "deit-small", "dinov2-s", "dinov2-small"],
            dict(embed_dims=384, num_layers=12, num_heads=6, feedforward_channels=384 * 4),
        ),
        **dict.fromkeys(
            ["deit-b", "deit-base"],
            dict(embed_dims=768, num_layers=12, num_heads=12, feedforward_channels=768 * 4),
        ),
        **dict.fromkeys(
            ["dinov2-g", "dinov2-giant"],
            dict(embed_dims=1536, num_layers=40, num_heads=24, feedforward_channels=6144),
        ),
    }
    _ARCH_KEYS = ("embed_dims", "num_layers", "num_heads", "feedforward_channels")

    def __init__(
        self,
        arch: str | dict = "base",
        img_size: int | Sequence[int] = 224,
        patch_size: int = 16,
        in_channels: int = 3,
        out_indices: int | Sequence[int] = -1,
        drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        qkv_bias: bool = True,
        norm_cfg: dict = dict(type="LN", eps=1e-6),  # noqa: B006 (read-only default)
        final_norm: bool = True,
        out_type: Literal["raw", "cls_token", "featmap", "avg_featmap"] = "cls_token",
        with_cls_token: bool = True,
        frozen_stages: int = -1,
        interpolate_mode: str = "bicubic",
        layer_scale_init_value: float = 0.0,
        patch_cfg: dict | None = None,
        layer_cfgs: dict | Sequence[dict] | None = None,
        pre_norm: bool = False,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.arch_settings = self._arch(arch)
        if out_type not in OUT_TYPES:
            raise ValueError(
                f"VisionTransformer out_type must be one of {OUT_TYPES}, got {out_type!r}."
                f"{did_you_mean(str(out_type), OUT_TYPES)}"
            )
        if out_type == "cls_token" and not with_cls_token:
            raise ValueError("with_cls_token must be True when out_type='cls_token'.")
        self.embed_dims = self.arch_settings["embed_dims"]
        self.num_layers = self.arch_settings["num_layers"]
        self.img_size = _pair(img_size)
        self.out_type = out_type
        self.with_cls_token = with_cls_token
        self.num_extra_tokens = 1 if with_cls_token else 0
        self.interpolate_mode = interpolate_mode
        self.frozen_stages = frozen_stages
        self.final_norm = final_norm

        embed_args = dict(
            in_channels=in_channels,
            input_size=self.img_size,
            embed_dims=self.embed_dims,
            conv_type="Conv2d",
            kernel_size=patch_size,
            stride=patch_size,
            bias=not pre_norm,
        )
        embed_args.update(patch_cfg or {})
        self.patch_embed = PatchEmbed(**embed_args)
        self.patch_resolution = tuple(self.patch_embed.init_out_size)
        num_patches = self.patch_resolution[0] * self.patch_resolution[1]
        self.cls_token = (
            nn.Parameter(torch.zeros(1, 1, self.embed_dims)) if with_cls_token else None
        )
        self.pos_embed = nn.Parameter(
            torch.zeros(1, num_patches + self.num_extra_tokens, self.embed_dims)
        )
        self._register_load_state_dict_pre_hook(self._prepare_pos_embed)
        self.drop_after_pos = nn.Dropout(p=drop_rate)
        self.out_indices = self._out_indices(out_indices)

        if isinstance(layer_cfgs, Sequence) and len(layer_cfgs) != self.num_layers:
            raise ValueError(
                f"layer_cfgs has {len(layer_cfgs)} entries for {self.num_layers} layers."
            )
        per_layer = (
            layer_cfgs
            if isinstance(layer_cfgs, Sequence)
            else [layer_cfgs or {}] * (self.num_layers)
        )
        rates = np.linspace(0, drop_path_rate, self.num_layers)
        self.layers = nn.ModuleList()
        for i in range(self.num_layers):
            args: dict[str, Any] = dict(
                embed_dims=self.embed_dims,
                num_heads=self.arch_settings["num_heads"],
                feedforward_channels=self.arch_settings["feedforward_channels"],
                layer_scale_init_value=layer_scale_init_value,
                drop_rate=drop_rate,
                drop_path_rate=float(rates[i]),
                qkv_bias=qkv_bias,
                norm_cfg=norm_cfg,
            )
            args.update(per_layer[i])
            self.layers.append(ViTEncoderLayer(**args))
        self.pre_norm = (
            build_norm_layer(norm_cfg, self.embed_dims)[1] if pre_norm else nn.Identity()
        )
        if final_norm:
            self.ln1 = build_norm_layer(norm_cfg, self.embed_dims)[1]
        if out_type == "avg_featmap":
            self.ln2 = build_norm_layer(norm_cfg, self.embed_dims)[1]
        self.out_channels = [self.embed_dims] * len(self.out_indices)
        if frozen_stages > 0:
            self._freeze_stages()

    def _arch(self, arch: str | dict) -> dict:
        if isinstance(arch, str):
            name = arch.lower()
            if name not in self.arch_zoo:
                raise KeyError(
                    f"Unknown VisionTransformer arch {arch!r}; known: {sorted(self.arch_zoo)}."
                    f"{did_you_mean(name, self.arch_zoo)}"
                )
            return dict(self.arch_zoo[name])
        missing = [k for k in self._ARCH_KEYS if k not in arch]
        if missing:
            raise KeyError(f"A custom VisionTransformer arch dict needs the keys {missing}.")
        return dict(arch)

    def _out_indices(self, out_indices: int | Sequence[int]) -> list[int]:
        indices = [out_indices] if isinstance(out_indices, int) else list(out_indices)
        resolved = [i + self.num_layers if i < 0 else i for i in indices]
        bad = [i for i, r in zip(indices, resolved) if not 0 <= r < self.num_layers]
        if bad:
            raise ValueError(
                f"out_indices {bad} are outside the {self.num_layers} layers of this ViT."
            )
        return resolved

    def init_weights(self) -> None:
        super().init_weights()
        pretrained = isinstance(self.init_cfg, dict) and self.init_cfg.get("type") == "Pretrained"
        if not pretrained:
            trunc_normal_(self.pos_embed, std=0.02)
            for layer in self.layers:
                layer.init_weights()

    def _prepare_pos_embed(self, state_dict: dict, prefix: str, *args: Any, **kwargs: Any) -> None:
        """Fit a checkpoint's ``pos_embed`` to this model: drop its class token when this model has
        none (also for a checkpoint of another size, e.g. MAE's 1 + 14 x 14 tokens), then resize
        its square grid to ``patch_resolution``."""
        name = prefix + "pos_embed"
        if name not in state_dict:
            return
        value = state_dict[name]
        length = value.shape[1]
        if not self.with_cls_token and (
            length == self.pos_embed.shape[1] + 1
            or (_is_square(length - 1) and not _is_square(length))
        ):
            value = value[:, 1:]  # the checkpoint's class token, unused here
        if value.shape != self.pos_embed.shape:
            side = math.isqrt(value.shape[1] - self.num_extra_tokens)
            if side * side != value.shape[1] - self.num_extra_tokens:
                raise ValueError(
                    f"The checkpoint's {name} {tuple(value.shape)} is not a square grid plus "
                    f"{self.num_extra_tokens} extra token(s); this model needs "
                    f"{tuple(self.pos_embed.shape)}."
                )
            print_log(
                f"Resize the pos_embed shape from {tuple(value.shape)} to "
                f"{tuple(self.pos_embed.shape)}.",
                logger="current",
            )
            value = resize_pos_embed(
                value,
                (side, side),
                self.patch_resolution,
                self.interpolate_mode,
                self.num_extra_tokens,
            )
        state_dict[name] = value

    def _freeze_stages(self) -> None:
        self.pos_embed.requires_grad = False
        self.drop_after_pos.eval()
        self._freeze(self.patch_embed, self.pre_norm)
        if self.cls_token is not None:
            self.cls_token.requires_grad = False
        self._freeze(*self.layers[: self.frozen_stages])
        if self.frozen_stages == self.num_layers:
            if self.final_norm:
                self._freeze(self.ln1)
            if self.out_type == "avg_featmap":
                self._freeze(self.ln2)

    def train(self, mode: bool = True) -> VisionTransformer:
        super().train(mode)
        if self.frozen_stages > 0:
            self._freeze_stages()
        return self

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        """(N, in_channels, H, W) -> one output per ``out_indices`` (see ``out_type``)."""
        x, patch_resolution = self.patch_embed(x)
        if self.cls_token is not None:
            x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = x + resize_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            patch_resolution,
            mode=self.interpolate_mode,
            num_extra_tokens=self.num_extra_tokens,
        )
        x = self.pre_norm(self.drop_after_pos(x))
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i == self.num_layers - 1 and self.final_norm:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(self._format_output(x, patch_resolution))
        return tuple(outs)

    def _format_output(self, x: Tensor, hw: tuple[int, int]) -> Tensor:
        if self.out_type == "raw":
            return x
        if self.out_type == "cls_token":
            return x[:, 0]
        patches = x[:, self.num_extra_tokens :]
        if self.out_type == "featmap":
            return patches.reshape(x.shape[0], *hw, -1).permute(0, 3, 1, 2)
        return self.ln2(patches.mean(dim=1))

    def get_layer_depth(self, param_name: str, prefix: str = "") -> tuple[int, int]:
        """mmpretrain's layer depth of a parameter: 0 for embeddings, i + 1 for block i, last for
        the rest. Returns (depth, num_layers + 2)."""
        total = self.num_layers + 2
        if not param_name.startswith(prefix):
            return total - 1, total
        name = param_name[len(prefix) :]
        if name in ("cls_token", "pos_embed") or name.startswith("patch_embed"):
            return 0, total
        if name.startswith("layers"):
            return int(name.split(".")[1]) + 1, total
        return total - 1, total


def _is_square(n: int) -> bool:
    return n >= 0 and math.isqrt(n) ** 2 == n


def _pair(size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(size, int):
        return (size, size)
    if len(size) != 2:
        raise ValueError(f"img_size must be an int or (H, W), got {size!r}.")
    return (int(size[0]), int(size[1]))
