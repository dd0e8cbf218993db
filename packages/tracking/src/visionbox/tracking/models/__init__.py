"""Models of VisionBox tracking: MOT models, trackers, ReID, motion and association utilities."""

from . import (
    backbones,
    data_preprocessors,
    losses,
    mot,
    reid,
    sot,
    task_modules,
    track_heads,
    trackers,
)
from .backbones import SOTResNet
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
from .sot import BaseSingleObjectTracker, SiamRPN
from .task_modules import CameraMotionCompensation, InterpolateTracklets, KalmanFilter
from .track_heads import (
    CorrelationHead,
    QuasiDenseEmbedHead,
    QuasiDenseTrackHead,
    SiameseRPNAnchorGenerator,
    SiameseRPNHead,
)
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
    "BaseSingleObjectTracker",
    "BaseTracker",
    "ByteTrack",
    "ByteTracker",
    "CameraMotionCompensation",
    "CorrelationHead",
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
    "SOTResNet",
    "SiamRPN",
    "SiameseRPNAnchorGenerator",
    "SiameseRPNHead",
    "SORTTracker",
    "StrongSORT",
    "StrongSORTTracker",
    "TrackDataPreprocessor",
    "TripletLoss",
    "backbones",
    "data_preprocessors",
    "losses",
    "mot",
    "reid",
    "sot",
    "task_modules",
    "track_heads",
    "trackers",
]
