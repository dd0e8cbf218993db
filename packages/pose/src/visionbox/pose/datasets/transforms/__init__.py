"""Pose transforms (mmpose 1.x names and keys)."""

from .common import (
    GenerateTarget,
    GetBBoxCenterScale,
    RandomBBoxTransform,
    RandomFlip,
    RandomHalfBody,
)
from .formatting import PackPoseInputs
from .loading import LoadImage
from .topdown import TopdownAffine

__all__ = [
    "GenerateTarget",
    "GetBBoxCenterScale",
    "LoadImage",
    "PackPoseInputs",
    "RandomBBoxTransform",
    "RandomFlip",
    "RandomHalfBody",
    "TopdownAffine",
]
