"""Dense heads: the RPN, RetinaNet and FCOS heads on the ``AnchorHead`` / ``AnchorFreeHead``
bases, and the target and post-processing helpers they share."""

from .anchor_free_head import AnchorFreeHead, Scale
from .anchor_head import AnchorHead
from .anchor_targets import (
    AnchorTargets,
    anchor_inside_flags,
    anchor_losses,
    anchor_targets,
    flatten_level_outputs,
)
from .dense_predict import dense_predict
from .fcos_head import FCOSHead
from .retina_head import RetinaHead
from .rpn_head import RPNHead, unpack_gt_instances
from .rtmdet_head import RTMDetHead, RTMDetSepBNHead
from .rtmdet_ins_head import MaskFeatModule, RTMDetInsSepBNHead
from .yolox_head import YOLOXHead

__all__ = [
    "AnchorFreeHead",
    "AnchorHead",
    "AnchorTargets",
    "FCOSHead",
    "MaskFeatModule",
    "RPNHead",
    "RTMDetHead",
    "RTMDetInsSepBNHead",
    "RTMDetSepBNHead",
    "RetinaHead",
    "Scale",
    "YOLOXHead",
    "anchor_inside_flags",
    "anchor_losses",
    "anchor_targets",
    "dense_predict",
    "flatten_level_outputs",
    "unpack_gt_instances",
]
