"""Pose data structures: ``PoseDataSample`` and bounding-box / keypoint geometry."""

from .bbox import (
    bbox_cs2xyxy,
    bbox_xywh2xyxy,
    bbox_xyxy2cs,
    fix_aspect_ratio,
    flip_bbox,
    get_udp_warp_matrix,
    get_warp_matrix,
)
from .keypoint import flip_keypoints
from .pose_data_sample import PoseDataSample, merge_data_samples

__all__ = [
    "PoseDataSample",
    "bbox_cs2xyxy",
    "bbox_xywh2xyxy",
    "bbox_xyxy2cs",
    "fix_aspect_ratio",
    "flip_bbox",
    "flip_keypoints",
    "get_udp_warp_matrix",
    "get_warp_matrix",
    "merge_data_samples",
]
