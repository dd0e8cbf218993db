"""Detectors."""

from .faster_rcnn import FasterRCNN, MaskRCNN
from .fcos import FCOS
from .retinanet import RetinaNet
from .rtmdet import RTMDet
from .single_stage import SingleStageDetector
from .two_stage import TwoStageDetector, add_pred_to_datasample
from .yolox import YOLOX

__all__ = [
    "FCOS",
    "FasterRCNN",
    "MaskRCNN",
    "RTMDet",
    "RetinaNet",
    "SingleStageDetector",
    "TwoStageDetector",
    "YOLOX",
    "add_pred_to_datasample",
]
