"""Hooks, loops and parameter schedulers of VisionBox multi-object and single-object tracking."""

from . import hooks, schedulers
from .hooks import SiamRPNBackboneUnfreezeHook
from .schedulers import SiamRPNExpLR, SiamRPNExpParamScheduler

__all__ = [
    "SiamRPNBackboneUnfreezeHook",
    "SiamRPNExpLR",
    "SiamRPNExpParamScheduler",
    "hooks",
    "schedulers",
]
