"""CSP-Darknet (YOLOv5 / YOLOX, https://arxiv.org/abs/2107.08430) with mmdet 3.x names, defaults
and keys (``stem.conv``, ``stage<i>.<j>``)."""

from __future__ import annotations

import math
from typing import Literal

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from ...registry import MODELS
from ..base import BaseBackbone
from ..layers import ConvModule, CSPLayer, DepthwiseSeparableConvModule

__all__ = ["CSPDarknet", "Focus", "SPPBottleneck", "add_csp_stages"]

_YOLOX_NORM = dict(type="BN", momentum=0.03, eps=0.001)
_SWISH = dict(type="Swish")
_SQRT5 = math.sqrt(5)


class Focus(nn.Module):
    """Space-to-depth (2x2 pixels into 4x channels) then a conv.

    Shapes: (N, C, H, W) -> (N, out_channels, H / 2, W / 2).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 1,
        stride: int = 1,
        conv_cfg: dict | None = None,
        norm_cfg: dict = _YOLOX_NORM,
        act_cfg: dict = _SWISH,
    ) -> None:
        super().__init__()
        self.conv = ConvModule(
            in_channels * 4,
            out_channels,
            kernel_size,
            stride,
            padding=(kernel_size - 1) // 2,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
        )

    def forward(self, x: Tensor) -> Tensor:
        # order: top-left, bottom-left, top-right, bottom-right (as YOLOX checkpoints expect)
        x = torch.cat(
            (x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]), 1
        )
        return self.conv(x)


class SPPBottleneck(BaseModule):
    """Spatial pyramid pooling: 1x1 conv, max-pools of several sizes concatenated, 1x1 conv.

    Shapes: (N, in_channels, H, W) -> (N, out_channels, H, W).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_sizes: tuple[int, ...] = (5, 9, 13),
        conv_cfg: dict | None = None,
        norm_cfg: dict = _YOLOX_NORM,
        act_cfg: dict = _SWISH,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        mid = in_channels // 2
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv1 = ConvModule(in_channels, mid, 1, stride=1, **common)
        self.poolings = nn.ModuleList(
            nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2) for k in kernel_sizes
        )
        self.conv2 = ConvModule(mid * (len(kernel_sizes) + 1), out_channels, 1, **common)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv1(x)
        return self.conv2(torch.cat([x] + [pool(x) for pool in self.poolings], dim=1))


def add_csp_stages(
    backbone: BaseBackbone,
    setting: list,
    deepen_factor: float,
    widen_factor: float,
    conv: type[nn.Module],
    spp_kernel_sizes: tuple[int, ...],
    common: dict,
    csp_args: dict,
) -> list[int]:
    """Add ``stage1..`` (stride-2 conv, SPP in the stages that ask for it, ``CSPLayer``) to a
    CSP backbone (CSPDarknet, CSPNeXt) and append their names to ``backbone.layers``.

    Args:
        setting: Rows ``[in_channels, out_channels, num_blocks, add_identity, use_spp]``.
        conv: The stride-2 conv class (``ConvModule`` or its depthwise separable form).
        common: ``conv_cfg``, ``norm_cfg``, ``act_cfg`` of every conv.
        csp_args: Further ``CSPLayer`` keywords (``use_cspnext_block``, ``expand_ratio``, ...).

    Returns:
        The output channels of the stages.
    """
    channels = []
    use_depthwise = conv is DepthwiseSeparableConvModule
    for i, (cin, cout, num_blocks, add_identity, use_spp) in enumerate(setting):
        cin, cout = int(cin * widen_factor), int(cout * widen_factor)
        num_blocks = max(round(num_blocks * deepen_factor), 1)
        stage: list[nn.Module] = [conv(cin, cout, 3, stride=2, padding=1, **common)]
        if use_spp:
            stage.append(SPPBottleneck(cout, cout, kernel_sizes=spp_kernel_sizes, **common))
        stage.append(
            CSPLayer(
                cout,
                cout,
                num_blocks=num_blocks,
                add_identity=add_identity,
                use_depthwise=use_depthwise,
                **csp_args,
                **common,
            )
        )
        backbone.add_module(f"stage{i + 1}", nn.Sequential(*stage))
        backbone.layers.append(f"stage{i + 1}")
        channels.append(cout)
    return channels


