"""Assigners of priors to ground truth."""

from .assign_result import AssignResult
from .dynamic_soft_label_assigner import DynamicSoftLabelAssigner, center_of_mass
from .iou2d_calculator import BboxOverlaps2D
from .max_iou_assigner import MaxIoUAssigner
from .sim_ota_assigner import SimOTAAssigner

__all__ = [
    "AssignResult",
    "BboxOverlaps2D",
    "DynamicSoftLabelAssigner",
    "MaxIoUAssigner",
    "SimOTAAssigner",
    "center_of_mass",
]
