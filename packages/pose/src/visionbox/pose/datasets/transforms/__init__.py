"""Pose transforms (mmpose 1.x names and keys)."""

from .albumentation import Albumentation
from .bottomup import BottomupRandomAffine, BottomupResize
from .common import (
    GenerateTarget,
    GetBBoxCenterScale,
    RandomBBoxTransform,
    RandomFlip,
    RandomHalfBody,
)
from .formatting import PackPoseInputs
from .loading import LoadImage
from .pose3d import RandomFlipAroundRoot
from .topdown import TopdownAffine

__all__ = [
    "Albumentation",
    "BottomupRandomAffine",
    "BottomupResize",
    "GenerateTarget",
    "GetBBoxCenterScale",
    "LoadImage",
    "PackPoseInputs",
    "RandomBBoxTransform",
    "RandomFlipAroundRoot",
    "RandomFlip",
    "RandomHalfBody",
    "TopdownAffine",
]
