"""``PackPoseInputs``: the image (or the encoded 2D keypoints of lifting) and a
``PoseDataSample`` with ``gt_instances``, ``gt_instance_labels``, ``gt_fields`` and metainfo."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData, PixelData

from visionbox.core.datasets.transforms import BaseTransform
from visionbox.core.datasets.transforms.formatting import image_to_tensor

from ...registry import TRANSFORMS
from ...structures import PoseDataSample

__all__ = ["PackPoseInputs"]

_INSTANCES = {
    "bbox": "bboxes",
    "bbox_score": "bbox_scores",
    "keypoints": "keypoints",
    "keypoints_cam": "keypoints_cam",
    "keypoints_visible": "keypoints_visible",
    "lifting_target": "lifting_target",
    "lifting_target_visible": "lifting_target_visible",
}
_LABELS = {
    "keypoint_labels": "keypoint_labels",
    "keypoint_weights": "keypoint_weights",
    "keypoints_visible_weights": "keypoints_visible_weights",
    "keypoint_x_labels": "keypoint_x_labels",
    "keypoint_y_labels": "keypoint_y_labels",
    "lifting_target_label": "lifting_target_label",
    "lifting_target_weight": "lifting_target_weight",
    "trajectory_weights": "trajectory_weights",
    "target_root": "target_root",
    "keypoint_indices": "keypoint_indices",
}
_FIELDS = {
    "heatmaps": "heatmaps",
    "instance_heatmaps": "instance_heatmaps",
    "heatmap_mask": "heatmap_mask",
}


def _tensor(value):
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        return [torch.from_numpy(np.ascontiguousarray(v)) for v in value]
    return value


@TRANSFORMS.register_module()
class PackPoseInputs(BaseTransform):
    """Pack ``inputs`` and a ``PoseDataSample``.

    The image becomes a (3, H, W) uint8 tensor; without an image (pose lifting) ``inputs`` is the
    encoded 2D keypoints (``keypoint_labels``, e.g. (K * 2, T)).

    Args:
        meta_keys: Keys copied into the sample's metainfo when present.
        pack_transformed: Also pack ``transformed_keypoints`` into ``gt_instances``.
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = (
            "id",
            "img_id",
            "img_path",
            "category_id",
            "crowd_index",
            "ori_shape",
            "img_shape",
            "input_size",
            "input_center",
            "input_scale",
            "flip",
            "flip_direction",
            "flip_indices",
            "raw_ann_info",
            "dataset_name",
        ),  # fmt: skip
        pack_transformed: bool = False,
    ) -> None:
        self.meta_keys = tuple(meta_keys)
        self.pack_transformed = pack_transformed

    def transform(self, results: dict) -> dict:
        if "img" in results:
            inputs = image_to_tensor(results["img"])
        elif "keypoint_labels" in results:
            inputs = torch.from_numpy(np.ascontiguousarray(results["keypoint_labels"])).float()
        else:
            raise KeyError("PackPoseInputs needs 'img' or (for lifting) 'keypoint_labels'.")
        sample = PoseDataSample()
        gt = InstanceData()
        lifting = "lifting_target" in results and "img" not in results
        for key, name in _INSTANCES.items():
            if key in results and results[key] is not None:
                value = _tensor(np.asarray(results[key]))
                if key in ("lifting_target", "lifting_target_visible") and value.dim() in (1, 2):
                    value = value.unsqueeze(0)
                elif lifting and key in ("keypoints", "keypoints_visible"):
                    value = value.unsqueeze(0)  # (1, T, K[, 2]): one instance seen over T frames
                gt.set_field(value, name)
        if self.pack_transformed and "transformed_keypoints" in results:
            gt.set_field(_tensor(results["transformed_keypoints"]), "transformed_keypoints")
        sample.gt_instances = gt
        labels = InstanceData()
        for key, name in _LABELS.items():
            if key in results and not (key == "keypoint_labels" and "img" not in results):
                value = _tensor(np.asarray(results[key], dtype=np.float32))
                if value.dim() == 0:
                    value = value.reshape(1)
                if key in ("lifting_target_label", "target_root") and value.dim() == 2:
                    value = value.unsqueeze(0) if key == "lifting_target_label" else value
                labels.set_field(value, name)
        sample.gt_instance_labels = labels
        fields = {name: _tensor(results[key]) for key, name in _FIELDS.items() if key in results}
        if fields:
            sample.gt_fields = PixelData(**fields)
        meta = {k: results[k] for k in self.meta_keys if k in results}
        sample.set_metainfo(meta)
        return dict(inputs=inputs, data_samples=sample)
