"""Pose metrics."""

from .coco_metric import CocoMetric, oks_iou, oks_nms
from .keypoint_metrics import AUC, EPE, MPJPE, NME, PCKAccuracy

__all__ = ["AUC", "EPE", "MPJPE", "NME", "CocoMetric", "PCKAccuracy", "oks_iou", "oks_nms"]
