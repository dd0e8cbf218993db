"""mmpose 1.3's ``LayerDecayOptimWrapperConstructor``: layer-wise lr decay for ViT (ViTPose).

A parameter of ViT block ``i`` (``backbone.layers.<i>.*``) is at layer ``i + 1``; the tokens and
the patch embedding (``backbone.cls_token``, ``backbone.mask_token``, ``backbone.pos_embed``,
``backbone.patch_embed.*``) at layer 0; everything else (the backbone's final norm ``ln1``, the
head) at layer ``num_layers + 1``. A parameter at layer ``l`` learns at
``lr * layer_decay_rate ** (num_layers + 1 - l)``.

1-D parameters, biases and every name containing ``pos_embed`` get no weight decay. As in mmpose,
that rule replaces ``custom_keys``: the ViTPose configs' ``custom_keys`` (bias, pos_embed,
relative_position_bias_table, norm: no decay) name the same parameters, so they are accepted and
checked for their keys but change nothing.
"""

from __future__ import annotations

from typing import Any

from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from ..registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ["LayerDecayOptimWrapperConstructor", "vit_layer_id"]

_KEYS = ("num_layers", "layer_decay_rate", "custom_keys")
_TOKENS = ("backbone.cls_token", "backbone.mask_token", "backbone.pos_embed")


def vit_layer_id(name: str, num_layers: int) -> int:
    """Layer id ``0..num_layers + 1`` of a parameter of a model with a ViT ``backbone``."""
    if name in _TOKENS or name.startswith("backbone.patch_embed"):
        return 0
    if name.startswith("backbone.layers."):
        return int(name.split(".")[2]) + 1
    return num_layers + 1


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Optimizer groups ``layer_<id>_{decay,no_decay}`` with mmpose's layer-wise lr scale.

    Args:
        optim_wrapper_cfg: The ``optim_wrapper`` config (an ``optimizer`` with ``lr`` and
            ``weight_decay``).
        paramwise_cfg: ``num_layers`` (int, the ViT's blocks), ``layer_decay_rate`` (float in
            (0, 1], default 0.5 as in mmpose) and ``custom_keys`` (see the module docstring).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        unknown = sorted(set(paramwise_cfg) - set(_KEYS))
        if unknown:
            raise KeyError(
                f"LayerDecayOptimWrapperConstructor got unknown paramwise_cfg keys {unknown}; "
                f"accepted: {list(_KEYS)}."
            )
        num_layers = paramwise_cfg.get("num_layers")
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(
                "LayerDecayOptimWrapperConstructor needs paramwise_cfg.num_layers, the number of "
                f"ViT blocks (a positive int); got {num_layers!r}."
            )
        rate = paramwise_cfg.setdefault("layer_decay_rate", 0.5)
        if not 0 < float(rate) <= 1:
            raise ValueError(f"paramwise_cfg.layer_decay_rate must be in (0, 1]; got {rate!r}.")
        # mmengine's checks of custom_keys (a dict of dicts) still apply.
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def add_params(self, params: list[dict], module: nn.Module, **kwargs: Any) -> None:
        """Append one group per (layer, decay / no decay) to ``params``, in first-seen order."""
        num_layers = self.paramwise_cfg["num_layers"]
        rate = float(self.paramwise_cfg["layer_decay_rate"])
        groups: dict[str, dict] = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            no_decay = param.ndim == 1 or name.endswith(".bias") or "pos_embed" in name
            layer = vit_layer_id(name, num_layers)
            group_name = f"layer_{layer}_{'no_decay' if no_decay else 'decay'}"
            if group_name not in groups:
                scale = rate ** (num_layers + 1 - layer)
                groups[group_name] = dict(
                    weight_decay=0.0 if no_decay else self.base_wd,
                    params=[],
                    param_names=[],
                    lr_scale=scale,
                    group_name=group_name,
                    lr=scale * self.base_lr,
                )
            groups[group_name]["params"].append(param)
            groups[group_name]["param_names"].append(name)
        params.extend(groups.values())
