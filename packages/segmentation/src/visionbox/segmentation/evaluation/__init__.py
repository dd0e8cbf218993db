"""Metrics of VisionBox semantic segmentation."""

from .metrics import IoUMetric, confusion_matrix, metrics_from_confusion

__all__ = ["IoUMetric", "confusion_matrix", "metrics_from_confusion"]
