"""Models of VisionBox tracking: MOT models, trackers, ReID, motion and association utilities."""

from . import data_preprocessors, mot, reid, task_modules, trackers
from .data_preprocessors import TrackDataPreprocessor
from .mot import OCSORT, BaseMOTModel, ByteTrack, DeepSORT, StrongSORT
from .reid import (
    BaseReID,
    FcModule,
    GlobalAveragePooling,
    LinearReIDHead,
    ReIDDataPreprocessor,
    TripletLoss,
)
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
    "OCSORT",
    "BaseMOTModel",
    "BaseReID",
    "BaseTracker",
    "ByteTrack",
    "ByteTracker",
    "CameraMotionCompensation",
    "DeepSORT",
    "FcModule",
    "GlobalAveragePooling",
    "InterpolateTracklets",
    "KalmanFilter",
    "LinearReIDHead",
    "OCSORTTracker",
    "QuasiDenseTracker",
    "ReIDDataPreprocessor",
    "SORTTracker",
    "StrongSORT",
    "StrongSORTTracker",
    "TrackDataPreprocessor",
    "TripletLoss",
    "data_preprocessors",
    "mot",
    "reid",
    "task_modules",
    "trackers",
]
