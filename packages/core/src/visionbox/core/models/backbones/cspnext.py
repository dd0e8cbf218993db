"""CSPNeXt, the backbone of RTMDet and RTMPose (Lyu et al., 2022, https://arxiv.org/abs/2212.07784),
with mmdet 3.x's names, defaults and keys (``stem.<i>``, ``stage<i>.<j>``).

Shape shorthand: N images; a P5 net outputs maps at strides 2 (stem), 4, 8, 16, 32 for indices
0..4; P6 adds stride 64 at index 5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from torch import Tensor, nn

from ...registry import MODELS
from ..base import BaseBackbone
from ..layers import ConvModule, DepthwiseSeparableConvModule
from .csp_darknet import add_csp_stages

__all__ = ["CSPNeXt"]

_NORM = dict(type="BN", momentum=0.03, eps=0.001)
_SILU = dict(type="SiLU")
_KAIMING = dict(
    type="Kaiming",
    layer="Conv2d",
    a=math.sqrt(5),
    distribution="uniform",
    mode="fan_in",
    nonlinearity="leaky_relu",
)


@MODELS.register_module()
class CSPNeXt(BaseBackbone):
    """A three-conv stem, then per stage a stride-2 conv, an SPP block (last stage) and a
    ``CSPLayer`` of ``CSPNeXtBlock``s with channel attention.

    Args:
        arch: ``'P5'`` (4 stages) or ``'P6'`` (5 stages).
        deepen_factor: Multiplier of the blocks per stage (RTMDet-s: 0.33).
        widen_factor: Multiplier of the channels (RTMDet-s: 0.5).
        out_indices: Outputs among the stem (0) and the stages (1..).
        frozen_stages: -1: none; i: the stem and stages 1..i.
        use_depthwise: Depthwise separable stride-2 convs and block convs.
        expand_ratio: Hidden channels of the CSP layers, as a fraction of their output.
        arch_ovewrite: A replacement for the arch table (mmdet's spelling), rows of
            ``[in_channels, out_channels, num_blocks, add_identity, use_spp]``.
        spp_kernel_sizes: SPP pooling sizes.
        channel_attention: ``ChannelAttention`` in every CSP layer.
        conv_cfg: Conv config.
        norm_cfg: Norm config.
        act_cfg: Activation config.
        norm_eval: Keep BatchNorm statistics frozen while training.
        init_cfg: Weight initialisation config.

    Shapes: (N, 3, H, W) -> one map (N, C_i, H / s_i, W / s_i) per index of ``out_indices``.
    """

    # in_channels, out_channels, num_blocks, add_identity, use_spp
    arch_settings = {
        "P5": [
            [64, 128, 3, True, False],
            [128, 256, 6, True, False],
            [256, 512, 6, True, False],
            [512, 1024, 3, False, True],
        ],
        "P6": [
            [64, 128, 3, True, False],
            [128, 256, 6, True, False],
            [256, 512, 6, True, False],
            [512, 768, 3, True, False],
            [768, 1024, 3, False, True],
        ],
    }

    def __init__(
        self,
        arch: Literal["P5", "P6"] = "P5",
        deepen_factor: float = 1.0,
        widen_factor: float = 1.0,
        out_indices: Sequence[int] = (2, 3, 4),
        frozen_stages: int = -1,
        use_depthwise: bool = False,
        expand_ratio: float = 0.5,
        arch_ovewrite: list | None = None,
        spp_kernel_sizes: Sequence[int] = (5, 9, 13),
        channel_attention: bool = True,
        conv_cfg: dict | None = None,
        norm_cfg: dict = _NORM,
        act_cfg: dict = _SILU,
        norm_eval: bool = False,
        init_cfg: dict | list[dict] | None = _KAIMING,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if arch not in self.arch_settings:
            valid = ", ".join(self.arch_settings)
            raise KeyError(f"CSPNeXt: unknown arch {arch!r}; valid: {valid}")
        setting = arch_ovewrite or self.arch_settings[arch]
        if not set(out_indices) <= set(range(len(setting) + 1)):
            raise ValueError(
                f"CSPNeXt: out_indices {tuple(out_indices)} must be in range({len(setting) + 1})"
            )
        if not -1 <= frozen_stages <= len(setting):
            raise ValueError(
                f"CSPNeXt: frozen_stages must be in range(-1, {len(setting) + 1}), "
                f"got {frozen_stages}"
            )
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.use_depthwise = use_depthwise
        self.norm_eval = norm_eval
        common = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        stem = int(setting[0][0] * widen_factor)
        half = int(setting[0][0] * widen_factor // 2)
        self.stem = nn.Sequential(
            ConvModule(3, half, 3, stride=2, padding=1, **common),
            ConvModule(half, half, 3, stride=1, padding=1, **common),
            ConvModule(half, stem, 3, stride=1, padding=1, **common),
        )
        self.layers = ["stem"]
        channels = [stem]
        conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule
        common = dict(conv_cfg=conv_cfg, **common)
        csp_args = dict(
            use_cspnext_block=True, expand_ratio=expand_ratio, channel_attention=channel_attention
        )
        channels += add_csp_stages(
            self, setting, deepen_factor, widen_factor, conv, spp_kernel_sizes, common, csp_args
        )
        self.out_channels = [channels[i] for i in self.out_indices]
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        for i in range(self.frozen_stages + 1):
            self._freeze(getattr(self, self.layers[i]))

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        outs = []
        for i, name in enumerate(self.layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> CSPNeXt:
        super().train(mode)
        self._freeze_stages()
        self._set_norm_eval(mode, self.norm_eval)
        return self
