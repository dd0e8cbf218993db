"""ConvNeXt (Liu et al. 2022, https://arxiv.org/abs/2201.03545) and ConvNeXt V2 (``use_grn=True``,
https://arxiv.org/abs/2301.00808) with mmpretrain 1.x's arguments, defaults and ``state_dict``
keys (``downsample_layers.<i>``, ``stages.<i>.<j>.depthwise_conv`` / ``pointwise_conv1/2`` /
``gamma``, ``norm<i>``), as mmdetection and mmsegmentation configs use it
(``type='mmpretrain.ConvNeXt'``, here ``type='ConvNeXt'``).

Stage ``i`` runs at stride ``stem_patch_size * 2**i`` with ``channels[i]`` channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import torch
import torch.utils.checkpoint as cp
from torch import Tensor, nn

from ...registry import MODELS
from ...utils import did_you_mean
from ..base import BaseBackbone
from ..layers import DropPath, build_activation_layer, build_norm_layer
from ..layers.norm2d import GRN
from .weight_layouts import (
    convert_convnext_weights,
    is_convnext_official_layout,
    load_backbone_weights,
)

__all__ = ["ConvNeXt", "ConvNeXtBlock"]

_LN2D = dict(type="LN2d", eps=1e-6)
_GELU = dict(type="GELU")
_DEFAULT_INIT = (
    dict(type="TruncNormal", layer=["Conv2d", "Linear"], std=0.02, bias=0.0),
    dict(type="Constant", layer=["LayerNorm"], val=1.0, bias=0.0),
)


def _norm(cfg: dict, channels: int) -> nn.Module:
    return build_norm_layer(cfg, channels)[1]


class ConvNeXtBlock(nn.Module):
    """Depthwise 7x7 conv, channel LayerNorm, pointwise MLP (optional GRN), layer scale ``gamma``,
    stochastic depth, residual.

    Shapes: (N, C, H, W) -> (N, C, H, W).

    Args:
        in_channels: Channels C.
        dw_conv_cfg: ``kernel_size`` and ``padding`` of the depthwise conv.
        norm_cfg: Norm after the depthwise conv (``LN2d``).
        act_cfg: Activation between the pointwise layers.
        mlp_ratio: Hidden channels per channel.
        linear_pw_conv: Pointwise layers as ``nn.Linear`` on (N, H, W, C), else 1x1 convs.
        drop_path_rate: Stochastic depth.
        layer_scale_init_value: Initial ``gamma`` (0: no layer scale).
        use_grn: Global Response Normalization after the activation (V2).
        with_cp: Recompute the block in backward.
    """

    def __init__(
        self,
        in_channels: int,
        dw_conv_cfg: dict = dict(kernel_size=7, padding=3),  # noqa: B006 (read-only default)
        norm_cfg: dict = _LN2D,
        act_cfg: dict = _GELU,
        mlp_ratio: float = 4.0,
        linear_pw_conv: bool = True,
        drop_path_rate: float = 0.0,
        layer_scale_init_value: float = 1e-6,
        use_grn: bool = False,
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        self.with_cp = with_cp
        self.depthwise_conv = nn.Conv2d(in_channels, in_channels, groups=in_channels, **dw_conv_cfg)
        self.linear_pw_conv = linear_pw_conv
        self.norm = _norm(norm_cfg, in_channels)
        mid_channels = int(mlp_ratio * in_channels)
        pw_conv = nn.Linear if linear_pw_conv else partial(nn.Conv2d, kernel_size=1)
        self.pointwise_conv1 = pw_conv(in_channels, mid_channels)
        self.act = build_activation_layer(act_cfg)
        self.pointwise_conv2 = pw_conv(mid_channels, in_channels)
        self.grn = GRN(mid_channels) if use_grn else None
        self.gamma = (
            nn.Parameter(layer_scale_init_value * torch.ones(in_channels))
            if layer_scale_init_value > 0
            else None
        )
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def _inner_forward(self, x: Tensor) -> Tensor:
        shortcut = x
        x = self.depthwise_conv(x)
        layout = "channel_last" if self.linear_pw_conv else "channel_first"
        if self.linear_pw_conv:
            x = x.permute(0, 2, 3, 1)
        x = self.act(self.pointwise_conv1(self.norm(x, data_format=layout)))
        if self.grn is not None:
            x = self.grn(x, data_format=layout)
        x = self.pointwise_conv2(x)
        if self.linear_pw_conv:
            x = x.permute(0, 3, 1, 2)
        if self.gamma is not None:
            x = x * self.gamma.view(1, -1, 1, 1)
        # The branch first: the sum takes its (N, H, W, C) strides, so the next depthwise conv
        # runs channels-last (as torchvision's block does; much faster on CPU). Same sum.
        return self.drop_path(x) + shortcut

    def forward(self, x: Tensor) -> Tensor:
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(self._inner_forward, x, use_reentrant=False)
        return self._inner_forward(x)


@MODELS.register_module()
class ConvNeXt(BaseBackbone):
    """ConvNeXt backbone: (N, in_channels, H, W) -> one map (N, channels[i], H / s_i, W / s_i) per
    ``out_indices`` entry, or (N, channels[i]) pooled vectors when ``gap_before_final_norm``.

    Args:
        arch: ``'atto'`` .. ``'huge'`` (``arch_settings``) or ``dict(depths=..., channels=...)``.
        in_channels: Image channels.
        stem_patch_size: Kernel and stride of the stem conv.
        norm_cfg: Norm layers (``LN2d``).
        act_cfg: Block activation.
        linear_pw_conv: Pointwise layers as ``nn.Linear``.
        use_grn: ConvNeXt V2's GRN in every block.
        drop_path_rate: Stochastic depth, rising linearly over all blocks to this.
        layer_scale_init_value: Initial layer scale (0: none).
        out_indices: Stages to return (negative: from the end).
        frozen_stages: Freeze stages ``0..frozen_stages - 1`` and their downsampling layers.
        gap_before_final_norm: Average-pool each output before its norm (classification).
        with_cp: Gradient checkpointing of every block.
        init_cfg: Initializers (default: truncated-normal conv / linear, unit LayerNorm), or
            ``dict(type='Pretrained', checkpoint=..., prefix='backbone.')``; original and timm
            ConvNeXt checkpoints are recognised and mapped to these keys.
    """

    arch_settings = {
        "atto": dict(depths=[2, 2, 6, 2], channels=[40, 80, 160, 320]),
        "femto": dict(depths=[2, 2, 6, 2], channels=[48, 96, 192, 384]),
        "pico": dict(depths=[2, 2, 6, 2], channels=[64, 128, 256, 512]),
        "nano": dict(depths=[2, 2, 8, 2], channels=[80, 160, 320, 640]),
        "tiny": dict(depths=[3, 3, 9, 3], channels=[96, 192, 384, 768]),
        "small": dict(depths=[3, 3, 27, 3], channels=[96, 192, 384, 768]),
        "base": dict(depths=[3, 3, 27, 3], channels=[128, 256, 512, 1024]),
        "large": dict(depths=[3, 3, 27, 3], channels=[192, 384, 768, 1536]),
        "xlarge": dict(depths=[3, 3, 27, 3], channels=[256, 512, 1024, 2048]),
        "huge": dict(depths=[3, 3, 27, 3], channels=[352, 704, 1408, 2816]),
    }

    def __init__(
        self,
        arch: str | dict = "tiny",
        in_channels: int = 3,
        stem_patch_size: int = 4,
        norm_cfg: dict = _LN2D,
        act_cfg: dict = _GELU,
        linear_pw_conv: bool = True,
        use_grn: bool = False,
        drop_path_rate: float = 0.0,
        layer_scale_init_value: float = 1e-6,
        out_indices: int | Sequence[int] = -1,
        frozen_stages: int = 0,
        gap_before_final_norm: bool = True,
        with_cp: bool = False,
        init_cfg: dict | list[dict] | None = list(_DEFAULT_INIT),  # noqa: B006 (copied below)
    ) -> None:
        super().__init__(
            init_cfg=[dict(c) for c in init_cfg] if isinstance(init_cfg, list) else init_cfg
        )
        arch = self._arch(arch)
        self.depths, self.channels = list(arch["depths"]), list(arch["channels"])
        self.num_stages = len(self.depths)
        indices = [out_indices] if isinstance(out_indices, int) else list(out_indices)
        indices = [i + self.num_stages if i < 0 else i for i in indices]
        if not indices or not all(0 <= i < self.num_stages for i in indices):
            raise ValueError(f"out_indices {out_indices} must be within range({self.num_stages})")
        self.out_indices = indices
        self.frozen_stages = frozen_stages
        self.gap_before_final_norm = gap_before_final_norm
        rates = torch.linspace(0, drop_path_rate, sum(self.depths), device="cpu").tolist()
        stem = nn.Sequential(
            nn.Conv2d(in_channels, self.channels[0], stem_patch_size, stride=stem_patch_size),
            _norm(norm_cfg, self.channels[0]),
        )
        self.downsample_layers = nn.ModuleList([stem])
        self.stages = nn.ModuleList()
        for i, (depth, channels) in enumerate(zip(self.depths, self.channels)):
            if i >= 1:
                self.downsample_layers.append(
                    nn.Sequential(
                        _norm(norm_cfg, self.channels[i - 1]),
                        nn.Conv2d(self.channels[i - 1], channels, kernel_size=2, stride=2),
                    )
                )
            start = sum(self.depths[:i])
            self.stages.append(
                nn.Sequential(
                    *(
                        ConvNeXtBlock(
                            channels,
                            norm_cfg=norm_cfg,
                            act_cfg=act_cfg,
                            linear_pw_conv=linear_pw_conv,
                            drop_path_rate=rates[start + j],
                            layer_scale_init_value=layer_scale_init_value,
                            use_grn=use_grn,
                            with_cp=with_cp,
                        )
                        for j in range(depth)
                    )
                )
            )
            if i in self.out_indices:
                self.add_module(f"norm{i}", _norm(norm_cfg, channels))
        self.out_channels = [self.channels[i] for i in self.out_indices]
        self._freeze_stages()

    def _arch(self, arch: str | dict) -> dict:
        if isinstance(arch, str):
            if arch not in self.arch_settings:
                raise KeyError(
                    f"Unknown ConvNeXt arch {arch!r}.{did_you_mean(arch, self.arch_settings)} "
                    f"Valid: {', '.join(self.arch_settings)}, or dict(depths=..., channels=...)."
                )
            return self.arch_settings[arch]
        if not isinstance(arch, dict) or not {"depths", "channels"} <= set(arch):
            raise KeyError(f"A ConvNeXt arch dict needs 'depths' and 'channels'; got {arch!r}")
        if len(arch["depths"]) != len(arch["channels"]):
            raise ValueError(
                f"ConvNeXt depths {arch['depths']} and channels {arch['channels']} differ in length"
            )
        return arch

    def _freeze_stages(self) -> None:
        for i in range(self.frozen_stages):
            self._freeze(self.downsample_layers[i], self.stages[i])

    def train(self, mode: bool = True) -> ConvNeXt:
        super().train(mode)
        self._freeze_stages()
        return self

    def init_weights(self) -> None:
        """The configured initializers, or the ``Pretrained`` checkpoint in any known layout."""
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get("type") == "Pretrained"):
            super().init_weights()
            return
        last = max(self.out_indices)

        def convert(state: dict[str, Tensor]) -> dict[str, Tensor]:
            if is_convnext_official_layout(state):
                return convert_convnext_weights(state, last_stage=last)
            return state

        load_backbone_weights(
            self, cfg["checkpoint"], prefix=cfg.get("prefix", "backbone."), convert=convert
        )

    def get_layer_depth(self, param_name: str, prefix: str = "") -> tuple[int, int]:
        """mmpretrain's layer depth of a parameter and the number of layers (for layer decay)."""
        max_layer_id = 12 if self.depths[-2] > 9 else 6
        if not param_name.startswith(prefix):
            return max_layer_id + 1, max_layer_id + 2
        parts = param_name[len(prefix) :].split(".")
        if parts[0] == "downsample_layers":
            stage = int(parts[1])
            layer = (0, 2, 3, max_layer_id)[stage] if stage < 4 else max_layer_id
        elif parts[0] == "stages":
            stage, block = int(parts[1]), int(parts[2])
            if stage < 2:
                layer = stage + 1
            elif stage == 2:
                layer = 3 + block // 3
            else:
                layer = max_layer_id
        else:
            layer = max_layer_id + 1
        return layer, max_layer_id + 2

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(self.downsample_layers[i](x))
            if i in self.out_indices:
                norm = getattr(self, f"norm{i}")
                if self.gap_before_final_norm:
                    outs.append(norm(x.mean((-2, -1), keepdim=True)).flatten(1))
                else:
                    outs.append(norm(x))
        return tuple(outs)
