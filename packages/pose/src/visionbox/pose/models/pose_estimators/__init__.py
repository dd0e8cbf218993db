"""Pose estimators: top-down, bottom-up and pose lifting, on core's ``BaseTaskModel``."""

from .bottomup import BottomupPoseEstimator
from .pose_lifter import PoseLifter
from .topdown import TopdownPoseEstimator

__all__ = ["BottomupPoseEstimator", "PoseLifter", "TopdownPoseEstimator"]
