"""Models of VisionBox pose estimation: estimators, heads, losses, backbones with mmpose's
defaults, the GlobalAveragePooling neck and the data preprocessor. Importing this package
registers them in :data:`visionbox.pose.registry.MODELS`."""

from . import backbones, heads, losses, pose_estimators
from .backbones import TCN, HRNet, ResNet, ResNetV1d
from .data_preprocessor import PoseDataPreprocessor
from .heads import (
    AssociativeEmbeddingHead,
    HeatmapHead,
    RegressionHead,
    RLEHead,
    RTMCCHead,
    SimCCHead,
    TemporalRegressionHead,
    TrajectoryRegressionHead,
    VisPredictHead,
)
from .losses import (
    AssociativeEmbeddingLoss,
    BCELoss,
    KeypointMSELoss,
    KeypointOHKMMSELoss,
    KLDiscretLoss,
    MPJPELoss,
    MSELoss,
    RLELoss,
    SmoothL1Loss,
)
from .necks import GlobalAveragePooling
from .pose_estimators import BottomupPoseEstimator, PoseLifter, TopdownPoseEstimator

__all__ = [
    "AssociativeEmbeddingHead",
    "AssociativeEmbeddingLoss",
    "BottomupPoseEstimator",
    "BCELoss",
    "GlobalAveragePooling",
    "HRNet",
    "HeatmapHead",
    "KLDiscretLoss",
    "KeypointMSELoss",
    "KeypointOHKMMSELoss",
    "MPJPELoss",
    "MSELoss",
    "PoseDataPreprocessor",
    "PoseLifter",
    "RLEHead",
    "RTMCCHead",
    "RLELoss",
    "RegressionHead",
    "ResNet",
    "ResNetV1d",
    "SimCCHead",
    "SmoothL1Loss",
    "TCN",
    "TemporalRegressionHead",
    "TopdownPoseEstimator",
    "TrajectoryRegressionHead",
    "VisPredictHead",
    "backbones",
    "heads",
    "losses",
    "pose_estimators",
]
