"""Cross Stage Partial layer (CSPNet, https://arxiv.org/abs/1911.11929) as YOLOX uses it."""

from __future__ import annotations

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from .conv_module import ConvModule, DepthwiseSeparableConvModule

__all__ = ["DarknetBottleneck", "CSPLayer"]

_YOLOX_NORM = dict(type="BN", momentum=0.03, eps=0.001)
_SWISH = dict(type="Swish")


class DarknetBottleneck(BaseModule):
    """1x1 conv then 3x3 conv, plus the input when the channels match and ``add_identity``.

    Shapes: (N, C_in, H, W) -> (N, C_out, H, W).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        expansion: float = 0.5,
        add_identity: bool = True,
        use_depthwise: bool = False,
        conv_cfg: dict | None = None,
        norm_cfg: dict = _YOLOX_NORM,
        act_cfg: dict = _SWISH,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        hidden = int(out_channels * expansion)
        conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule
        self.conv1 = ConvModule(
            in_channels, hidden, 1, conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg
        )
        self.conv2 = conv(
            hidden,
            out_channels,
            3,
            stride=1,
            padding=1,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
        )
        self.add_identity = add_identity and in_channels == out_channels

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv2(self.conv1(x))
        return out + x if self.add_identity else out


class CSPLayer(BaseModule):
    """Split into a short 1x1 branch and a main 1x1 branch with ``num_blocks`` bottlenecks, concat,
    fuse with a 1x1 conv. Keys: ``main_conv``, ``short_conv``, ``final_conv``, ``blocks.<i>``.

    Shapes: (N, C_in, H, W) -> (N, C_out, H, W).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        expand_ratio: float = 0.5,
        num_blocks: int = 1,
        add_identity: bool = True,
        use_depthwise: bool = False,
        conv_cfg: dict | None = None,
        norm_cfg: dict = _YOLOX_NORM,
        act_cfg: dict = _SWISH,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        mid = int(out_channels * expand_ratio)
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.main_conv = ConvModule(in_channels, mid, 1, **common)
        self.short_conv = ConvModule(in_channels, mid, 1, **common)
        self.final_conv = ConvModule(2 * mid, out_channels, 1, **common)
        self.blocks = nn.Sequential(
            *(
                DarknetBottleneck(mid, mid, 1.0, add_identity, use_depthwise, **common)
                for _ in range(num_blocks)
            )
        )

    def forward(self, x: Tensor) -> Tensor:
        main = self.blocks(self.main_conv(x))
        return self.final_conv(torch.cat((main, self.short_conv(x)), dim=1))
