"""Hooks of VisionBox object detection."""

from . import hooks, schedulers
from .hooks import SyncNormHook, YOLOXModeSwitchHook
from .schedulers import QuadraticWarmupLR, QuadraticWarmupMomentum, QuadraticWarmupParamScheduler
from .visualization_hook import DetVisualizationHook

__all__ = [
    "DetVisualizationHook",
    "QuadraticWarmupLR",
    "QuadraticWarmupMomentum",
    "QuadraticWarmupParamScheduler",
    "SyncNormHook",
    "YOLOXModeSwitchHook",
    "hooks",
    "schedulers",
]
