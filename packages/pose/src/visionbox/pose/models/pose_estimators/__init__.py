"""Pose estimators: top-down, bottom-up and pose lifting, on core's ``BaseTaskModel``."""

from .topdown import TopdownPoseEstimator

__all__ = ["TopdownPoseEstimator"]
