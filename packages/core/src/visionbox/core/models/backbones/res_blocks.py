"""Residual blocks of ResNet / ResNeXt (He et al. 2016, https://arxiv.org/abs/1512.03385; Xie et
al. 2017, https://arxiv.org/abs/1611.05431) with mmdet's ``state_dict`` keys: ``conv1``, ``bn1``,
``conv2``, ``bn2`` (, ``conv3``, ``bn3``), ``downsample.<i>``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch.utils.checkpoint as cp
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..layers import build_conv_layer, build_norm_layer

__all__ = ["BasicBlock", "Bottleneck", "ResLayer", "block_dilations"]

_BN = dict(type="BN", requires_grad=True)


class BasicBlock(BaseModule):
    """Two 3x3 convs (ResNet-18/34). Shapes: (N, inplanes, H, W) -> (N, planes, H/s, W/s)."""

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        dilation: int = 1,
        downsample: nn.Module | None = None,
        style: Literal["pytorch", "caffe"] = "pytorch",
        with_cp: bool = False,
        conv_cfg: dict | None = None,
        norm_cfg: dict = _BN,
        dcn: dict | None = None,
        groups: int = 1,
        base_width: int = 4,
        base_channels: int = 64,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if dcn is not None:
            raise ValueError(
                "BasicBlock does not support dcn; use a Bottleneck ResNet (depth>=50)."
            )
        if groups != 1:
            raise ValueError("BasicBlock supports only groups=1 (ResNeXt needs depth>=50).")
        self.norm1_name, norm1 = build_norm_layer(norm_cfg, planes, postfix=1)
        self.norm2_name, norm2 = build_norm_layer(norm_cfg, planes, postfix=2)
        self.conv1 = build_conv_layer(
            conv_cfg,
            inplanes,
            planes,
            3,
            stride=stride,
            padding=dilation,
            dilation=dilation,
            bias=False,
        )
        self.add_module(self.norm1_name, norm1)
        self.conv2 = build_conv_layer(conv_cfg, planes, planes, 3, padding=1, bias=False)
        self.add_module(self.norm2_name, norm2)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride
        self.dilation = dilation
        self.with_cp = with_cp

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    @property
    def norm2(self) -> nn.Module:
        return getattr(self, self.norm2_name)

    @property
    def last_norm(self) -> nn.Module:
        """The norm before the residual sum (zeroed by ``zero_init_residual``)."""
        return self.norm2

    def _residual(self, x: Tensor) -> Tensor:
        out = self.relu(self.norm1(self.conv1(x)))
        out = self.norm2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        out += identity  # in place, as torchvision: one allocation less per block
        return out

    def forward(self, x: Tensor) -> Tensor:
        if self.with_cp and x.requires_grad:
            out = cp.checkpoint(self._residual, x, use_reentrant=False)
        else:
            out = self._residual(x)
        return self.relu(out)


class Bottleneck(BaseModule):
    """1x1 reduce, 3x3 (optionally deformable, grouped for ResNeXt), 1x1 expand (x4).

    ``style='pytorch'`` puts the stride on the 3x3 conv, ``'caffe'`` on the first 1x1 conv.
    Shapes: (N, inplanes, H, W) -> (N, 4 * planes, H/s, W/s).
    """

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        dilation: int = 1,
        downsample: nn.Module | None = None,
        style: Literal["pytorch", "caffe"] = "pytorch",
        with_cp: bool = False,
        conv_cfg: dict | None = None,
        norm_cfg: dict = _BN,
        dcn: dict | None = None,
        groups: int = 1,
        base_width: int = 4,
        base_channels: int = 64,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if style not in ("pytorch", "caffe"):
            raise ValueError(f"style must be 'pytorch' or 'caffe', got {style!r}")
        self.inplanes = inplanes
        self.planes = planes
        self.stride = stride
        self.dilation = dilation
        self.style = style
        self.with_cp = with_cp
        self.downsample = downsample
        self.conv1_stride, self.conv2_stride = (1, stride) if style == "pytorch" else (stride, 1)
        width = planes if groups == 1 else math.floor(planes * base_width / base_channels) * groups

        self.norm1_name, norm1 = build_norm_layer(norm_cfg, width, postfix=1)
        self.norm2_name, norm2 = build_norm_layer(norm_cfg, width, postfix=2)
        self.norm3_name, norm3 = build_norm_layer(norm_cfg, planes * self.expansion, postfix=3)
        self.conv1 = build_conv_layer(
            conv_cfg, inplanes, width, 1, stride=self.conv1_stride, bias=False
        )
        self.add_module(self.norm1_name, norm1)
        dcn = dict(dcn) if dcn is not None else None
        fallback_on_stride = dcn.pop("fallback_on_stride", False) if dcn else False
        use_dcn = dcn is not None and not (fallback_on_stride and self.conv2_stride > 1)
        self.conv2 = build_conv_layer(
            dcn if use_dcn else conv_cfg,
            width,
            width,
            3,
            stride=self.conv2_stride,
            padding=dilation,
            dilation=dilation,
            groups=groups,
            bias=False,
        )
        self.add_module(self.norm2_name, norm2)
        self.conv3 = build_conv_layer(conv_cfg, width, planes * self.expansion, 1, bias=False)
        self.add_module(self.norm3_name, norm3)
        self.relu = nn.ReLU(inplace=True)

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    @property
    def norm2(self) -> nn.Module:
        return getattr(self, self.norm2_name)

    @property
    def norm3(self) -> nn.Module:
        return getattr(self, self.norm3_name)

    @property
    def last_norm(self) -> nn.Module:
        """The norm before the residual sum (zeroed by ``zero_init_residual``)."""
        return self.norm3

    def _residual(self, x: Tensor) -> Tensor:
        out = self.relu(self.norm1(self.conv1(x)))
        out = self.relu(self.norm2(self.conv2(out)))
        out = self.norm3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        out += identity  # in place, as torchvision: one allocation less per block
        return out

    def forward(self, x: Tensor) -> Tensor:
        if self.with_cp and x.requires_grad:
            out = cp.checkpoint(self._residual, x, use_reentrant=False)
        else:
            out = self._residual(x)
        return self.relu(out)


class ResLayer(nn.Sequential):
    """``num_blocks`` blocks; the first one strides and projects the identity when needed.

    With ``avg_down`` the projection is AvgPool(stride) + 1x1 conv (ResNet-D), so its keys are
    ``downsample.1`` / ``downsample.2`` instead of ``downsample.0`` / ``downsample.1``.

    The dilation of block ``j``'s 3x3 conv is ``dilation``, except (mmseg 1.x semantics):

    * ``multi_grid=(d_0, ..., d_{n-1})``: block ``j`` uses ``d_j`` (one entry per block);
    * else ``contract_dilation=True`` and ``dilation > 1``: the first block uses
      ``dilation // 2``.
    """

    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        inplanes: int,
        planes: int,
        num_blocks: int,
        stride: int = 1,
        dilation: int = 1,
        avg_down: bool = False,
        conv_cfg: dict | None = None,
        norm_cfg: dict = _BN,
        multi_grid: Sequence[int] | None = None,
        contract_dilation: bool = False,
        **block_args: object,
    ) -> None:
        out_planes = planes * block.expansion
        dilations = block_dilations(num_blocks, dilation, multi_grid, contract_dilation)
        downsample = None
        if stride != 1 or inplanes != out_planes:
            layers: list[nn.Module] = []
            conv_stride = stride
            if avg_down:
                conv_stride = 1
                layers.append(nn.AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False))
            layers.append(
                build_conv_layer(conv_cfg, inplanes, out_planes, 1, stride=conv_stride, bias=False)
            )
            layers.append(build_norm_layer(norm_cfg, out_planes)[1])
            downsample = nn.Sequential(*layers)
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, **block_args)
        blocks = [
            block(
                inplanes,
                planes,
                stride=stride,
                dilation=dilations[0],
                downsample=downsample,
                **common,
            )
        ]
        blocks += [block(out_planes, planes, stride=1, dilation=d, **common) for d in dilations[1:]]
        super().__init__(*blocks)


def block_dilations(
    num_blocks: int,
    dilation: int,
    multi_grid: Sequence[int] | None = None,
    contract_dilation: bool = False,
) -> list[int]:
    """The dilation of each block's 3x3 conv in a stage (see :class:`ResLayer`).

    Raises:
        ValueError: ``multi_grid`` has not one positive entry per block.
    """
    if multi_grid is not None:
        grid = [int(d) for d in multi_grid]
        if len(grid) != num_blocks or min(grid) < 1:
            raise ValueError(
                f"multi_grid {tuple(multi_grid)} needs one positive dilation per block of the "
                f"stage ({num_blocks} blocks)."
            )
        return grid
    first = dilation // 2 if contract_dilation and dilation > 1 else dilation
    return [first] + [dilation] * (num_blocks - 1)
