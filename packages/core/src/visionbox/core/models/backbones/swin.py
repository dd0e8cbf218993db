"""Swin Transformer (Liu et al. 2021, https://arxiv.org/abs/2103.14030) with mmdetection's and
mmsegmentation's arguments, defaults and ``state_dict`` keys.

Stage ``i`` runs ``depths[i]`` blocks at stride ``4 * 2**i`` (alternately plain and shifted
windows), then its ``downsample`` (``PatchMerging``) feeds stage ``i + 1``; each output stage
``i`` in ``out_indices`` goes through ``norm<i>``.

Shape shorthand: B batch, H x W token grid of a stage, C = ``embed_dims * 2**i``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import torch
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.model.weight_init import constant_init, trunc_normal_, trunc_normal_init
from torch import Tensor, nn

from ...registry import MODELS
from ..base import BaseBackbone
from ..layers import FFN, PatchEmbed, PatchMerging, ShiftWindowMSA, build_norm_layer, to_2tuple
from .weight_layouts import convert_swin_weights, is_swin_official_layout, load_backbone_weights

__all__ = ["SwinBlock", "SwinBlockSequence", "SwinTransformer"]

_GELU = dict(type="GELU")
_LN = dict(type="LN")


class SwinBlock(BaseModule):
    """``x + attn(norm1(x))`` then ``x + ffn(norm2(x))``, the attention over (shifted) windows.

    Shapes: ((B, H * W, C), (H, W)) -> (B, H * W, C).

    Args:
        embed_dims: Channels C.
        num_heads: Attention heads.
        feedforward_channels: Hidden channels of the FFN.
        window_size: Window side.
        shift: Shift the windows by ``window_size // 2``.
        qkv_bias: Bias of ``qkv``.
        qk_scale: Scale of ``q . k`` (``None``: ``head_dims ** -0.5``).
        drop_rate: Dropout after the projections.
        attn_drop_rate: Dropout of the attention weights.
        drop_path_rate: Stochastic depth of both branches.
        act_cfg: FFN activation.
        norm_cfg: Norm layers.
        with_cp: Recompute the block in backward (gradient checkpointing).
        init_cfg: Initialization config.
    """

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        feedforward_channels: int,
        window_size: int = 7,
        shift: bool = False,
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        act_cfg: dict = _GELU,
        norm_cfg: dict = _LN,
        with_cp: bool = False,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.with_cp = with_cp
        self.norm1 = build_norm_layer(norm_cfg, embed_dims)[1]
        self.attn = ShiftWindowMSA(
            embed_dims=embed_dims,
            num_heads=num_heads,
            window_size=window_size,
            shift_size=window_size // 2 if shift else 0,
            qkv_bias=qkv_bias,
            qk_scale=qk_scale,
            attn_drop_rate=attn_drop_rate,
            proj_drop_rate=drop_rate,
            dropout_layer=dict(type="DropPath", drop_prob=drop_path_rate),
        )
        self.norm2 = build_norm_layer(norm_cfg, embed_dims)[1]
        self.ffn = FFN(
            embed_dims=embed_dims,
            feedforward_channels=feedforward_channels,
            num_fcs=2,
            ffn_drop=drop_rate,
            dropout_layer=dict(type="DropPath", drop_prob=drop_path_rate),
            act_cfg=act_cfg,
            add_identity=True,
        )

    def _inner_forward(self, x: Tensor, hw_shape: tuple[int, int]) -> Tensor:
        x = x + self.attn(self.norm1(x), hw_shape)
        return self.ffn(self.norm2(x), identity=x)

    def forward(self, x: Tensor, hw_shape: tuple[int, int]) -> Tensor:
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(self._inner_forward, x, hw_shape, use_reentrant=False)
        return self._inner_forward(x, hw_shape)


class SwinBlockSequence(BaseModule):
    """One stage: ``depth`` blocks (odd ones shifted), then the optional ``downsample``.

    Shapes: ((B, H * W, C), (H, W)) -> (downsampled tokens, their (H', W'), stage output
    (B, H * W, C), (H, W)); without ``downsample`` the first pair repeats the second.

    Args:
        embed_dims: Channels C.
        num_heads: Attention heads.
        feedforward_channels: Hidden channels of the FFNs.
        depth: Number of blocks.
        window_size: Window side.
        qkv_bias: Bias of ``qkv``.
        qk_scale: Scale of ``q . k``.
        drop_rate: Dropout after the projections.
        attn_drop_rate: Dropout of the attention weights.
        drop_path_rate: One stochastic-depth rate, or one per block.
        downsample: The merging module after the blocks, or ``None``.
        act_cfg: FFN activation.
        norm_cfg: Norm layers.
        with_cp: Gradient checkpointing of each block.
        init_cfg: Initialization config.
    """

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        feedforward_channels: int,
        depth: int,
        window_size: int = 7,
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float | Sequence[float] = 0.0,
        downsample: nn.Module | None = None,
        act_cfg: dict = _GELU,
        norm_cfg: dict = _LN,
        with_cp: bool = False,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(drop_path_rate, (int, float)):
            rates = [float(drop_path_rate)] * depth
        else:
            rates = list(drop_path_rate)
            if len(rates) != depth:
                raise ValueError(f"{len(rates)} drop_path_rate values for {depth} blocks")
        self.blocks = nn.ModuleList(
            SwinBlock(
                embed_dims=embed_dims,
                num_heads=num_heads,
                feedforward_channels=feedforward_channels,
                window_size=window_size,
                shift=i % 2 == 1,
                qkv_bias=qkv_bias,
                qk_scale=qk_scale,
                drop_rate=drop_rate,
                attn_drop_rate=attn_drop_rate,
                drop_path_rate=rates[i],
                act_cfg=act_cfg,
                norm_cfg=norm_cfg,
                with_cp=with_cp,
            )
            for i in range(depth)
        )
        self.downsample = downsample

    def forward(
        self, x: Tensor, hw_shape: tuple[int, int]
    ) -> tuple[Tensor, tuple[int, int], Tensor, tuple[int, int]]:
        for block in self.blocks:
            x = block(x, hw_shape)
        if self.downsample is None:
            return x, hw_shape, x, hw_shape
        x_down, down_hw_shape = self.downsample(x, hw_shape)
        return x_down, down_hw_shape, x, hw_shape


@MODELS.register_module()
class SwinTransformer(BaseBackbone):
    """Swin Transformer backbone: (B, in_channels, H, W) -> one (B, C_i, H / s_i, W / s_i) map per
    ``out_indices`` entry, ``C_i = embed_dims * 2**i``, ``s_i = patch_size * 2**i``.

    Args:
        pretrain_img_size: Input size of pre-training (sizes ``absolute_pos_embed``).
        in_channels: Image channels.
        embed_dims: Channels of the first stage.
        patch_size: Patch side of the embedding (must equal ``strides[0]``).
        window_size: Window side.
        mlp_ratio: FFN hidden channels per channel.
        depths: Blocks per stage.
        num_heads: Heads per stage.
        strides: Patch embedding stride, then each merging's stride.
        out_indices: Stages whose normalized outputs are returned.
        qkv_bias: Bias of ``qkv``.
        qk_scale: Scale of ``q . k`` (``None``: ``head_dims ** -0.5``).
        patch_norm: Norms in the patch embedding and the mergings.
        drop_rate: Dropout after the projections and the position embedding.
        attn_drop_rate: Dropout of the attention weights.
        drop_path_rate: Stochastic depth, rising linearly from 0 over all blocks to this.
        use_abs_pos_embed: Add a learned absolute position embedding after the patch embedding.
        act_cfg: FFN activation.
        norm_cfg: Norm layers.
        with_cp: Gradient checkpointing of every block.
        pretrained: Deprecated checkpoint path; use ``init_cfg=dict(type='Pretrained', ...)``.
        convert_weights: The ``Pretrained`` checkpoint is in the original / timm Swin layout (it
            is also recognised and converted when this is False).
        frozen_stages: Freeze the patch embedding (>= 0) and stages ``0..frozen_stages - 1``.
        init_cfg: ``None`` (truncated-normal linear layers, unit norms) or
            ``dict(type='Pretrained', checkpoint=..., prefix='backbone.')``.
    """

    def __init__(
        self,
        pretrain_img_size: int | Sequence[int] = 224,
        in_channels: int = 3,
        embed_dims: int = 96,
        patch_size: int = 4,
        window_size: int = 7,
        mlp_ratio: int = 4,
        depths: Sequence[int] = (2, 2, 6, 2),
        num_heads: Sequence[int] = (3, 6, 12, 24),
        strides: Sequence[int] = (4, 2, 2, 2),
        out_indices: Sequence[int] = (0, 1, 2, 3),
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        patch_norm: bool = True,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.1,
        use_abs_pos_embed: bool = False,
        act_cfg: dict = _GELU,
        norm_cfg: dict = _LN,
        with_cp: bool = False,
        pretrained: str | None = None,
        convert_weights: bool = False,
        frozen_stages: int = -1,
        init_cfg: dict | None = None,
    ) -> None:
        if pretrained is not None:
            if init_cfg is not None:
                raise ValueError("Set either init_cfg or the deprecated pretrained, not both.")
            init_cfg = dict(type="Pretrained", checkpoint=pretrained)
        if init_cfg is not None and "checkpoint" not in init_cfg:
            raise ValueError(
                "SwinTransformer supports init_cfg=dict(type='Pretrained', checkpoint=...) or "
                f"None; got {init_cfg!r}"
            )
        super().__init__(init_cfg=init_cfg)
        num_stages = len(depths)
        if len(num_heads) != num_stages or len(strides) != num_stages:
            raise ValueError(
                f"depths {tuple(depths)}, num_heads {tuple(num_heads)} and strides "
                f"{tuple(strides)} need one entry per stage"
            )
        if strides[0] != patch_size:
            raise ValueError(
                f"strides[0] ({strides[0]}) must equal patch_size ({patch_size}): the patch "
                "embedding does not overlap"
            )
        if not out_indices or not all(0 <= i < num_stages for i in out_indices):
            raise ValueError(f"out_indices {tuple(out_indices)} must be within range({num_stages})")
        self.convert_weights = convert_weights
        self.frozen_stages = frozen_stages
        self.out_indices = tuple(out_indices)
        self.use_abs_pos_embed = use_abs_pos_embed
        self.patch_embed = PatchEmbed(
            in_channels=in_channels,
            embed_dims=embed_dims,
            conv_type="Conv2d",
            kernel_size=patch_size,
            stride=strides[0],
            norm_cfg=norm_cfg if patch_norm else None,
        )
        if use_abs_pos_embed:
            rows, cols = (s // patch_size for s in to_2tuple(pretrain_img_size))
            self.absolute_pos_embed = nn.Parameter(torch.zeros(1, rows * cols, embed_dims))
        self.drop_after_pos = nn.Dropout(p=drop_rate)
        rates = torch.linspace(0, drop_path_rate, sum(depths), device="cpu").tolist()
        self.stages = nn.ModuleList()
        channels = embed_dims
        for i in range(num_stages):
            downsample = None
            if i < num_stages - 1:
                downsample = PatchMerging(
                    in_channels=channels,
                    out_channels=2 * channels,
                    stride=strides[i + 1],
                    norm_cfg=norm_cfg if patch_norm else None,
                )
            start = sum(depths[:i])
            self.stages.append(
                SwinBlockSequence(
                    embed_dims=channels,
                    num_heads=num_heads[i],
                    feedforward_channels=mlp_ratio * channels,
                    depth=depths[i],
                    window_size=window_size,
                    qkv_bias=qkv_bias,
                    qk_scale=qk_scale,
                    drop_rate=drop_rate,
                    attn_drop_rate=attn_drop_rate,
                    drop_path_rate=rates[start : start + depths[i]],
                    downsample=downsample,
                    act_cfg=act_cfg,
                    norm_cfg=norm_cfg,
                    with_cp=with_cp,
                )
            )
            if downsample is not None:
                channels = downsample.out_channels
        self.num_features = [int(embed_dims * 2**i) for i in range(num_stages)]
        for i in self.out_indices:
            self.add_module(f"norm{i}", build_norm_layer(norm_cfg, self.num_features[i])[1])
        self.out_channels = [self.num_features[i] for i in self.out_indices]

    def train(self, mode: bool = True) -> SwinTransformer:
        super().train(mode)
        self._freeze_stages()
        return self

    def _freeze_stages(self) -> None:
        if self.frozen_stages >= 0:
            self._freeze(self.patch_embed, self.drop_after_pos)
            if self.use_abs_pos_embed:
                self.absolute_pos_embed.requires_grad = False
        for i in range(1, self.frozen_stages + 1):
            if i - 1 in self.out_indices:
                self._freeze(getattr(self, f"norm{i - 1}"))
            self._freeze(self.stages[i - 1])

    def init_weights(self) -> None:
        """Truncated-normal linear layers and unit norms, or the ``Pretrained`` checkpoint."""
        if self.init_cfg is None:
            if self.use_abs_pos_embed:
                trunc_normal_(self.absolute_pos_embed, std=0.02)
            for module in self.modules():
                if isinstance(module, nn.Linear):
                    trunc_normal_init(module, std=0.02, bias=0.0)
                elif isinstance(module, nn.LayerNorm):
                    constant_init(module, val=1.0, bias=0.0)
            return

        def convert(state: dict[str, Tensor]) -> dict[str, Tensor]:
            if self.convert_weights or is_swin_official_layout(state):
                return convert_swin_weights(state)
            return state

        load_backbone_weights(
            self,
            self.init_cfg["checkpoint"],
            prefix=self.init_cfg.get("prefix", "backbone."),
            convert=convert,
            adapt=self._resize_tables,
        )

    def _resize_tables(self, state: dict[str, Tensor]) -> dict[str, Tensor]:
        """Bicubic resize of relative-position tables trained with another window size; the
        checkpoint's index buffers are dropped."""
        own = self.state_dict()
        # the index buffers depend on the window size only: ours are always right
        state = {k: v for k, v in state.items() if not k.endswith("relative_position_index")}
        for key, table in list(state.items()):
            if "relative_position_bias_table" not in key or key not in own:
                continue
            (len_ckpt, heads_ckpt), (len_own, heads_own) = table.shape, own[key].shape
            if heads_ckpt != heads_own or len_ckpt == len_own:
                continue
            side_ckpt, side_own = int(len_ckpt**0.5), int(len_own**0.5)
            grid = table.permute(1, 0).reshape(1, heads_ckpt, side_ckpt, side_ckpt)
            resized = F.interpolate(grid, size=(side_own, side_own), mode="bicubic")
            state[key] = resized.view(heads_own, len_own).permute(1, 0).contiguous()
            print_log(f"Resized {key} from {len_ckpt} to {len_own} rows", "current", logging.INFO)
        return state

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        x, hw_shape = self.patch_embed(x)
        if self.use_abs_pos_embed:
            x = x + self.absolute_pos_embed
        x = self.drop_after_pos(x)
        outs = []
        for i, stage in enumerate(self.stages):
            x, hw_shape, out, out_hw_shape = stage(x, hw_shape)
            if i in self.out_indices:
                out = getattr(self, f"norm{i}")(out)
                out = out.view(-1, *out_hw_shape, self.num_features[i]).permute(0, 3, 1, 2)
                outs.append(out.contiguous())
        return tuple(outs)
