"""Hooks, loops and parameter schedulers of VisionBox multi-object and single-object tracking."""

from . import hooks, schedulers
from .hooks import SiamRPNBackboneUnfreezeHook, TrackVisualizationHook
from .schedulers import SiamRPNExpLR, SiamRPNExpParamScheduler

__all__ = [
    "SiamRPNBackboneUnfreezeHook",
    "SiamRPNExpLR",
    "SiamRPNExpParamScheduler",
    "TrackVisualizationHook",
    "hooks",
    "schedulers",
]
