"""Models of VisionBox tracking: MOT models, trackers, ReID, motion and association utilities."""

from . import data_preprocessors, losses, mot, reid, task_modules, track_heads, trackers
from .data_preprocessors import TrackDataPreprocessor
from .losses import MarginL2Loss, MultiPosCrossEntropyLoss
from .mot import OCSORT, BaseMOTModel, ByteTrack, DeepSORT, QDTrack, StrongSORT
from .reid import (
    BaseReID,
    FcModule,
    GlobalAveragePooling,
    LinearReIDHead,
    ReIDDataPreprocessor,
    TripletLoss,
)
from .task_modules import CameraMotionCompensation, InterpolateTracklets, KalmanFilter
from .track_heads import QuasiDenseEmbedHead, QuasiDenseTrackHead
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
    "MarginL2Loss",
    "MultiPosCrossEntropyLoss",
    "OCSORTTracker",
    "QDTrack",
    "QuasiDenseEmbedHead",
    "QuasiDenseTrackHead",
    "QuasiDenseTracker",
    "ReIDDataPreprocessor",
    "SORTTracker",
    "StrongSORT",
    "StrongSORTTracker",
    "TrackDataPreprocessor",
    "TripletLoss",
    "data_preprocessors",
    "losses",
    "mot",
    "reid",
    "task_modules",
    "track_heads",
    "trackers",
]
