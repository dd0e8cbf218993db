"""High-level APIs: build a detector and run it on images."""

from .inference import build_test_pipeline, inference_detector, init_detector

__all__ = ["build_test_pipeline", "inference_detector", "init_detector"]
