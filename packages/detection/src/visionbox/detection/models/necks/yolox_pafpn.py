"""``YOLOXPAFPN``: the path aggregation neck of YOLOX (Ge et al., 2021,
https://arxiv.org/abs/2107.08430) with mmdet 3.x's arguments, defaults and ``state_dict`` keys
(``reduce_layers``, ``top_down_blocks``, ``downsamples``, ``bottom_up_blocks``, ``out_convs``).

Shape shorthand: N images; L input levels with channels ``in_channels[l]`` at strides that double
from one level to the next (YOLOX: 8, 16, 32).
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from visionbox.core.models import BaseNeck, ConvModule, DepthwiseSeparableConvModule
from visionbox.core.models.layers import CSPLayer
from visionbox.core.models.necks import csp_pafpn_paths

from ...registry import MODELS

__all__ = ["YOLOXPAFPN"]

_YOLOX_NORM = dict(type="BN", momentum=0.03, eps=0.001)
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


@MODELS.register_module()
class YOLOXPAFPN(BaseNeck):
    """Top-down path (1x1 reduce, upsample, concat, CSP) then bottom-up path (stride-2 conv,
    concat, CSP), and a 1x1 conv of every level to ``out_channels``.

    Args:
        in_channels: Channels of the L input maps, finest first.
        out_channels: Channels of every output map.
        num_csp_blocks: Bottlenecks in each CSP layer.
        use_depthwise: Depthwise separable convs in the downsampling convs.
        upsample_cfg: Keywords of ``nn.Upsample`` for the top-down path.
        conv_cfg: Conv config.
        norm_cfg: Norm config.
        act_cfg: Activation config.
        init_cfg: Weight initialisation (Kaiming uniform, as mmdet).

    Shapes: L maps (N, in_channels[l], H_l, W_l) -> L maps (N, out_channels, H_l, W_l).
    """

    def __init__(
        self,
        in_channels: list[int],
        out_channels: int,
        num_csp_blocks: int = 3,
        use_depthwise: bool = False,
        upsample_cfg: dict = _NEAREST_X2,
        conv_cfg: dict | None = None,
        norm_cfg: dict = _YOLOX_NORM,
        act_cfg: dict = _SWISH,
        init_cfg: dict | list[dict] | None = _KAIMING,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, (list, tuple)) or len(in_channels) < 2:
            raise ValueError(f"YOLOXPAFPN: in_channels must list >= 2 levels, got {in_channels!r}")
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        down_conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule

        def csp(cin: int, cout: int) -> CSPLayer:
            return CSPLayer(
                cin,
                cout,
                num_blocks=num_csp_blocks,
                add_identity=False,
                use_depthwise=use_depthwise,
                **common,
            )

        self.upsample = nn.Upsample(**upsample_cfg)
        # Top-down, coarsest level first: reduce level l to the channels of level l - 1.
        self.reduce_layers = nn.ModuleList()
        self.top_down_blocks = nn.ModuleList()
        for idx in range(len(in_channels) - 1, 0, -1):
            self.reduce_layers.append(
                ConvModule(in_channels[idx], in_channels[idx - 1], 1, **common)
            )
            self.top_down_blocks.append(csp(in_channels[idx - 1] * 2, in_channels[idx - 1]))
        # Bottom-up, finest level first.
        self.downsamples = nn.ModuleList()
        self.bottom_up_blocks = nn.ModuleList()
        for idx in range(len(in_channels) - 1):
            self.downsamples.append(
                down_conv(in_channels[idx], in_channels[idx], 3, stride=2, padding=1, **common)
            )
            self.bottom_up_blocks.append(csp(in_channels[idx] * 2, in_channels[idx + 1]))
        self.out_convs = nn.ModuleList(
            ConvModule(c, out_channels, 1, **common) for c in in_channels
        )

    def forward(self, inputs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        if len(inputs) != len(self.in_channels):
            raise ValueError(f"YOLOXPAFPN expects {len(self.in_channels)} maps, got {len(inputs)}")
        outs = csp_pafpn_paths(self, inputs)
        return tuple(conv(out) for conv, out in zip(self.out_convs, outs))
