"""Detection layers: batched and multi-class NMS."""

from .bbox_nms import batched_nms, check_nms_cfg, multiclass_nms
from .ema import ExpMomentumEMA

__all__ = ["ExpMomentumEMA", "batched_nms", "check_nms_cfg", "multiclass_nms"]
