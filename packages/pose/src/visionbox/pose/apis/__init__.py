"""Inference APIs of VisionBox pose."""

from .inference import detect_bboxes, inference_bottomup, inference_topdown, init_model

__all__ = ["detect_bboxes", "inference_bottomup", "inference_topdown", "init_model"]
