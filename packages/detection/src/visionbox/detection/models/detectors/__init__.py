"""Detectors."""

from .faster_rcnn import FasterRCNN, MaskRCNN
from .two_stage import TwoStageDetector, add_pred_to_datasample

__all__ = ["FasterRCNN", "MaskRCNN", "TwoStageDetector", "add_pred_to_datasample"]
