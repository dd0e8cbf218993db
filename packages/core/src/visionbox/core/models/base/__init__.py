"""Base classes of every VisionBox model: backbones, necks, heads and task models."""

from .backbone import BaseBackbone, BaseNeck, check_channels
from .build import build_component
from .head import BaseHead
from .task_model import FORWARD_MODES, BaseTaskModel

__all__ = [
    "FORWARD_MODES",
    "BaseBackbone",
    "BaseHead",
    "BaseNeck",
    "BaseTaskModel",
    "build_component",
    "check_channels",
]
