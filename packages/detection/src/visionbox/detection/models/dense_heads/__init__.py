"""Dense heads: the RPN, and the anchor target helpers any anchor-based head reuses."""

from .anchor_targets import (
    AnchorTargets,
    anchor_inside_flags,
    anchor_losses,
    anchor_targets,
    flatten_level_outputs,
)
from .rpn_head import RPNHead, unpack_gt_instances

__all__ = [
    "AnchorTargets",
    "RPNHead",
    "anchor_inside_flags",
    "anchor_losses",
    "anchor_targets",
    "flatten_level_outputs",
    "unpack_gt_instances",
]
