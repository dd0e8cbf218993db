"""Detection layers: batched and multi-class NMS."""

from .bbox_nms import batched_nms, check_nms_cfg, multiclass_nms

__all__ = ["batched_nms", "check_nms_cfg", "multiclass_nms"]
