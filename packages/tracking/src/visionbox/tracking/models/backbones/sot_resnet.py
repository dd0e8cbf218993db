"""``SOTResNet``: the ResNet of SiamRPN++ (Li et al. 2019, https://arxiv.org/abs/1812.11703).

It is core's :class:`~visionbox.core.models.ResNet` with the paddings of the SOT backbone, so that
a 127x127 template gives 15x15 maps and a 255x255 search region 31x31 maps at stride 8:

* the 7x7 stem conv (or the three 3x3 convs of a deep stem) has no padding;
* the strided 3x3 conv of a stage's first block has no padding;
* the first block of a dilated stage uses half the stage's dilation (``contract_dilation``);
* the projection shortcut of a strided or dilated stage is a 3x3 conv (stride ``s``, no
  padding; or dilation and padding ``d // 2``) instead of a 1x1 conv.

Keys are ResNet's (``conv1``, ``bn1``, ``layer<i>.<j>.conv<k>``, ``layer<i>.<j>.downsample.0``),
as in mmtracking's ``SOTResNet``; depth 18 and 34 are also accepted (small demo models).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

from torch import nn

from visionbox.core.models import ResNet, build_conv_layer
from visionbox.core.models.backbones.res_blocks import BasicBlock
from visionbox.tracking.registry import MODELS

_BN = MappingProxyType(dict(type="BN", requires_grad=True))  # read-only default

__all__ = ["SOTResNet"]


@MODELS.register_module()
class SOTResNet(ResNet):
    """ResNet backbone for single-object tracking.

    Arguments as core's :class:`~visionbox.core.models.ResNet` (mmtracking's configs set
    ``strides=(1, 2, 1, 1)``, ``dilations=(1, 1, 2, 4)``, ``out_indices=(1, 2, 3)``);
    ``contract_dilation`` is always on.

    Shapes: (N, 3, 127, 127) -> (N, C_i, 15, 15) and (N, 3, 255, 255) -> (N, C_i, 31, 31) per
    ``i`` in ``out_indices`` with the SiamRPN++ strides and dilations.
    """

    def __init__(
        self,
        depth: int,
        in_channels: int = 3,
        stem_channels: int | None = None,
        base_channels: int = 64,
        num_stages: int = 4,
        strides: tuple[int, ...] = (1, 2, 2, 2),
        dilations: tuple[int, ...] = (1, 1, 1, 1),
        out_indices: tuple[int, ...] = (0, 1, 2, 3),
        style: Literal["pytorch", "caffe"] = "pytorch",
        deep_stem: bool = False,
        avg_down: bool = False,
        frozen_stages: int = -1,
        conv_cfg: dict | None = None,
        norm_cfg: Mapping = _BN,
        norm_eval: bool = True,
        with_cp: bool = False,
        zero_init_residual: bool = True,
        pretrained: str | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if depth not in (18, 34, 50):
            raise KeyError(f"Invalid depth {depth} for SOTResNet; valid depths: 18, 34, 50.")
        if avg_down:
            raise ValueError("SOTResNet does not support avg_down=True.")
        super().__init__(
            depth,
            in_channels=in_channels,
            stem_channels=stem_channels,
            base_channels=base_channels,
            num_stages=num_stages,
            strides=strides,
            dilations=dilations,
            out_indices=out_indices,
            style=style,
            deep_stem=deep_stem,
            avg_down=False,
            frozen_stages=-1,
            conv_cfg=conv_cfg,
            norm_cfg=dict(norm_cfg),
            norm_eval=norm_eval,
            with_cp=with_cp,
            zero_init_residual=zero_init_residual,
            pretrained=pretrained,
            init_cfg=init_cfg,
            contract_dilation=True,
        )
        self._sot_paddings()
        self.frozen_stages = frozen_stages
        self._freeze_stages()

    def _sot_paddings(self) -> None:
        stem_convs = (
            [m for m in self.stem if isinstance(m, nn.Conv2d)] if self.deep_stem else [self.conv1]
        )
        for conv in stem_convs:
            conv.padding = (0, 0)
        for i, name in enumerate(self.res_layers):
            stride, dilation = self.strides[i], self.dilations[i]
            first = getattr(self, name)[0]
            if stride != 1:
                strided = self._strided_conv(first)
                strided.padding = (0, 0) if dilation == 1 else strided.padding
            if first.downsample is not None and (stride != 1 or dilation != 1):
                old = first.downsample[0]
                dd = dilation // 2 if dilation > 1 else 1
                first.downsample[0] = build_conv_layer(
                    self.conv_cfg,
                    old.in_channels,
                    old.out_channels,
                    3,
                    stride=stride,
                    padding=dd if dilation > 1 else 0,
                    dilation=dd,
                    bias=False,
                )

    def _strided_conv(self, block: Any) -> nn.Conv2d:
        if isinstance(block, BasicBlock) or self.style == "caffe":
            return block.conv1
        return block.conv2
