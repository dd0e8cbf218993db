"""Tracking task utilities: Kalman filter, camera-motion compensation, assignment, interpolation."""

from .assignment import linear_assignment, sparse_linear_assignment, unmatched
from .boxes import bbox_cxcyah_to_xyxy, bbox_overlap_pairs, bbox_overlaps, bbox_xyxy_to_cxcyah
from .camera_motion_compensation import CameraMotionCompensation
from .interpolation import InterpolateTracklets, interpolate_tracks
from .kalman_filter import KalmanFilter

__all__ = [
    "CameraMotionCompensation",
    "InterpolateTracklets",
    "KalmanFilter",
    "bbox_cxcyah_to_xyxy",
    "bbox_overlap_pairs",
    "bbox_overlaps",
    "bbox_xyxy_to_cxcyah",
    "interpolate_tracks",
    "linear_assignment",
    "sparse_linear_assignment",
    "unmatched",
]
