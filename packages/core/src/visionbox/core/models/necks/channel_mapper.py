"""ChannelMapper (mmdet 3.x): one conv per input level to a common channel count, plus optional
stride-2 extra levels. Keys: ``convs.<i>.conv``, ``extra_convs.<i>.conv``."""

from __future__ import annotations

from typing import Literal

from torch import Tensor, nn

from ...registry import MODELS
from ..base import BaseNeck
from ..layers import ConvModule

__all__ = ["ChannelMapper"]


@MODELS.register_module()
class ChannelMapper(BaseNeck):
    """Map every input level to ``out_channels``.

    Args:
        in_channels: Channels of each input level.
        out_channels: Channels of every output.
        kernel_size: Kernel of the mapping convs.
        conv_cfg: Conv config.
        norm_cfg: Norm config.
        act_cfg: Activation config.
        num_outs: Outputs (>= inputs; each extra level is a stride-2 conv). ``None``: one per input.
        bias: Conv bias (``'auto'``: when there is no norm).
        init_cfg: Weight initialisation config.

    Shapes: (N, in_channels[i], H_i, W_i) -> (N, out_channels, H_i, W_i), then extra levels.
    """

    def __init__(
        self,
        in_channels: list[int],
        out_channels: int,
        kernel_size: int = 3,
        conv_cfg: dict | None = None,
        norm_cfg: dict | None = None,
        act_cfg: dict | None = dict(type="ReLU"),  # noqa: B006 (read-only default)
        num_outs: int | None = None,
        bias: bool | Literal["auto"] = "auto",
        init_cfg: dict | list[dict] | None = dict(  # noqa: B006 (read-only default)
            type="Xavier", layer="Conv2d", distribution="uniform"
        ),
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, (list, tuple)):
            raise TypeError(f"ChannelMapper: in_channels must be a list, got {in_channels!r}")
        num_outs = len(in_channels) if num_outs is None else num_outs
        if num_outs < len(in_channels):
            raise ValueError(
                f"num_outs ({num_outs}) must be >= len(in_channels) ({len(in_channels)})"
            )
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.num_outs = num_outs
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg, bias=bias)
        self.convs = nn.ModuleList(
            ConvModule(c, out_channels, kernel_size, padding=(kernel_size - 1) // 2, **common)
            for c in in_channels
        )
        self.extra_convs = None
        if num_outs > len(in_channels):
            self.extra_convs = nn.ModuleList(
                ConvModule(
                    in_channels[-1] if i == 0 else out_channels,
                    out_channels,
                    3,
                    stride=2,
                    padding=1,
                    **common,
                )
                for i in range(num_outs - len(in_channels))
            )

    def forward(self, inputs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        if len(inputs) != len(self.convs):
            raise ValueError(f"ChannelMapper expects {len(self.convs)} inputs, got {len(inputs)}")
        outs = [conv(x) for conv, x in zip(self.convs, inputs)]
        if self.extra_convs is not None:
            for i, conv in enumerate(self.extra_convs):
                outs.append(conv(inputs[-1] if i == 0 else outs[-1]))
        return tuple(outs)
