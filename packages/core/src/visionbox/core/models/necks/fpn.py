"""Feature Pyramid Network (Lin et al. 2017, https://arxiv.org/abs/1612.03144) with mmdet 3.x
names, defaults and keys (``lateral_convs.<i>.conv``, ``fpn_convs.<i>.conv``, the extra convs
appended to ``fpn_convs``)."""

from __future__ import annotations

from torch import Tensor, nn

from ...registry import MODELS
from ..base import BaseNeck
from ..layers import ConvModule
from .fpn_common import FPNLevels, extra_levels, resolve_extra_convs, stride2_convs, top_down

__all__ = ["FPN"]

_XAVIER = dict(type="Xavier", layer="Conv2d", distribution="uniform")


@MODELS.register_module()
class FPN(BaseNeck):
    """FPN neck.

    Args:
        in_channels: Channels of each backbone output.
        out_channels: Channels of every output level.
        num_outs: Number of output levels (extra levels are added beyond the backbone's).
        start_level: First backbone level used.
        end_level: Last backbone level used (-1: the last one).
        add_extra_convs: ``False``: extra levels by max pooling; ``True`` / ``'on_input'`` /
            ``'on_lateral'`` / ``'on_output'``: stride-2 convs on that source.
        relu_before_extra_convs: ReLU before each extra conv after the first.
        no_norm_on_lateral: No norm layer in the lateral 1x1 convs.
        conv_cfg: Conv config.
        norm_cfg: Norm config.
        act_cfg: Activation config.
        upsample_cfg: ``F.interpolate`` arguments of the top-down path.
        init_cfg: Weight initialisation config.

    Shapes: inputs (N, in_channels[i], H_i, W_i) -> ``num_outs`` maps (N, out_channels, H_k, W_k)
    from level ``start_level``, each extra level halving the previous size.
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
        upsample_cfg: dict = dict(mode="nearest"),  # noqa: B006 (read-only default)
        init_cfg: dict | list[dict] | None = _XAVIER,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, (list, tuple)):
            raise TypeError(f"FPN: in_channels must be a list, got {in_channels!r}")
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.num_ins = len(in_channels)
        self.num_outs = num_outs
        self.relu_before_extra_convs = relu_before_extra_convs
        self.no_norm_on_lateral = no_norm_on_lateral
        self.upsample_cfg = dict(upsample_cfg)
        self.levels = FPNLevels(self.in_channels, num_outs, start_level, end_level)
        self.start_level = start_level
        self.end_level = end_level
        self.backbone_end_level = self.levels.backbone_end_level
        self.add_extra_convs = resolve_extra_convs(add_extra_convs)
        common = dict(conv_cfg=conv_cfg, act_cfg=act_cfg)
        lateral_norm = None if no_norm_on_lateral else norm_cfg
        used = range(start_level, self.backbone_end_level)
        self.lateral_convs = nn.ModuleList(
            ConvModule(
                in_channels[i], out_channels, 1, norm_cfg=lateral_norm, inplace=False, **common
            )
            for i in used
        )
        self.fpn_convs = nn.ModuleList(
            ConvModule(
                out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg, inplace=False, **common
            )
            for _ in used
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
            raise ValueError(f"FPN expects {self.num_ins} inputs (in_channels), got {len(inputs)}")
        laterals = [conv(inputs[i + self.start_level]) for i, conv in enumerate(self.lateral_convs)]
        laterals = top_down(laterals, self.upsample_cfg)
        used = self.levels.used
        outs = [self.fpn_convs[i](laterals[i]) for i in range(used)]
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
