"""Keypoint codecs (registered in :data:`visionbox.pose.registry.KEYPOINT_CODECS`)."""

from .associative_embedding import AssociativeEmbedding
from .base import BaseKeypointCodec
from .msra_heatmap import MSRAHeatmap, UDPHeatmap
from .pose_lifting import ImagePoseLifting, VideoPoseLifting
from .regression_label import IntegralRegressionLabel, RegressionLabel
from .simcc_label import SimCCLabel

__all__ = [
    "AssociativeEmbedding",
    "BaseKeypointCodec",
    "ImagePoseLifting",
    "IntegralRegressionLabel",
    "MSRAHeatmap",
    "RegressionLabel",
    "SimCCLabel",
    "UDPHeatmap",
    "VideoPoseLifting",
]
