"""``LoadTrackAnnotations``: the instances of a frame info as arrays."""

from __future__ import annotations

import numpy as np

from visionbox.core.datasets.transforms import BaseTransform
from visionbox.tracking.registry import TRANSFORMS

__all__ = ["LoadTrackAnnotations"]


@TRANSFORMS.register_module()
class LoadTrackAnnotations(BaseTransform):
    """Read ``results['instances']`` into ``gt_bboxes`` (N, 4) float32 x1y1x2y2,
    ``gt_bboxes_labels`` (N,) int64, ``gt_instances_ids`` (N,) int64 and ``gt_ignore_flags``
    (N,) bool.

    Args:
        with_bbox: Load boxes (and ignore flags).
        with_label: Load labels.
        with_instance_id: Load instance ids.
    """

    def __init__(
        self, with_bbox: bool = True, with_label: bool = True, with_instance_id: bool = True
    ) -> None:
        self.with_bbox = with_bbox
        self.with_label = with_label
        self.with_instance_id = with_instance_id

    def transform(self, results: dict) -> dict:
        instances = results.get("instances", [])
        if self.with_bbox:
            results["gt_bboxes"] = np.array([i["bbox"] for i in instances], np.float32).reshape(
                -1, 4
            )
            results["gt_ignore_flags"] = np.array(
                [bool(i.get("ignore_flag", 0)) for i in instances], bool
            )
        if self.with_label:
            results["gt_bboxes_labels"] = np.array([i["bbox_label"] for i in instances], np.int64)
        if self.with_instance_id:
            results["gt_instances_ids"] = np.array([i["instance_id"] for i in instances], np.int64)
        return results
