"""Models of VisionBox tracking: trackers, motion and association utilities."""

from . import task_modules, trackers
from .task_modules import CameraMotionCompensation, InterpolateTracklets, KalmanFilter
from .trackers import (
    BaseTracker,
    ByteTracker,
    OCSORTTracker,
    QuasiDenseTracker,
    SORTTracker,
    StrongSORTTracker,
)

__all__ = [
    "BaseTracker",
    "ByteTracker",
    "CameraMotionCompensation",
    "InterpolateTracklets",
    "KalmanFilter",
    "OCSORTTracker",
    "QuasiDenseTracker",
    "SORTTracker",
    "StrongSORTTracker",
    "task_modules",
    "trackers",
]
