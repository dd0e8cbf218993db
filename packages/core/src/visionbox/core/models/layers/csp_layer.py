"""Cross Stage Partial layer (CSPNet, https://arxiv.org/abs/1911.11929) as YOLOX and RTMDet
(https://arxiv.org/abs/2212.07784) use it, with mmdet 3.x's arguments and ``state_dict`` keys."""

from __future__ import annotations

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from .conv_module import ConvModule, DepthwiseSeparableConvModule

__all__ = ["ChannelAttention", "CSPLayer", "CSPNeXtBlock", "DarknetBottleneck"]

_YOLOX_NORM = dict(type="BN", momentum=0.03, eps=0.001)
_SWISH = dict(type="Swish")
_SILU = dict(type="SiLU")


class ChannelAttention(BaseModule):
    """Scale each channel by ``hardsigmoid(fc(mean over H, W))`` (RTMDet's CSP attention).

    Shapes: (N, C, H, W) -> (N, C, H, W).
    """

    def __init__(self, channels: int, init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.global_avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Conv2d(channels, channels, 1, 1, 0, bias=True)
        self.act = nn.Hardsigmoid(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return x * self.act(self.fc(self.global_avgpool(x)))


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


class CSPNeXtBlock(BaseModule):
    """3x3 conv then a depthwise separable ``kernel_size`` conv, plus the input when the channels
    match and ``add_identity`` (RTMDet). Only the second conv receives ``conv_cfg``, as in mmdet.

    Shapes: (N, C_in, H, W) -> (N, C_out, H, W).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        expansion: float = 0.5,
        add_identity: bool = True,
        use_depthwise: bool = False,
        kernel_size: int = 5,
        conv_cfg: dict | None = None,
        norm_cfg: dict = _YOLOX_NORM,
        act_cfg: dict = _SILU,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        hidden = int(out_channels * expansion)
        conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule
        self.conv1 = conv(
            in_channels, hidden, 3, stride=1, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg
        )
        self.conv2 = DepthwiseSeparableConvModule(
            hidden,
            out_channels,
            kernel_size,
            stride=1,
            padding=kernel_size // 2,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
        )
        self.add_identity = add_identity and in_channels == out_channels

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv2(self.conv1(x))
        return out + x if self.add_identity else out


class CSPLayer(BaseModule):
    """Split into a short 1x1 branch and a main 1x1 branch with ``num_blocks`` bottlenecks
    (``DarknetBottleneck``, or ``CSPNeXtBlock`` with ``use_cspnext_block``), concat, optionally
    reweight the channels (``channel_attention``), fuse with a 1x1 conv. Keys: ``main_conv``,
    ``short_conv``, ``final_conv``, ``blocks.<i>`` (and ``attention.fc``).

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
        use_cspnext_block: bool = False,
        channel_attention: bool = False,
        conv_cfg: dict | None = None,
        norm_cfg: dict = _YOLOX_NORM,
        act_cfg: dict = _SWISH,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        mid = int(out_channels * expand_ratio)
        block = CSPNeXtBlock if use_cspnext_block else DarknetBottleneck
        self.channel_attention = channel_attention
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.main_conv = ConvModule(in_channels, mid, 1, **common)
        self.short_conv = ConvModule(in_channels, mid, 1, **common)
        self.final_conv = ConvModule(2 * mid, out_channels, 1, **common)
        self.blocks = nn.Sequential(
            *(
                block(mid, mid, 1.0, add_identity, use_depthwise, **common)
                for _ in range(num_blocks)
            )
        )
        if channel_attention:
            self.attention = ChannelAttention(2 * mid)

    def forward(self, x: Tensor) -> Tensor:
        main = self.blocks(self.main_conv(x))
        out = torch.cat((main, self.short_conv(x)), dim=1)
        if self.channel_attention:
            out = self.attention(out)
        return self.final_conv(out)
