"""``PoseDataSample``: one image's (or one instance's) pose annotations and predictions.

Fields (mmpose 1.x names):

* ``gt_instances`` (``InstanceData``): ``bboxes`` (N, 4) x1y1x2y2, ``bbox_scores`` (N,),
  ``keypoints`` (N, K, 2), ``keypoints_visible`` (N, K), ``lifting_target`` (N, K, 3), ...
* ``gt_instance_labels`` (``InstanceData``): encoded targets per instance (``keypoint_weights``
  (N, K), ``keypoint_labels``, ``keypoint_x_labels`` ...).
* ``gt_fields`` (``PixelData``): encoded maps (``heatmaps`` (K, H, W), ``heatmap_mask``).
* ``pred_instances`` (``InstanceData``): ``keypoints`` (N, K, D), ``keypoint_scores`` (N, K),
  ``keypoints_visible``, ``bboxes``, ``bbox_scores``.
* ``pred_fields`` (``PixelData``): predicted ``heatmaps`` when asked for.
"""

from __future__ import annotations

from mmengine.structures import InstanceData, PixelData

from visionbox.core.structures import BaseDataSample

__all__ = ["PoseDataSample", "merge_data_samples"]


def _field(name: str, kind: type) -> property:
    def getter(self):
        return getattr(self, f"_{name}")

    def setter(self, value):
        self.set_field(value, f"_{name}", dtype=kind)

    def deleter(self):
        delattr(self, f"_{name}")

    return property(getter, setter, deleter, doc=f"{kind.__name__}: ``{name}`` of the sample.")


class PoseDataSample(BaseDataSample):
    """Data sample of pose estimation (see the module docstring for its fields)."""

    gt_instance_labels = _field("gt_instance_labels", InstanceData)
    gt_fields = _field("gt_fields", PixelData)
    pred_fields = _field("pred_fields", PixelData)


def merge_data_samples(data_samples: list[PoseDataSample]) -> PoseDataSample:
    """Merge per-instance samples of one image (top-down) into one sample with N instances.

    ``gt_instances`` and ``pred_instances`` are concatenated; the metainfo is the first sample's.

    Raises:
        ValueError: on an empty list.
    """
    if not data_samples:
        raise ValueError("merge_data_samples needs at least one data sample.")
    merged = PoseDataSample(metainfo=data_samples[0].metainfo)
    for key in ("gt_instances", "pred_instances"):
        parts = [getattr(s, key) for s in data_samples if key in s]
        if parts:
            setattr(merged, key, InstanceData.cat(parts))
    return merged
