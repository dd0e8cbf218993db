"""Task utilities injected into heads: prior generators, box coders, assigners, samplers.

They are registered in ``TASK_UTILS`` and built from configs such as
``dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3)``.
"""

from .assigners import (
    AssignResult,
    BboxOverlaps2D,
    DynamicSoftLabelAssigner,
    MaxIoUAssigner,
    SimOTAAssigner,
)
from .coders import DeltaXYWHBBoxCoder, DistancePointBBoxCoder
from .prior_generators import AnchorGenerator, MlvlPointGenerator
from .samplers import PseudoSampler, RandomSampler, SamplingResult

__all__ = [
    "AnchorGenerator",
    "AssignResult",
    "BboxOverlaps2D",
    "DeltaXYWHBBoxCoder",
    "DistancePointBBoxCoder",
    "DynamicSoftLabelAssigner",
    "MaxIoUAssigner",
    "MlvlPointGenerator",
    "PseudoSampler",
    "RandomSampler",
    "SamplingResult",
    "SimOTAAssigner",
]
