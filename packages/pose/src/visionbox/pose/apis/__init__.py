"""Inference APIs of VisionBox pose (functions and ``PoseInferencer``)."""

from .inference import detect_bboxes, inference_bottomup, inference_topdown, init_model
from .inferencer import MMPoseInferencer, PoseInferencer

__all__ = [
    "MMPoseInferencer",
    "PoseInferencer",
    "detect_bboxes",
    "inference_bottomup",
    "inference_topdown",
    "init_model",
]
