"""RoI heads, their box and mask heads and RoI feature extractors."""

from .bbox_heads import (
    BBoxHead,
    ConvFCBBoxHead,
    DoubleConvFCBBoxHead,
    Shared2FCBBoxHead,
    Shared4Conv1FCBBoxHead,
)
from .double_roi_head import DoubleHeadRoIHead
from .mask_heads import FCNMaskHead
from .roi_extractors import SingleRoIExtractor
from .standard_roi_head import StandardRoIHead

__all__ = [
    "BBoxHead",
    "ConvFCBBoxHead",
    "DoubleConvFCBBoxHead",
    "DoubleHeadRoIHead",
    "FCNMaskHead",
    "Shared2FCBBoxHead",
    "Shared4Conv1FCBBoxHead",
    "SingleRoIExtractor",
    "StandardRoIHead",
]
