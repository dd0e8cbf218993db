"""ResNet with mmpose 1.x's defaults: only the last stage's map (``out_indices=(3,)``) and
trainable BatchNorm statistics (``norm_eval=False``). The trunk and its ``state_dict`` keys are
core's :class:`~visionbox.core.models.ResNet`."""

from __future__ import annotations

import inspect
from typing import Any

from visionbox.core.models.backbones import ResNet as CoreResNet
from visionbox.core.models.backbones import ResNetV1d as CoreResNetV1d

from ...registry import MODELS

__all__ = ["ResNet", "ResNetV1d"]

_POSE_DEFAULTS = dict(out_indices=(3,), norm_eval=False)


def _with_defaults(base: type, defaults: dict) -> inspect.Signature:
    signature = inspect.signature(base.__init__)
    params = [
        p.replace(default=defaults[p.name]) if p.name in defaults else p
        for p in signature.parameters.values()
    ]
    return signature.replace(parameters=params)


@MODELS.register_module()
class ResNet(CoreResNet):
    """Core's ResNet with ``out_indices=(3,)`` and ``norm_eval=False`` by default (mmpose)."""

    def __init__(self, depth: int, **kwargs: Any) -> None:
        super().__init__(depth, **{**_POSE_DEFAULTS, **kwargs})

    __init__.__signature__ = _with_defaults(CoreResNet, _POSE_DEFAULTS)  # type: ignore[attr-defined]


@MODELS.register_module()
class ResNetV1d(CoreResNetV1d):
    """Core's ResNetV1d with mmpose's defaults (see :class:`ResNet`)."""

    def __init__(self, depth: int, **kwargs: Any) -> None:
        super().__init__(depth, **{**_POSE_DEFAULTS, **kwargs})

    __init__.__signature__ = _with_defaults(CoreResNetV1d, _POSE_DEFAULTS)  # type: ignore[attr-defined]
