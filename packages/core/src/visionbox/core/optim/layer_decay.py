"""Layer-wise learning-rate decay for stage-structured backbones (BEiT / ConvNeXt fine-tuning).

The layers close to the input learn slowly, the head at full speed: a parameter at layer ``i``
gets ``lr = base_lr * decay_rate ** (num_layers + 1 - i)``, as in mmsegmentation's and
mmdetection's ``LearningRateDecayOptimizerConstructor``.

Layer ids are read from parameter names (the model's ``backbone`` attribute). Two backbone layouts
follow mmsegmentation's / mmdetection's rules exactly (``get_layer_id_for_convnext``,
``get_stage_id_for_convnext``, ``get_layer_id_for_vit``); anything outside the backbone, and
backbone parameters the rule does not name (ConvNeXt's ``norm<i>``, ViT's final ``ln1``), gets
layer ``num_layers + 1``, the full rate:

* ConvNeXt (``backbone.downsample_layers.<s>`` / ``backbone.stages.<s>.<b>``), ``layer_wise``:
  downsampling 0, 2, 3, ``num_layers`` for s = 0..3; blocks of stage 0 and 1 get 1 and 2, of stage
  2 ``3 + b // 3``, of stage 3 ``num_layers``. ``stage_wise``: downsampling 0, stage s ``s + 1``.
* ViT (``backbone.layers.<b>``), ``layer_wise`` or ``layer_wise_vit``: ``patch_embed``,
  ``cls_token``, ``mask_token``, ``pos_embed`` 0, block b ``b + 1``.

Other backbones (a VisionBox extension; the peers raise ``NotImplementedError``):

==================================================  ==========================================
name                                                stage ``s``, block ``b``
==================================================  ==========================================
``backbone.layer<N>.<b>...`` (ResNet)               ``s = N - 1``
``backbone.stages.<N>.<b>...`` / ``stages.<N>...``  ``s = N`` (no block index: its first block)
any other ``backbone.*`` (stem)                     layer 0
anything outside the backbone (neck, heads)         layer ``num_layers + 1``
==================================================  ==========================================

* ``decay_type='layer_wise'``: the backbone's blocks, in order (stage, block), are spread evenly
  over layers ``1..num_layers``: the ``g``-th of ``T`` blocks gets ``1 + g * num_layers // T``.
* ``decay_type='stage_wise'``: stage ``s`` gets layer ``s + 1`` (``num_layers`` must be at least the
  number of stages).

As in the peers, 1-D parameters (norms) and biases get no weight decay (the peers also name
``pos_embed`` / ``cls_token``, but compare them with prefixed names, so those keep their decay;
so do they here). Frozen parameters (``requires_grad=False``) are left out. Each group carries
``lr_scale``, ``group_name`` (``layer_<i>_decay`` / ``layer_<i>_no_decay``) and ``param_names``.
"""

from __future__ import annotations

import re
from typing import Any

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from ..registry import OPTIM_WRAPPER_CONSTRUCTORS
from ..utils import did_you_mean

__all__ = ["LayerDecayOptimizerConstructor", "layer_id_table"]

_DECAY_TYPES = ("layer_wise", "stage_wise", "layer_wise_vit")
_KEYS = ("num_layers", "decay_rate", "decay_type", "layer_decay_rate")
_STAGE_PATTERNS = (
    (re.compile(r"^backbone\.layer(\d+)(?:\.(\d+))?\."), -1),
    (re.compile(r"^backbone\.stages\.(\d+)(?:\.(?:blocks\.)?(\d+))?\."), 0),
)
_VIT_PATTERN = re.compile(r"^backbone\.layers\.(\d+)\.")
_NO_DECAY_NAMES = ("pos_embed", "cls_token")
_TOKENS = ("backbone.cls_token", "backbone.mask_token", "backbone.pos_embed")
_CONVNEXT_DOWNSAMPLE = re.compile(r"^backbone\.downsample_layers\.(\d+)\.")
_CONVNEXT_BLOCK = re.compile(r"^backbone\.stages\.(\d+)\.(\d+)\.")


