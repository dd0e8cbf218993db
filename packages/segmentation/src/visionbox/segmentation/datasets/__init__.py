"""Datasets and transforms of VisionBox semantic segmentation."""

from . import transforms
from .basesegdataset import BaseSegDataset
from .datasets import ADE20KDataset, CityscapesDataset, PascalVOCDataset, ShapesSegDataset
from .metainfo import ADE20K_METAINFO, CITYSCAPES_METAINFO, VOC_METAINFO
from .transforms import LoadAnnotations, PackSegInputs, RandomCrop

__all__ = [
    "ADE20K_METAINFO",
    "ADE20KDataset",
    "BaseSegDataset",
    "CITYSCAPES_METAINFO",
    "CityscapesDataset",
    "LoadAnnotations",
    "PackSegInputs",
    "PascalVOCDataset",
    "RandomCrop",
    "ShapesSegDataset",
    "VOC_METAINFO",
    "transforms",
]
