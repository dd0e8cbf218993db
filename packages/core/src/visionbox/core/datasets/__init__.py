"""Shared data: dataset bases, readers, transforms and the VisionBox Shapes synthetic data."""

from . import transforms
from .base_dataset import BaseVisionDataset
from .readers import (
    AnnotationError,
    check_coco,
    coco_problems,
    load_coco_json,
    read_mot_txt,
    read_seqinfo,
    read_sot_groundtruth,
)
from .transforms import (
    BaseTransform,
    Compose,
    ImageToTensor,
    LoadImageFromFile,
    LoadImageFromNDArray,
    PackInputs,
    Pad,
    PhotoMetricDistortion,
    RandomApply,
    RandomChoice,
    RandomChoiceResize,
    RandomCrop,
    RandomFlip,
    RandomResize,
    Resize,
    TestTimeAug,
)

__all__ = [
    "AnnotationError",
    "BaseTransform",
    "BaseVisionDataset",
    "Compose",
    "ImageToTensor",
    "LoadImageFromFile",
    "LoadImageFromNDArray",
    "PackInputs",
    "Pad",
    "PhotoMetricDistortion",
    "RandomApply",
    "RandomChoice",
    "RandomChoiceResize",
    "RandomCrop",
    "RandomFlip",
    "RandomResize",
    "Resize",
    "TestTimeAug",
    "check_coco",
    "coco_problems",
    "load_coco_json",
    "read_mot_txt",
    "read_seqinfo",
    "read_sot_groundtruth",
    "transforms",
]
