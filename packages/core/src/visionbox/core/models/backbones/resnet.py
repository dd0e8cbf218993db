"""ResNet (He et al. 2016, https://arxiv.org/abs/1512.03385) and the ResNet-C / ResNet-D stems
(He et al. 2019, https://arxiv.org/abs/1812.01187), with mmdet 3.x names, defaults and keys.

Keys: ``conv1``, ``bn1`` (or ``stem.0`` .. ``stem.7`` with ``deep_stem``), ``layer<i>.<j>.*``.
A torchvision ResNet state dict loads with only ``fc.*`` left over.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any, Literal

from torch import Tensor, nn

from ...registry import MODELS
from ..base import BaseBackbone
from ..layers import build_conv_layer, build_norm_layer
from .res_blocks import BasicBlock, Bottleneck, ResLayer

__all__ = ["ResNet", "ResNetV1c", "ResNetV1d", "ResNeXt"]


@MODELS.register_module()
class ResNet(BaseBackbone):
    """ResNet backbone.

    Args:
        depth: 18, 34, 50, 101 or 152.
        in_channels: Input image channels.
        stem_channels: Stem output channels (default ``base_channels``).
        base_channels: Planes of the first stage (doubled at each stage).
        num_stages: 1 to 4 residual stages.
        strides: Stride of the first block of each stage.
        dilations: Dilation of each stage.
        out_indices: Stages whose outputs ``forward`` returns (0-based).
        style: ``'pytorch'`` (stride on the 3x3 conv) or ``'caffe'`` (on the first 1x1 conv).
        deep_stem: Three 3x3 convs instead of the 7x7 conv (ResNet-C).
        avg_down: AvgPool + 1x1 conv in the projection shortcuts (ResNet-D).
        frozen_stages: Stages to freeze (-1: none, 0: the stem, i: stem and stages 1..i).
        conv_cfg: Conv config.
        norm_cfg: Norm config.
        norm_eval: Keep BatchNorm statistics frozen while training.
        dcn: Deformable conv config for the 3x3 convs, e.g. ``dict(type='DCNv2',
            deform_groups=1, fallback_on_stride=False)``.
        stage_with_dcn: Which stages use ``dcn``.
        with_cp: Gradient checkpointing in the blocks (less memory, slower).
        zero_init_residual: Zero the last norm of each block at initialisation.
        pretrained: Deprecated; use ``init_cfg=dict(type='Pretrained', checkpoint=...)``.
        init_cfg: Weight initialisation config.
        groups: Groups of the 3x3 convs (ResNeXt; ``1`` for ResNet).
        base_width: Width per group of the 3x3 convs (ResNeXt).
        multi_grid: Dilations of the blocks of the last stage, one per block (mmseg's
            multi-grid, e.g. ``(1, 2, 4)``); ``None`` uses ``dilations[-1]`` for all of them.
        contract_dilation: In each stage with dilation d > 1 (other than a multi-grid stage),
            the first block uses d // 2 (mmseg's dilated ResNets set it).

    Shapes: (N, in_channels, H, W) -> one (N, out_channels[k], H / 2**(i + 2), W / 2**(i + 2)) map
    per ``i`` in ``out_indices`` (with the default strides and no dilation).
    """

    arch_settings = {
        18: (BasicBlock, (2, 2, 2, 2)),
        34: (BasicBlock, (3, 4, 6, 3)),
        50: (Bottleneck, (3, 4, 6, 3)),
        101: (Bottleneck, (3, 4, 23, 3)),
        152: (Bottleneck, (3, 8, 36, 3)),
    }

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
        norm_cfg: dict = dict(type="BN", requires_grad=True),  # noqa: B006 (read-only default)
        norm_eval: bool = True,
        dcn: dict | None = None,
        stage_with_dcn: tuple[bool, ...] = (False, False, False, False),
        with_cp: bool = False,
        zero_init_residual: bool = True,
        pretrained: str | None = None,
        init_cfg: dict | list[dict] | None = None,
        groups: int = 1,
        base_width: int = 4,
        multi_grid: tuple[int, ...] | None = None,
        contract_dilation: bool = False,
    ) -> None:
        if depth not in self.arch_settings:
            raise KeyError(
                f"Invalid depth {depth} for {type(self).__name__}; valid depths: "
                f"{', '.join(str(d) for d in self.arch_settings)}."
            )
        if pretrained is not None:
            if init_cfg is not None:
                raise ValueError("Set either init_cfg or the deprecated pretrained, not both.")
            warnings.warn(
                "pretrained is deprecated; use init_cfg=dict(type='Pretrained', checkpoint=...)",
                DeprecationWarning,
                stacklevel=2,
            )
            init_cfg = dict(type="Pretrained", checkpoint=pretrained)
        if init_cfg is None:
            init_cfg = [
                dict(type="Kaiming", layer="Conv2d"),
                dict(type="Constant", val=1, layer=["_BatchNorm", "GroupNorm"]),
            ]
        super().__init__(init_cfg=init_cfg)
        if not 1 <= num_stages <= 4:
            raise ValueError(f"num_stages must be in 1..4, got {num_stages}")
        if len(strides) < num_stages or len(dilations) < num_stages:
            raise ValueError(
                f"strides {strides} and dilations {dilations} need one entry per stage "
                f"(num_stages={num_stages})"
            )
        if not out_indices or max(out_indices) >= num_stages:
            raise ValueError(f"out_indices {out_indices} must be within range({num_stages})")
        if dcn is not None and len(stage_with_dcn) < num_stages:
            raise ValueError(f"stage_with_dcn {stage_with_dcn} needs {num_stages} entries")
        self.depth = depth
        self.stem_channels = stem_channels or base_channels
        self.base_channels = base_channels
        self.num_stages = num_stages
        self.strides = strides
        self.dilations = dilations
        self.out_indices = tuple(out_indices)
        self.style = style
        self.deep_stem = deep_stem
        self.avg_down = avg_down
        self.frozen_stages = frozen_stages
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.norm_eval = norm_eval
        self.dcn = dcn
        self.stage_with_dcn = stage_with_dcn
        self.with_cp = with_cp
        self.zero_init_residual = zero_init_residual
        self.multi_grid = tuple(multi_grid) if multi_grid is not None else None
        self.contract_dilation = contract_dilation
        self.block, stage_blocks = self.arch_settings[depth]
        self.stage_blocks = stage_blocks[:num_stages]

        self._make_stem_layer(in_channels, self.stem_channels)
        inplanes = self.stem_channels
        self.res_layers: list[str] = []
        stage_channels = []
        for i, num_blocks in enumerate(self.stage_blocks):
            planes = base_channels * 2**i
            layer = ResLayer(
                self.block,
                inplanes,
                planes,
                num_blocks,
                stride=strides[i],
                dilation=dilations[i],
                avg_down=avg_down,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                style=style,
                with_cp=with_cp,
                dcn=dcn if dcn is not None and stage_with_dcn[i] else None,
                groups=groups,
                base_width=base_width,
                base_channels=base_channels,
                multi_grid=multi_grid if i == num_stages - 1 else None,
                contract_dilation=contract_dilation,
            )
            inplanes = planes * self.block.expansion
            stage_channels.append(inplanes)
            self.add_module(f"layer{i + 1}", layer)
            self.res_layers.append(f"layer{i + 1}")
        self.feat_dim = stage_channels[-1]
        self.out_channels = [stage_channels[i] for i in self.out_indices]
        self._freeze_stages()

    def _make_stem_layer(self, in_channels: int, stem_channels: int) -> None:
        if self.deep_stem:
            half = stem_channels // 2
            layers: list[nn.Module] = []
            for cin, cout, stride in (
                (in_channels, half, 2),
                (half, half, 1),
                (half, stem_channels, 1),
            ):
                layers.append(
                    build_conv_layer(
                        self.conv_cfg, cin, cout, 3, stride=stride, padding=1, bias=False
                    )
                )
                layers.append(build_norm_layer(self.norm_cfg, cout)[1])
                layers.append(nn.ReLU(inplace=True))
            self.stem = nn.Sequential(*layers)
        else:
            self.conv1 = build_conv_layer(
                self.conv_cfg, in_channels, stem_channels, 7, stride=2, padding=3, bias=False
            )
            self.norm1_name, norm1 = build_norm_layer(self.norm_cfg, stem_channels, postfix=1)
            self.add_module(self.norm1_name, norm1)
            self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    def _freeze_stages(self) -> None:
        if self.frozen_stages >= 0:
            self._freeze(self.stem if self.deep_stem else nn.ModuleList([self.conv1, self.norm1]))
        for i in range(1, self.frozen_stages + 1):
            self._freeze(getattr(self, f"layer{i}"))

    def init_weights(self) -> None:
        super().init_weights()
        cfgs = self.init_cfg if isinstance(self.init_cfg, list) else [self.init_cfg]
        loaded = any(cfg is not None and cfg.get("type") == "Pretrained" for cfg in cfgs)
        if self.zero_init_residual and not loaded:
            for module in self.modules():
                if isinstance(module, (BasicBlock, Bottleneck)):
                    nn.init.zeros_(module.last_norm.weight)

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        if self.deep_stem:
            x = self.stem(x)
        else:
            x = self.relu(self.norm1(self.conv1(x)))
        x = self.maxpool(x)
        outs = []
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> ResNet:
        super().train(mode)
        self._freeze_stages()
        self._set_norm_eval(mode, self.norm_eval)
        return self


def _variant_signature(drop: tuple[str, ...]) -> inspect.Signature:
    signature = inspect.signature(ResNet.__init__)
    params = [p for p in signature.parameters.values() if p.name not in drop]
    return signature.replace(parameters=params)


@MODELS.register_module()
class ResNetV1c(ResNet):
    """ResNet-C: ResNet with the deep 3x3 stem (``stem.*`` keys). Arguments as :class:`ResNet`
    except ``deep_stem`` / ``avg_down``."""

    def __init__(self, depth: int, **kwargs: Any) -> None:
        super().__init__(depth, deep_stem=True, avg_down=False, **kwargs)

    __init__.__signature__ = _variant_signature(("deep_stem", "avg_down", "groups", "base_width"))  # type: ignore[attr-defined]


@MODELS.register_module()
class ResNetV1d(ResNet):
    """ResNet-D: deep stem and AvgPool projection shortcuts. Arguments as :class:`ResNet` except
    ``deep_stem`` / ``avg_down``."""

    def __init__(self, depth: int, **kwargs: Any) -> None:
        super().__init__(depth, deep_stem=True, avg_down=True, **kwargs)

    __init__.__signature__ = _variant_signature(("deep_stem", "avg_down", "groups", "base_width"))  # type: ignore[attr-defined]


@MODELS.register_module()
class ResNeXt(ResNet):
    """ResNeXt (Xie et al. 2017, https://arxiv.org/abs/1611.05431): ResNet whose bottleneck 3x3
    convs have ``groups`` groups of ``base_width`` channels (``resnext101_32x4d``: groups=32,
    base_width=4). Depth 50, 101 or 152; other arguments as :class:`ResNet`."""

    arch_settings = {d: ResNet.arch_settings[d] for d in (50, 101, 152)}
