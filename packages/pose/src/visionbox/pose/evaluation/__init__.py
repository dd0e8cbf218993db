"""Pose evaluation: keypoint metrics (registered in the pose ``METRICS``) and their NumPy
functions."""

from . import functional, metrics
from .functional import (
    keypoint_auc,
    keypoint_epe,
    keypoint_mpjpe,
    keypoint_nme,
    keypoint_pck_accuracy,
    pose_pck_accuracy,
)
from .metrics import AUC, EPE, MPJPE, NME, CocoMetric, PCKAccuracy

__all__ = [
    "AUC",
    "EPE",
    "MPJPE",
    "NME",
    "CocoMetric",
    "PCKAccuracy",
    "functional",
    "keypoint_auc",
    "keypoint_epe",
    "keypoint_mpjpe",
    "keypoint_nme",
    "keypoint_pck_accuracy",
    "metrics",
    "pose_pck_accuracy",
]
