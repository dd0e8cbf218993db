"""Pieces shared by FPN and PAFPN: level bookkeeping, the top-down path and the extra levels."""

from __future__ import annotations

from typing import Literal

import torch.nn.functional as F
from torch import Tensor, nn

from ..layers import ConvModule

__all__ = [
    "ExtraConvs",
    "FPNLevels",
    "extra_levels",
    "resolve_extra_convs",
    "stride2_convs",
    "top_down",
]

ExtraConvs = Literal["on_input", "on_lateral", "on_output"]
_EXTRA_CHOICES = ("on_input", "on_lateral", "on_output")


def resolve_extra_convs(add_extra_convs: bool | str) -> ExtraConvs | None:
    """``True`` means ``'on_input'``; ``False`` means max-pooled extra levels (``None``)."""
    if add_extra_convs is True:
        return "on_input"
    if add_extra_convs is False:
        return None
    if add_extra_convs not in _EXTRA_CHOICES:
        raise ValueError(
            f"add_extra_convs must be a bool or one of {', '.join(_EXTRA_CHOICES)}, "
            f"got {add_extra_convs!r}"
        )
    return add_extra_convs


class FPNLevels:
    """Which backbone levels an FPN-style neck uses and how many extra levels it adds."""

    def __init__(
        self, in_channels: list[int], num_outs: int, start_level: int, end_level: int
    ) -> None:
        num_ins = len(in_channels)
        if end_level in (-1, num_ins - 1):
            self.backbone_end_level = num_ins
            if num_outs < num_ins - start_level:
                raise ValueError(
                    f"num_outs ({num_outs}) must be >= len(in_channels) - start_level "
                    f"({num_ins - start_level})"
                )
        else:
            self.backbone_end_level = end_level + 1
            if end_level >= num_ins:
                raise ValueError(f"end_level ({end_level}) must be < len(in_channels) ({num_ins})")
            if num_outs != end_level - start_level + 1:
                raise ValueError(
                    f"num_outs ({num_outs}) must equal end_level - start_level + 1 "
                    f"({end_level - start_level + 1})"
                )
        if not 0 <= start_level < self.backbone_end_level:
            raise ValueError(
                f"start_level ({start_level}) must be in range({self.backbone_end_level})"
            )
        self.start_level = start_level
        self.used = self.backbone_end_level - start_level
        self.extra = num_outs - self.used


def top_down(laterals: list[Tensor], upsample_cfg: dict) -> list[Tensor]:
    """Add each coarser lateral, upsampled, into the next finer one (coarsest first)."""
    laterals = list(laterals)
    for i in range(len(laterals) - 1, 0, -1):
        if "scale_factor" in upsample_cfg:
            up = F.interpolate(laterals[i], **upsample_cfg)
        else:
            up = F.interpolate(laterals[i], size=laterals[i - 1].shape[2:], **upsample_cfg)
        laterals[i - 1] = laterals[i - 1] + up
    return laterals


def extra_levels(
    outs: list[Tensor],
    num_outs: int,
    mode: ExtraConvs | None,
    sources: dict[str, Tensor],
    extra_convs: list[nn.Module],
    relu_before_extra_convs: bool,
) -> list[Tensor]:
    """Append levels beyond the backbone's: stride-2 max pools, or stride-2 convs on a source."""
    outs = list(outs)
    if mode is None:
        while len(outs) < num_outs:
            outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        return outs
    source = sources[mode] if mode != "on_output" else outs[-1]
    for i, conv in enumerate(extra_convs):
        if i == 0:
            outs.append(conv(source))
        else:
            outs.append(conv(F.relu(outs[-1]) if relu_before_extra_convs else outs[-1]))
    return outs


def stride2_convs(count: int, first_in: int, out_channels: int, common: dict) -> list[ConvModule]:
    """``count`` 3x3 stride-2 ConvModules; the first reads ``first_in`` channels."""
    return [
        ConvModule(
            first_in if i == 0 else out_channels,
            out_channels,
            3,
            stride=2,
            padding=1,
            inplace=False,
            **common,
        )
        for i in range(count)
    ]
