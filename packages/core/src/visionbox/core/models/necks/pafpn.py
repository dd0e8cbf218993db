"""Path Aggregation FPN (Liu et al. 2018, https://arxiv.org/abs/1803.01534) with mmdet 3.x names,
defaults and keys (FPN's plus ``downsample_convs.<i>`` and ``pafpn_convs.<i>``)."""

from __future__ import annotations

from torch import Tensor, nn

from ...registry import MODELS
from ..base import BaseNeck
from ..layers import ConvModule
from .fpn_common import FPNLevels, extra_levels, resolve_extra_convs, stride2_convs, top_down

__all__ = ["PAFPN"]

_XAVIER = dict(type="Xavier", layer="Conv2d", distribution="uniform")


@MODELS.register_module()
class PAFPN(BaseNeck):
    """FPN followed by a bottom-up path (stride-2 convs added into each coarser level).

    Arguments as :class:`~visionbox.core.models.necks.FPN` (nearest top-down upsampling).

    Shapes: as FPN.
    """

    def __init__(
        self,
        in_channels: list[int],
        out_channels: int,
        num_outs: int,
        start_level: int = 0,
        end_level: int = -1,
        add_extra_convs: bool | str = False,
        relu_before_extra_convs: bool = False,
        no_norm_on_lateral: bool = False,
        conv_cfg: dict | None = None,
        norm_cfg: dict | None = None,
        act_cfg: dict | None = None,
        init_cfg: dict | list[dict] | None = _XAVIER,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, (list, tuple)):
            raise TypeError(f"PAFPN: in_channels must be a list, got {in_channels!r}")
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.num_ins = len(in_channels)
        self.num_outs = num_outs
        self.relu_before_extra_convs = relu_before_extra_convs
        self.levels = FPNLevels(self.in_channels, num_outs, start_level, end_level)
        self.start_level = start_level
        self.backbone_end_level = self.levels.backbone_end_level
        self.add_extra_convs = resolve_extra_convs(add_extra_convs)
        common = dict(conv_cfg=conv_cfg, act_cfg=act_cfg)
        full = dict(norm_cfg=norm_cfg, inplace=False, **common)
        lateral_norm = None if no_norm_on_lateral else norm_cfg
        used = range(start_level, self.backbone_end_level)
        self.lateral_convs = nn.ModuleList(
            ConvModule(
                in_channels[i], out_channels, 1, norm_cfg=lateral_norm, inplace=False, **common
            )
            for i in used
        )
        self.fpn_convs = nn.ModuleList(
            ConvModule(out_channels, out_channels, 3, padding=1, **full) for _ in used
        )
        self.downsample_convs = nn.ModuleList(
            ConvModule(out_channels, out_channels, 3, stride=2, padding=1, **full) for _ in used[1:]
        )
        self.pafpn_convs = nn.ModuleList(
            ConvModule(out_channels, out_channels, 3, padding=1, **full) for _ in used[1:]
        )
        if self.add_extra_convs and self.levels.extra > 0:
            first_in = (
                in_channels[self.backbone_end_level - 1]
                if self.add_extra_convs == "on_input"
                else out_channels
            )
            self.fpn_convs.extend(
                stride2_convs(
                    self.levels.extra, first_in, out_channels, dict(norm_cfg=norm_cfg, **common)
                )
            )

    def forward(self, inputs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        if len(inputs) != self.num_ins:
            raise ValueError(
                f"PAFPN expects {self.num_ins} inputs (in_channels), got {len(inputs)}"
            )
        laterals = [conv(inputs[i + self.start_level]) for i, conv in enumerate(self.lateral_convs)]
        laterals = top_down(laterals, dict(mode="nearest"))
        used = self.levels.used
        inter = [self.fpn_convs[i](laterals[i]) for i in range(used)]
        for i in range(used - 1):
            inter[i + 1] = inter[i + 1] + self.downsample_convs[i](inter[i])
        outs = [inter[0]] + [self.pafpn_convs[i - 1](inter[i]) for i in range(1, used)]
        sources = dict(on_input=inputs[self.backbone_end_level - 1], on_lateral=laterals[-1])
        outs = extra_levels(
            outs,
            self.num_outs,
            self.add_extra_convs,
            sources,
            list(self.fpn_convs)[used:],
            self.relu_before_extra_convs,
        )
        return tuple(outs)
