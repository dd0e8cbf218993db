"""``CSPNeXtPAFPN``: the path aggregation neck of RTMDet and RTMPose (Lyu et al., 2022,
https://arxiv.org/abs/2212.07784) with mmdet 3.x's arguments, defaults and ``state_dict`` keys
(``reduce_layers``, ``top_down_blocks``, ``downsamples``, ``bottom_up_blocks``, ``out_convs``).

Shape shorthand: N images; L input levels with channels ``in_channels[l]`` at strides that double
from one level to the next (RTMDet: 8, 16, 32).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ...registry import MODELS
from ..base import BaseNeck
from ..layers import ConvModule, CSPLayer, DepthwiseSeparableConvModule

__all__ = ["CSPNeXtPAFPN", "csp_pafpn_paths"]

_NORM = dict(type="BN", momentum=0.03, eps=0.001)
_SWISH = dict(type="Swish")
_NEAREST_X2 = dict(scale_factor=2, mode="nearest")
_KAIMING = dict(
    type="Kaiming",
    layer="Conv2d",
    a=math.sqrt(5),
    distribution="uniform",
    mode="fan_in",
    nonlinearity="leaky_relu",
)


def csp_pafpn_paths(neck: nn.Module, inputs: Sequence[Tensor]) -> list[Tensor]:
    """The top-down then bottom-up paths of a YOLOX-style PAFPN (before its ``out_convs``).

    Top-down, coarsest first: reduce level l to the channels of level l - 1, upsample, concat with
    input l - 1, CSP. Bottom-up, finest first: stride-2 conv, concat with the top-down map, CSP.
    ``neck`` provides ``upsample``, ``reduce_layers``, ``top_down_blocks``, ``downsamples`` and
    ``bottom_up_blocks``.

    Args:
        inputs: L maps (N, in_channels[l], H_l, W_l), finest first.

    Returns:
        L maps (N, in_channels[l], H_l, W_l).
    """
    num = len(inputs)
    inner = [inputs[-1]]
    for step, idx in enumerate(range(num - 1, 0, -1)):
        high = neck.reduce_layers[step](inner[0])
        inner[0] = high
        fused = neck.top_down_blocks[step](torch.cat([neck.upsample(high), inputs[idx - 1]], 1))
        inner.insert(0, fused)
    outs = [inner[0]]
    for idx in range(num - 1):
        down = neck.downsamples[idx](outs[-1])
        outs.append(neck.bottom_up_blocks[idx](torch.cat([down, inner[idx + 1]], 1)))
    return outs


@MODELS.register_module()
class CSPNeXtPAFPN(BaseNeck):
    """YOLOX's PAFPN with CSPNeXt blocks and 3x3 output convs.

    Args:
        in_channels: Channels of the L input maps, finest first.
        out_channels: Channels of every output map.
        num_csp_blocks: Blocks in each CSP layer.
        use_depthwise: Depthwise separable convs (downsampling, blocks, outputs).
        expand_ratio: Hidden channels of the CSP layers, as a fraction of their output.
        upsample_cfg: Keywords of ``nn.Upsample`` for the top-down path.
        conv_cfg: Conv config.
        norm_cfg: Norm config.
        act_cfg: Activation config.
        init_cfg: Weight initialisation (Kaiming uniform, as mmdet).

    Shapes: L maps (N, in_channels[l], H_l, W_l) -> L maps (N, out_channels, H_l, W_l).
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        out_channels: int,
        num_csp_blocks: int = 3,
        use_depthwise: bool = False,
        expand_ratio: float = 0.5,
        upsample_cfg: dict = _NEAREST_X2,
        conv_cfg: dict | None = None,
        norm_cfg: dict = _NORM,
        act_cfg: dict = _SWISH,
        init_cfg: dict | list[dict] | None = _KAIMING,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, (list, tuple)) or len(in_channels) < 2:
            raise ValueError(
                f"CSPNeXtPAFPN: in_channels must list >= 2 levels, got {in_channels!r}"
            )
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule

        def csp(cin: int, cout: int) -> CSPLayer:
            return CSPLayer(
                cin,
                cout,
                num_blocks=num_csp_blocks,
                add_identity=False,
                use_depthwise=use_depthwise,
                use_cspnext_block=True,
                expand_ratio=expand_ratio,
                **common,
            )

        self.upsample = nn.Upsample(**upsample_cfg)
        self.reduce_layers = nn.ModuleList()
        self.top_down_blocks = nn.ModuleList()
        for idx in range(len(in_channels) - 1, 0, -1):
            self.reduce_layers.append(
                ConvModule(in_channels[idx], in_channels[idx - 1], 1, **common)
            )
            self.top_down_blocks.append(csp(in_channels[idx - 1] * 2, in_channels[idx - 1]))
        self.downsamples = nn.ModuleList()
        self.bottom_up_blocks = nn.ModuleList()
        for idx in range(len(in_channels) - 1):
            self.downsamples.append(
                conv(in_channels[idx], in_channels[idx], 3, stride=2, padding=1, **common)
            )
            self.bottom_up_blocks.append(csp(in_channels[idx] * 2, in_channels[idx + 1]))
        self.out_convs = nn.ModuleList(
            conv(c, out_channels, 3, padding=1, **common) for c in in_channels
        )

    def forward(self, inputs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        if len(inputs) != len(self.in_channels):
            raise ValueError(
                f"CSPNeXtPAFPN expects {len(self.in_channels)} maps, got {len(inputs)}"
            )
        outs = csp_pafpn_paths(self, inputs)
        return tuple(conv(out) for conv, out in zip(self.out_convs, outs))