def _convnext_layer_id(name: str, num_layers: int, decay_type: str) -> int:
    """mmseg's / mmdet's ``get_layer_id_for_convnext`` and ``get_stage_id_for_convnext``."""
    if name in _TOKENS:
        return 0
    downsample = _CONVNEXT_DOWNSAMPLE.match(name)
    block = _CONVNEXT_BLOCK.match(name)
    if decay_type == "stage_wise":
        if downsample:
            return 0
        return int(block.group(1)) + 1 if block else num_layers + 1
    if downsample:
        return {0: 0, 1: 2, 2: 3}.get(int(downsample.group(1)), num_layers)
    if block:
        stage, index = int(block.group(1)), int(block.group(2))
        return {0: 1, 1: 2, 2: 3 + index // 3}.get(stage, num_layers)
    return num_layers + 1


def _vit_layer_id(name: str, num_layers: int) -> int:
    """mmseg's ``get_layer_id_for_vit`` (also mmpose's rule for ViTPose)."""
    if name in _TOKENS or name.startswith("backbone.patch_embed"):
        return 0
    match = _VIT_PATTERN.match(name)
    return int(match.group(1)) + 1 if match else num_layers + 1


def _stage_block(name: str) -> tuple[int, int] | None:
    """``(stage, block)`` of a backbone parameter, block -1 for a stage's own parameters."""
    for pattern, offset in _STAGE_PATTERNS:
        match = pattern.match(name)
        if match:
            block = match.group(2)
            return int(match.group(1)) + offset, int(block) if block else -1
    return None


def layer_id_table(
    names: list[str], num_layers: int, decay_type: str = "layer_wise"
) -> dict[str, int]:
    """Map parameter names to layer ids ``0..num_layers + 1`` (rule in the module docstring)."""
    if any(_CONVNEXT_DOWNSAMPLE.match(name) for name in names):
        return {name: _convnext_layer_id(name, num_layers, decay_type) for name in names}
    if any(_VIT_PATTERN.match(name) for name in names):
        if decay_type == "stage_wise":
            raise ValueError(
                "decay_type='stage_wise' is defined for ConvNeXt-like backbones "
                "(backbone.downsample_layers / backbone.stages); this backbone has ViT blocks "
                "(backbone.layers.<i>): use 'layer_wise'."
            )
        return {name: _vit_layer_id(name, num_layers) for name in names}
    located = {name: _stage_block(name) for name in names}
    blocks = sorted({sb for sb in located.values() if sb is not None and sb[1] >= 0})
    first_block = {}
    for stage, block in blocks:
        first_block.setdefault(stage, (stage, block))
    index = {sb: i for i, sb in enumerate(blocks)}
    stages = sorted({sb[0] for sb in located.values() if sb is not None})
    if decay_type == "stage_wise" and stages and stages[-1] + 1 > num_layers:
        raise ValueError(
            f"decay_type='stage_wise' found {stages[-1] + 1} backbone stages but num_layers="
            f"{num_layers}; num_layers must be at least the number of stages."
        )
    table = {}
    for name, stage_block in located.items():
        if stage_block is None:
            table[name] = 0 if name.startswith("backbone.") else num_layers + 1
        elif decay_type == "stage_wise":
            table[name] = stage_block[0] + 1
        else:
            key = stage_block if stage_block[1] >= 0 else first_block.get(stage_block[0])
            position = index.get(key, 0)
            table[name] = 1 + position * num_layers // max(len(blocks), 1)
    return table


@OPTIM_WRAPPER_CONSTRUCTORS.register_module(
    name=["LayerDecayOptimizerConstructor", "LearningRateDecayOptimizerConstructor"]
)
class LayerDecayOptimizerConstructor(DefaultOptimWrapperConstructor):
    """Optimizer constructor with layer-wise learning-rate decay over the backbone.

    Args:
        optim_wrapper_cfg: The ``optim_wrapper`` config (``optimizer`` with ``lr`` and
            ``weight_decay``).
        paramwise_cfg: ``num_layers`` (int, layers of the backbone), ``decay_rate`` (float in
            (0, 1]; ``layer_decay_rate`` is accepted as its older name) and ``decay_type``
            (``'layer_wise'``, ``'stage_wise'`` or ``'layer_wise_vit'``, default ``'layer_wise'``).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        unknown = [k for k in paramwise_cfg if k not in _KEYS]
        if unknown:
            raise KeyError(
                "LayerDecayOptimizerConstructor got an unknown paramwise_cfg key "
                f"{unknown[0]!r}.{did_you_mean(unknown[0], _KEYS)} "
                f"Accepted: {', '.join(_KEYS[:3])}."
            )
        if "layer_decay_rate" in paramwise_cfg:
            paramwise_cfg.setdefault("decay_rate", paramwise_cfg.pop("layer_decay_rate"))
        for key in ("num_layers", "decay_rate"):
            if key not in paramwise_cfg:
                raise KeyError(f"LayerDecayOptimizerConstructor needs paramwise_cfg.{key}.")
        num_layers, decay_rate = paramwise_cfg["num_layers"], paramwise_cfg["decay_rate"]
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(
                f"paramwise_cfg.num_layers must be a positive int; got {num_layers!r}."
            )
        if not 0 < float(decay_rate) <= 1:
            raise ValueError(f"paramwise_cfg.decay_rate must be in (0, 1]; got {decay_rate!r}.")
        decay_type = paramwise_cfg.setdefault("decay_type", "layer_wise")
        if decay_type not in _DECAY_TYPES:
            raise ValueError(
                f"paramwise_cfg.decay_type must be one of {_DECAY_TYPES}; got {decay_type!r}."
                f"{did_you_mean(str(decay_type), _DECAY_TYPES)}"
            )
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def add_params(self, params: list[dict], module: nn.Module, **kwargs: Any) -> None:
        """Append one parameter group per (layer, decay / no decay) to ``params``."""
        num_layers = self.paramwise_cfg["num_layers"]
        decay_rate = float(self.paramwise_cfg["decay_rate"])
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not any(n.startswith("backbone.") for n, _ in named):
            raise ValueError(
                "LayerDecayOptimizerConstructor needs a model with a `backbone` attribute; "
                f"its parameters are {[n for n, _ in named][:5]}..."
            )
        table = layer_id_table([n for n, _ in named], num_layers, self.paramwise_cfg["decay_type"])
        groups: dict[str, dict] = {}
        for name, param in named:
            no_decay = param.ndim == 1 or name.endswith(".bias") or name in _NO_DECAY_NAMES
            layer = table[name]
            group_name = f"layer_{layer}_{'no_decay' if no_decay else 'decay'}"
            if group_name not in groups:
                scale = decay_rate ** (num_layers + 1 - layer)
                groups[group_name] = dict(
                    params=[],
                    param_names=[],
                    lr=scale * self.base_lr,
                    lr_scale=scale,
                    group_name=group_name,
                )
                if no_decay or self.base_wd is not None:
                    groups[group_name]["weight_decay"] = 0.0 if no_decay else self.base_wd
            groups[group_name]["params"].append(param)
            groups[group_name]["param_names"].append(name)
        print_log(
            f"Layer-wise lr decay ({self.paramwise_cfg['decay_type']}, rate {decay_rate}): "
            + ", ".join(f"{k}: x{g['lr_scale']:.4g}" for k, g in sorted(groups.items())),
            logger="current",
        )
        params.extend(groups.values())
