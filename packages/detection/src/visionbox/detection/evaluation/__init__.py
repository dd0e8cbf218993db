"""Metrics of VisionBox object detection."""

from .metrics import CocoMetric, encode_mask_results

__all__ = ["CocoMetric", "encode_mask_results"]
