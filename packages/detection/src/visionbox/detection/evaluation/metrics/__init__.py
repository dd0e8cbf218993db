"""Detection metrics."""

from .coco_metric import CocoMetric, encode_mask_results

__all__ = ["CocoMetric", "encode_mask_results"]