@MODELS.register_module()
class CSPDarknet(BaseBackbone):
    """CSP-Darknet backbone.

    Args:
        arch: ``'P5'`` (4 stages, strides 4..32) or ``'P6'`` (5 stages, up to stride 64).
        deepen_factor: Multiplier of the blocks per stage (YOLOX-s: 0.33).
        widen_factor: Multiplier of the channels (YOLOX-s: 0.5).
        out_indices: Outputs among the stem (0) and the stages (1..).
        frozen_stages: -1: none; i: the stem and stages 1..i.
        use_depthwise: Depthwise separable convs (YOLOX-nano).
        arch_ovewrite: A replacement for the arch table (mmdet's spelling).
        spp_kernal_sizes: SPP pooling sizes (mmdet's spelling).
        conv_cfg: Conv config.
        norm_cfg: Norm config.
        act_cfg: Activation config.
        norm_eval: Keep BatchNorm statistics frozen while training.
        init_cfg: Weight initialisation config.

    Shapes: (N, 3, H, W) -> maps at strides 2 (stem), 4, 8, 16, 32 (, 64) for the indices.
    """

    # in_channels, out_channels, num_blocks, add_identity, use_spp
    arch_settings = {
        "P5": [
            [64, 128, 3, True, False],
            [128, 256, 9, True, False],
            [256, 512, 9, True, False],
            [512, 1024, 3, False, True],
        ],
        "P6": [
            [64, 128, 3, True, False],
            [128, 256, 9, True, False],
            [256, 512, 9, True, False],
            [512, 768, 3, True, False],
            [768, 1024, 3, False, True],
        ],
    }

    def __init__(
        self,
        arch: Literal["P5", "P6"] = "P5",
        deepen_factor: float = 1.0,
        widen_factor: float = 1.0,
        out_indices: tuple[int, ...] = (2, 3, 4),
        frozen_stages: int = -1,
        use_depthwise: bool = False,
        arch_ovewrite: list | None = None,
        spp_kernal_sizes: tuple[int, ...] = (5, 9, 13),
        conv_cfg: dict | None = None,
        norm_cfg: dict = _YOLOX_NORM,
        act_cfg: dict = _SWISH,
        norm_eval: bool = False,
        init_cfg: dict | list[dict] | None = dict(  # noqa: B006 (read-only default)
            type="Kaiming",
            layer="Conv2d",
            a=_SQRT5,
            distribution="uniform",
            mode="fan_in",
            nonlinearity="leaky_relu",
        ),
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if arch not in self.arch_settings:
            raise KeyError(f"Unknown arch {arch!r}; valid: {', '.join(self.arch_settings)}")
        setting = arch_ovewrite or self.arch_settings[arch]
        if not set(out_indices) <= set(range(len(setting) + 1)):
            raise ValueError(
                f"out_indices {tuple(out_indices)} must be in range({len(setting) + 1})"
            )
        if not -1 <= frozen_stages <= len(setting):
            raise ValueError(
                f"frozen_stages must be in range(-1, {len(setting) + 1}), got {frozen_stages}"
            )
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.use_depthwise = use_depthwise
        self.norm_eval = norm_eval
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule
        stem_channels = int(setting[0][0] * widen_factor)
        self.stem = Focus(3, stem_channels, kernel_size=3, **common)
        self.layers = ["stem"]
        channels = [stem_channels]
        channels += add_csp_stages(
            self, setting, deepen_factor, widen_factor, conv, spp_kernal_sizes, common, {}
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

    def train(self, mode: bool = True) -> CSPDarknet:
        super().train(mode)
        self._freeze_stages()
        self._set_norm_eval(mode, self.norm_eval)
        return self
