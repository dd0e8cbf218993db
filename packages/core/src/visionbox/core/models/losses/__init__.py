"""Losses shared by every VisionBox task (mmdet 3.x names, arguments and semantics)."""

from .cross_entropy_loss import (
    CrossEntropyLoss,
    binary_cross_entropy,
    cross_entropy,
    mask_cross_entropy,
)
from .dice_loss import DiceLoss, dice_loss
from .focal_loss import FocalLoss, sigmoid_focal_loss
from .gfocal_loss import QualityFocalLoss, quality_focal_loss, soft_quality_target
from .iou_loss import (
    CIoULoss,
    DIoULoss,
    GIoULoss,
    IoULoss,
    aligned_bbox_overlaps,
    ciou_loss,
    diou_loss,
    giou_loss,
    iou_loss,
)
from .regression_losses import L1Loss, MSELoss, SmoothL1Loss, l1_loss, mse_loss, smooth_l1_loss
from .utils import reduce_loss, weight_reduce_loss, weighted_loss

__all__ = [
    "CIoULoss",
    "CrossEntropyLoss",
    "DIoULoss",
    "DiceLoss",
    "FocalLoss",
    "GIoULoss",
    "IoULoss",
    "L1Loss",
    "MSELoss",
    "QualityFocalLoss",
    "SmoothL1Loss",
    "aligned_bbox_overlaps",
    "binary_cross_entropy",
    "ciou_loss",
    "cross_entropy",
    "dice_loss",
    "diou_loss",
    "giou_loss",
    "iou_loss",
    "l1_loss",
    "mask_cross_entropy",
    "mse_loss",
    "quality_focal_loss",
    "reduce_loss",
    "sigmoid_focal_loss",
    "smooth_l1_loss",
    "soft_quality_target",
    "weight_reduce_loss",
    "weighted_loss",
]
