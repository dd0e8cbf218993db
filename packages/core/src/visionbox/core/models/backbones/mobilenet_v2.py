"""MobileNetV2 (Sandler et al. 2018, https://arxiv.org/abs/1801.04381) with mmdet 3.x names,
defaults and keys (``conv1``, ``layer<i>.<j>.{expand_conv,depthwise_conv,linear_conv}``,
``conv2``)."""

from __future__ import annotations

import torch.utils.checkpoint as cp
from mmengine.model import BaseModule
from torch import Tensor, nn

from ...registry import MODELS
from ..base import BaseBackbone
from ..layers import ConvModule

__all__ = ["InvertedResidual", "MobileNetV2", "make_divisible"]


def make_divisible(
    value: float, divisor: int, min_value: int | None = None, min_ratio: float = 0.9
) -> int:
    """Round ``value`` to the nearest multiple of ``divisor``, never below ``min_ratio * value``."""
    min_value = min_value or divisor
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return new_value + divisor if new_value < min_ratio * value else new_value


class InvertedResidual(BaseModule):
    """1x1 expand, 3x3 depthwise, 1x1 linear projection; residual when shapes allow.

    Shapes: (N, in_channels, H, W) -> (N, out_channels, H / stride, W / stride).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        mid_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        with_expand_conv: bool = True,
        conv_cfg: dict | None = None,
        norm_cfg: dict | None = None,
        act_cfg: dict | None = None,
        with_cp: bool = False,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        self.with_res_shortcut = stride == 1 and in_channels == out_channels
        self.with_cp = with_cp
        self.with_expand_conv = with_expand_conv
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        if with_expand_conv:
            self.expand_conv = ConvModule(in_channels, mid_channels, 1, act_cfg=act_cfg, **common)
        self.depthwise_conv = ConvModule(
            mid_channels,
            mid_channels,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            groups=mid_channels,
            act_cfg=act_cfg,
            **common,
        )
        self.linear_conv = ConvModule(mid_channels, out_channels, 1, act_cfg=None, **common)

    def _inner(self, x: Tensor) -> Tensor:
        out = self.expand_conv(x) if self.with_expand_conv else x
        out = self.linear_conv(self.depthwise_conv(out))
        return x + out if self.with_res_shortcut else out

    def forward(self, x: Tensor) -> Tensor:
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(self._inner, x, use_reentrant=False)
        return self._inner(x)


@MODELS.register_module()
class MobileNetV2(BaseBackbone):
    """MobileNetV2 backbone.

    Args:
        widen_factor: Channel multiplier.
        out_indices: Outputs to return among ``layer1`` .. ``layer7`` (0..6) and ``conv2`` (7).
        frozen_stages: -1: none; 0: ``conv1``; i: ``conv1`` and ``layer1`` .. ``layer<i>``.
        conv_cfg: Conv config.
        norm_cfg: Norm config.
        act_cfg: Activation config.
        norm_eval: Keep BatchNorm statistics frozen while training.
        with_cp: Gradient checkpointing in the blocks.
        pretrained: Deprecated; use ``init_cfg``.
        init_cfg: Weight initialisation config.

    Shapes: (N, 3, H, W) -> maps at strides 2, 4, 8, 16, 16, 32, 32, 32 for indices 0..7.
    """

    # expand_ratio, channels, num_blocks, stride
    arch_settings = [
        [1, 16, 1, 1],
        [6, 24, 2, 2],
        [6, 32, 3, 2],
        [6, 64, 4, 2],
        [6, 96, 3, 1],
        [6, 160, 3, 2],
        [6, 320, 1, 1],
    ]

    def __init__(
        self,
        widen_factor: float = 1.0,
        out_indices: tuple[int, ...] = (1, 2, 4, 7),
        frozen_stages: int = -1,
        conv_cfg: dict | None = None,
        norm_cfg: dict = dict(type="BN"),  # noqa: B006 (read-only default)
        act_cfg: dict = dict(type="ReLU6"),  # noqa: B006 (read-only default)
        norm_eval: bool = False,
        with_cp: bool = False,
        pretrained: str | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if pretrained is not None and init_cfg is None:
            init_cfg = dict(type="Pretrained", checkpoint=pretrained)
        if init_cfg is None:
            init_cfg = [
                dict(type="Kaiming", layer="Conv2d"),
                dict(type="Constant", val=1, layer=["_BatchNorm", "GroupNorm"]),
            ]
        super().__init__(init_cfg=init_cfg)
        bad = [i for i in out_indices if not 0 <= i < 8]
        if bad:
            raise ValueError(f"out_indices must be in range(0, 8), got {tuple(out_indices)}")
        if not -1 <= frozen_stages < 8:
            raise ValueError(f"frozen_stages must be in range(-1, 8), got {frozen_stages}")
        self.widen_factor = widen_factor
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        in_channels = make_divisible(32 * widen_factor, 8)
        self.conv1 = ConvModule(3, in_channels, 3, stride=2, padding=1, **common)
        self.layers: list[str] = []
        channels = []
        for i, (expand_ratio, channel, num_blocks, stride) in enumerate(self.arch_settings):
            out_channels = make_divisible(channel * widen_factor, 8)
            blocks = []
            for j in range(num_blocks):
                blocks.append(
                    InvertedResidual(
                        in_channels,
                        out_channels,
                        int(round(in_channels * expand_ratio)),
                        stride=stride if j == 0 else 1,
                        with_expand_conv=expand_ratio != 1,
                        with_cp=with_cp,
                        **common,
                    )
                )
                in_channels = out_channels
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
            self.layers.append(f"layer{i + 1}")
            channels.append(out_channels)
        last = int(1280 * widen_factor) if widen_factor > 1.0 else 1280
        self.conv2 = ConvModule(in_channels, last, 1, **common)
        self.layers.append("conv2")
        channels.append(last)
        self.out_channels = [channels[i] for i in self.out_indices]
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        if self.frozen_stages >= 0:
            self._freeze(self.conv1)
        for i in range(1, self.frozen_stages + 1):
            self._freeze(getattr(self, f"layer{i}"))

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        x = self.conv1(x)
        outs = []
        for i, name in enumerate(self.layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> MobileNetV2:
        super().train(mode)
        self._freeze_stages()
        self._set_norm_eval(mode, self.norm_eval)
        return self
