"""Datasets and transforms of VisionBox object detection."""

from .coco import COCO_CLASSES, CocoDataset
from .dataset_wrappers import MultiImageMixDataset
from .samplers import AspectRatioBatchSampler
from .transforms import (
    FilterAnnotations,
    LoadAnnotations,
    MixUp,
    Mosaic,
    PackDetInputs,
    RandomAffine,
    YOLOXHSVRandomAug,
    poly2mask,
)

__all__ = [
    "COCO_CLASSES",
    "AspectRatioBatchSampler",
    "CocoDataset",
    "FilterAnnotations",
    "LoadAnnotations",
    "MixUp",
    "Mosaic",
    "MultiImageMixDataset",
    "PackDetInputs",
    "RandomAffine",
    "YOLOXHSVRandomAug",
    "poly2mask",
]
