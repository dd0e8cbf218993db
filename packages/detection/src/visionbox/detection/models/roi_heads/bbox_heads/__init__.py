"""RoI box heads."""

from .bbox_head import BBoxHead, accuracy
from .convfc_bbox_head import ConvFCBBoxHead, Shared2FCBBoxHead, Shared4Conv1FCBBoxHead
from .double_bbox_head import BasicResBlock, DoubleConvFCBBoxHead

__all__ = [
    "BBoxHead",
    "BasicResBlock",
    "ConvFCBBoxHead",
    "DoubleConvFCBBoxHead",
    "Shared2FCBBoxHead",
    "Shared4Conv1FCBBoxHead",
    "accuracy",
]
