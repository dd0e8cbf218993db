"""Pose datasets and transforms. Importing this package registers them in the pose
``DATASETS`` / ``TRANSFORMS`` registries."""

from . import transforms
from .coco import CocoDataset
from .metainfo import parse_pose_metainfo, resolve_dataset_info_path
from .transforms import (
    GenerateTarget,
    GetBBoxCenterScale,
    LoadImage,
    PackPoseInputs,
    RandomBBoxTransform,
    RandomFlip,
    RandomHalfBody,
    TopdownAffine,
)

__all__ = [
    "CocoDataset",
    "GenerateTarget",
    "GetBBoxCenterScale",
    "LoadImage",
    "PackPoseInputs",
    "RandomBBoxTransform",
    "RandomFlip",
    "RandomHalfBody",
    "TopdownAffine",
    "parse_pose_metainfo",
    "resolve_dataset_info_path",
    "transforms",
]
