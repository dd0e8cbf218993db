"""Detectors."""

from .faster_rcnn import FasterRCNN, MaskRCNN
from .single_stage import SingleStageDetector
from .two_stage import TwoStageDetector, add_pred_to_datasample

__all__ = [
    "FasterRCNN",
    "MaskRCNN",
    "SingleStageDetector",
    "TwoStageDetector",
    "add_pred_to_datasample",
]
