"""Datasets and transforms of VisionBox object detection."""

from .coco import COCO_CLASSES, CocoDataset
from .samplers import AspectRatioBatchSampler
from .transforms import LoadAnnotations, PackDetInputs, poly2mask

__all__ = [
    "COCO_CLASSES",
    "AspectRatioBatchSampler",
    "CocoDataset",
    "LoadAnnotations",
    "PackDetInputs",
    "poly2mask",
]
