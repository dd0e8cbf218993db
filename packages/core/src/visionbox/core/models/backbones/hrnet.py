"""HRNet (Sun et al. 2019, https://arxiv.org/abs/1902.09212; Wang et al. 2020,
https://arxiv.org/abs/1908.07919) with the names, ``extra`` dict and keys of mmseg 1.x / mmpose 1.x
(``conv1``, ``bn1``, ``conv2``, ``bn2``, ``layer1``, ``transition<i>``, ``stage<i>``)."""

from __future__ import annotations

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from ...registry import MODELS
from ..base import BaseBackbone
from ..layers import build_conv_layer, build_norm_layer
from .res_blocks import BasicBlock, Bottleneck, ResLayer

__all__ = ["HRModule", "HRNet"]

_BLOCKS = {"BASIC": BasicBlock, "BOTTLENECK": Bottleneck}
_STAGE_KEYS = ("num_modules", "num_branches", "block", "num_blocks", "num_channels")


def _conv_norm(
    cfgs: tuple, cin: int, cout: int, kernel: int, stride: int, relu: bool
) -> nn.Sequential:
    conv_cfg, norm_cfg = cfgs
    layers = [
        build_conv_layer(
            conv_cfg, cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False
        ),
        build_norm_layer(norm_cfg, cout)[1],
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class HRModule(BaseModule):
    """Parallel branches of residual blocks followed by an exchange (fusion) across resolutions.

    Shapes: list of (N, in_channels[i], H / 2**i, W / 2**i) -> list of the same shapes with
    ``num_channels[i] * expansion`` channels (only the first one without multiscale_output).
    """

    def __init__(
        self,
        num_branches: int,
        block: type[BasicBlock] | type[Bottleneck],
        num_blocks: tuple[int, ...],
        in_channels: list[int],
        num_channels: tuple[int, ...],
        multiscale_output: bool = True,
        with_cp: bool = False,
        conv_cfg: dict | None = None,
        norm_cfg: dict = dict(type="BN", requires_grad=True),  # noqa: B006 (read-only default)
        upsample_cfg: dict = dict(mode="nearest", align_corners=None),  # noqa: B006
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (
            ("num_blocks", num_blocks),
            ("in_channels", in_channels),
            ("num_channels", num_channels),
        ):
            if len(value) != num_branches:
                raise ValueError(
                    f"HRModule: num_branches ({num_branches}) != len({name}) ({len(value)})"
                )
        self.num_branches = num_branches
        self.multiscale_output = multiscale_output
        self.upsample_cfg = upsample_cfg
        cfgs = (conv_cfg, norm_cfg)
        self.branches = nn.ModuleList(
            ResLayer(
                block,
                in_channels[i],
                num_channels[i],
                num_blocks[i],
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                with_cp=with_cp,
            )
            for i in range(num_branches)
        )
        self.in_channels = [c * block.expansion for c in num_channels]
        self.fuse_layers = self._make_fuse_layers(cfgs) if num_branches > 1 else None
        self.relu = nn.ReLU(inplace=True)

    def _make_fuse_layers(self, cfgs: tuple) -> nn.ModuleList:
        channels = self.in_channels
        fuse_layers = []
        for i in range(self.num_branches if self.multiscale_output else 1):
            row: list[nn.Module | None] = []
            for j in range(self.num_branches):
                if j > i:
                    up = nn.Upsample(scale_factor=2 ** (j - i), **self.upsample_cfg)
                    row.append(
                        nn.Sequential(*_conv_norm(cfgs, channels[j], channels[i], 1, 1, False), up)
                    )
                elif j == i:
                    row.append(None)
                else:
                    steps = [
                        _conv_norm(cfgs, channels[j], channels[j], 3, 2, True)
                        for _ in range(i - j - 1)
                    ]
                    steps.append(_conv_norm(cfgs, channels[j], channels[i], 3, 2, False))
                    row.append(nn.Sequential(*steps))
            fuse_layers.append(nn.ModuleList(row))
        return nn.ModuleList(fuse_layers)

    def forward(self, x: list[Tensor]) -> list[Tensor]:
        x = [branch(xi) for branch, xi in zip(self.branches, x)]
        if self.fuse_layers is None:
            return x
        fused = []
        for i, row in enumerate(self.fuse_layers):
            # Branches are summed from index 0 upward (mmpose / mmseg order), so that the
            # floating-point sums equal theirs.
            y = None
            for j, layer in enumerate(row):
                z = x[j] if j == i else layer(x[j])
                if z.shape[2:] != x[i].shape[2:]:  # odd sizes: match the target resolution
                    z = F.interpolate(z, size=x[i].shape[2:], mode="bilinear", align_corners=False)
                y = z if y is None else y + z
            fused.append(self.relu(y))
        return fused


@MODELS.register_module()
class HRNet(BaseBackbone):
    """HRNet backbone.

    Args:
        extra: ``dict(stage1=..., stage2=..., stage3=..., stage4=...)``, each stage with
            ``num_modules``, ``num_branches``, ``block`` ('BASIC' or 'BOTTLENECK'),
            ``num_blocks`` and ``num_channels``; optional ``upsample=dict(mode, align_corners)`` and
            ``stage4.multiscale_output`` (which overrides the argument).
        in_channels: Input image channels.
        conv_cfg: Conv config.
        norm_cfg: Norm config.
        norm_eval: Keep BatchNorm statistics frozen while training.
        with_cp: Gradient checkpointing in the blocks.
        frozen_stages: -1: none; 0: the stem; i: the stem and stages 1..i.
        zero_init_residual: Zero the last norm of each block at initialisation.
        multiscale_output: Return all four branches (mmseg) or only the highest resolution one.
        pretrained: Deprecated; use ``init_cfg``.
        init_cfg: Weight initialisation config.

    Shapes: (N, in_channels, H, W) -> (N, C_i, H / 2**(i + 2), W / 2**(i + 2)) for each branch i.
    """

    def __init__(
        self,
        extra: dict,
        in_channels: int = 3,
        conv_cfg: dict | None = None,
        norm_cfg: dict = dict(type="BN", requires_grad=True),  # noqa: B006 (read-only default)
        norm_eval: bool = False,
        with_cp: bool = False,
        frozen_stages: int = -1,
        zero_init_residual: bool = False,
        multiscale_output: bool = True,
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
        self._check_extra(extra)
        self.extra = extra
        self.norm_eval = norm_eval
        self.frozen_stages = frozen_stages
        self.zero_init_residual = zero_init_residual
        cfgs = (conv_cfg, norm_cfg)
        self.norm1_name, norm1 = build_norm_layer(norm_cfg, 64, postfix=1)
        self.norm2_name, norm2 = build_norm_layer(norm_cfg, 64, postfix=2)
        self.conv1 = build_conv_layer(conv_cfg, in_channels, 64, 3, stride=2, padding=1, bias=False)
        self.add_module(self.norm1_name, norm1)
        self.conv2 = build_conv_layer(conv_cfg, 64, 64, 3, stride=2, padding=1, bias=False)
        self.add_module(self.norm2_name, norm2)
        self.relu = nn.ReLU(inplace=True)
        upsample_cfg = dict(extra.get("upsample", dict(mode="nearest", align_corners=None)))

        stage1 = extra["stage1"]
        block = _BLOCKS[stage1["block"]]
        planes = stage1["num_channels"][0]
        self.layer1 = ResLayer(
            block,
            64,
            planes,
            stage1["num_blocks"][0],
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            with_cp=with_cp,
        )
        pre_channels = [planes * block.expansion]
        for k in (2, 3, 4):
            cfg = extra[f"stage{k}"]
            block = _BLOCKS[cfg["block"]]
            channels = [c * block.expansion for c in cfg["num_channels"]]
            self.add_module(
                f"transition{k - 1}", self._make_transition(cfgs, pre_channels, channels)
            )
            pre_channels = channels
            multiscale = cfg.get("multiscale_output", multiscale_output) if k == 4 else True
            modules = []
            for m in range(cfg["num_modules"]):
                modules.append(
                    HRModule(
                        cfg["num_branches"],
                        block,
                        cfg["num_blocks"],
                        pre_channels,
                        cfg["num_channels"],
                        multiscale or m < cfg["num_modules"] - 1,
                        with_cp=with_cp,
                        conv_cfg=conv_cfg,
                        norm_cfg=norm_cfg,
                        upsample_cfg=upsample_cfg,
                    )
                )
                pre_channels = modules[-1].in_channels
            self.add_module(f"stage{k}", nn.Sequential(*modules))
        self.out_channels = list(pre_channels) if multiscale else [pre_channels[0]]
        self._freeze_stages()

    @staticmethod
    def _check_extra(extra: dict) -> None:
        for k in (1, 2, 3, 4):
            stage = extra.get(f"stage{k}")
            if not isinstance(stage, dict):
                raise KeyError(
                    f"HRNet: extra needs a dict 'stage{k}' with keys {', '.join(_STAGE_KEYS)}"
                )
            missing = [key for key in _STAGE_KEYS if key not in stage]
            if missing:
                raise KeyError(f"HRNet: extra['stage{k}'] lacks {', '.join(missing)}")
            if stage["block"] not in _BLOCKS:
                raise KeyError(
                    f"HRNet: extra['stage{k}']['block'] is {stage['block']!r}; "
                    f"valid: {', '.join(_BLOCKS)}"
                )

    @staticmethod
    def _make_transition(cfgs: tuple, pre: list[int], cur: list[int]) -> nn.ModuleList:
        layers: list[nn.Module | None] = []
        for i, channels in enumerate(cur):
            if i < len(pre):
                layers.append(
                    _conv_norm(cfgs, pre[i], channels, 3, 1, True) if pre[i] != channels else None
                )
            else:
                steps = []
                for j in range(i + 1 - len(pre)):
                    out = channels if j == i - len(pre) else pre[-1]
                    steps.append(_conv_norm(cfgs, pre[-1], out, 3, 2, True))
                layers.append(nn.Sequential(*steps))
        return nn.ModuleList(layers)

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    @property
    def norm2(self) -> nn.Module:
        return getattr(self, self.norm2_name)

    def _freeze_stages(self) -> None:
        if self.frozen_stages >= 0:
            self._freeze(self.conv1, self.norm1, self.conv2, self.norm2)
        for i in range(1, self.frozen_stages + 1):
            self._freeze(self.layer1 if i == 1 else getattr(self, f"stage{i}"))
            if i < 4:
                self._freeze(getattr(self, f"transition{i}"))

    def init_weights(self) -> None:
        super().init_weights()
        cfgs = self.init_cfg if isinstance(self.init_cfg, list) else [self.init_cfg]
        loaded = any(cfg is not None and cfg.get("type") == "Pretrained" for cfg in cfgs)
        if self.zero_init_residual and not loaded:
            for module in self.modules():
                if isinstance(module, (BasicBlock, Bottleneck)):
                    nn.init.zeros_(module.last_norm.weight)

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        x = self.relu(self.norm1(self.conv1(x)))
        x = self.relu(self.norm2(self.conv2(x)))
        feats = [self.layer1(x)]
        for k in (2, 3, 4):
            transition = getattr(self, f"transition{k - 1}")
            inputs = []
            for i, layer in enumerate(transition):
                source = (
                    feats[i] if i < len(feats) else feats[-1]
                )  # new branches grow from the last
                inputs.append(source if layer is None else layer(source))
            feats = inputs
            feats = getattr(self, f"stage{k}")(feats)
        return tuple(feats)

    def train(self, mode: bool = True) -> HRNet:
        super().train(mode)
        self._freeze_stages()
        self._set_norm_eval(mode, self.norm_eval)
        return self
