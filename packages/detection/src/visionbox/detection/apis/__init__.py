"""High-level APIs: build a detector and run it on images (functions and ``DetInferencer``)."""

from .inference import build_test_pipeline, detect_batch, inference_detector, init_detector
from .inferencer import DetInferencer

__all__ = [
    "DetInferencer",
    "build_test_pipeline",
    "detect_batch",
    "inference_detector",
    "init_detector",
]
