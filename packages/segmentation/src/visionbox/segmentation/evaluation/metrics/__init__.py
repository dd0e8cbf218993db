"""Segmentation metrics."""

from .iou_metric import IoUMetric, confusion_matrix, metrics_from_confusion

__all__ = ["IoUMetric", "confusion_matrix", "metrics_from_confusion"]
