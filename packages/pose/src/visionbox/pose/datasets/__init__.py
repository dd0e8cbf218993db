"""Pose datasets and transforms. Importing this package registers them in the pose
``DATASETS`` / ``TRANSFORMS`` registries."""

from . import transforms
from .coco import CocoDataset
from .h36m import Human36mDataset
from .metainfo import parse_pose_metainfo, resolve_dataset_info_path
from .transforms import (
    BottomupRandomAffine,
    BottomupResize,
    GenerateTarget,
    GetBBoxCenterScale,
    LoadImage,
    PackPoseInputs,
    RandomBBoxTransform,
    RandomFlip,
    RandomFlipAroundRoot,
    RandomHalfBody,
    TopdownAffine,
)

__all__ = [
    "BottomupRandomAffine",
    "BottomupResize",
    "CocoDataset",
    "GenerateTarget",
    "Human36mDataset",
    "GetBBoxCenterScale",
    "LoadImage",
    "PackPoseInputs",
    "RandomBBoxTransform",
    "RandomFlipAroundRoot",
    "RandomFlip",
    "RandomHalfBody",
    "TopdownAffine",
    "parse_pose_metainfo",
    "resolve_dataset_info_path",
    "transforms",
]
