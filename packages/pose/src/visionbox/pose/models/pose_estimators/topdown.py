"""``TopdownPoseEstimator``: one person crop in, its keypoints out (mmpose 1.x).

Shape shorthand: B crops, K keypoints, (w, h) input size. ``predict`` maps the head's decoded
keypoints from the input space back to the original image with each sample's ``input_center``
and ``input_scale``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from mmengine.structures import InstanceData, PixelData
from torch import Tensor, nn

from visionbox.core.models.base import BaseTaskModel

from ...registry import MODELS
from .common import build_pose_parts, build_preprocessor

__all__ = ["TopdownPoseEstimator", "to_image_space"]


def to_image_space(keypoints: np.ndarray, metainfo: dict) -> np.ndarray:
    """(N, K, 2) keypoints in the model input -> the original image, float32.

    Computed in float64 and rounded once, as mmpose 1.3 does (its integer ``input_size``
    promotes the expression to float64 before the result is stored in float32 keypoints).
    """
    input_size = np.asarray(metainfo["input_size"], np.float64)
    center = np.asarray(metainfo["input_center"], np.float32)
    scale = np.asarray(metainfo["input_scale"], np.float32)
    return (keypoints / input_size * scale + center - 0.5 * scale).astype(np.float32)


@MODELS.register_module()
class TopdownPoseEstimator(BaseTaskModel):
    """Top-down pose estimator: backbone, optional neck, head.

    Args:
        backbone: Backbone config.
        neck: Neck config.
        head: Head config.
        train_cfg: Passed to ``head.loss`` (e.g. ``compute_acc``).
        test_cfg: Passed to ``head.predict``: ``flip_test``, ``flip_mode``, ``shift_heatmap``,
            ``shift_coords``, ``output_heatmaps``, ``output_keypoint_indices``.
        data_preprocessor: Data preprocessor config.
        use_syncbn: Convert BatchNorm layers to SyncBatchNorm.
        init_cfg: Weight initialisation config.
        metainfo: Dataset metainfo (``dict(from_file=...)``) used when the data samples carry none.
    """

    def __init__(
        self,
        backbone: dict | nn.Module,
        neck: dict | nn.Module | None = None,
        head: dict | nn.Module | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        data_preprocessor: dict | nn.Module | None = None,
        use_syncbn: bool = False,
        init_cfg: dict | list[dict] | None = None,
        metainfo: dict | None = None,
    ) -> None:
        super().__init__(data_preprocessor=build_preprocessor(data_preprocessor), init_cfg=init_cfg)
        build_pose_parts(self, backbone, neck, head, train_cfg, test_cfg, use_syncbn, metainfo)

    @property
    def with_head(self) -> bool:
        return self.head is not None

    def _forward(self, inputs: Tensor, data_samples: list | None = None) -> Any:
        """(B, 3, h, w) -> the head's raw outputs."""
        feats = self.extract_feat(inputs)
        return self.head.forward(feats) if self.with_head else feats

    def loss(self, inputs: Tensor, data_samples: list | None) -> dict:
        if not self.with_head:
            raise RuntimeError("TopdownPoseEstimator.loss needs a head.")
        return self.head.loss(self.extract_feat(inputs), data_samples, train_cfg=self.train_cfg)

    def predict(self, inputs: Tensor, data_samples: list | None) -> list:
        """Keypoints of each crop in its original image, in ``pred_instances`` (``keypoints``
        (1, K, 2), ``keypoint_scores`` (1, K), ``keypoints_visible``, ``bboxes``,
        ``bbox_scores``)."""
        if not self.with_head:
            raise RuntimeError("TopdownPoseEstimator.predict needs a head.")
        if data_samples is None:
            raise ValueError("predict needs data samples with input_center/input_scale/input_size.")
        if self.test_cfg.get("flip_test", False):
            self._fill_flip_indices(data_samples)
            feats: Any = [self.extract_feat(inputs), self.extract_feat(inputs.flip(-1))]
        else:
            feats = self.extract_feat(inputs)
        preds = self.head.predict(feats, data_samples, test_cfg=self.test_cfg)
        instances, fields = preds if isinstance(preds, tuple) else (preds, None)
        return self.add_pred_to_datasample(instances, fields, data_samples)

    def _fill_flip_indices(self, data_samples: list) -> None:
        if "flip_indices" in data_samples[0].metainfo:
            return
        if not self.metainfo or "flip_indices" not in self.metainfo:
            raise KeyError(
                "flip_test needs flip_indices: pack them in the data samples (PackPoseInputs "
                "meta_keys) or give the model metainfo=dict(from_file=<dataset info>)."
            )
        for sample in data_samples:
            sample.set_metainfo(dict(flip_indices=self.metainfo["flip_indices"]))

    def add_pred_to_datasample(
        self, instances: list[InstanceData], fields: list[PixelData] | None, data_samples: list
    ) -> list:
        """Map keypoints to the original image and attach them to the data samples."""
        if len(instances) != len(data_samples):
            raise ValueError(f"{len(instances)} predictions for {len(data_samples)} samples.")
        indices = self.test_cfg.get("output_keypoint_indices")
        for i, (pred, sample) in enumerate(zip(instances, data_samples)):
            pred.keypoints = to_image_space(pred.keypoints, sample.metainfo)
            if "keypoints_visible" not in pred:
                pred.keypoints_visible = pred.keypoint_scores
            if indices is not None:
                pred.keypoints = pred.keypoints[:, indices]
                pred.keypoint_scores = pred.keypoint_scores[:, indices]
                pred.keypoints_visible = pred.keypoints_visible[:, indices]
            gt = sample.get("gt_instances")
            if gt is not None and "bboxes" in gt:
                pred.bboxes = gt.bboxes
                if "bbox_scores" in gt:
                    pred.bbox_scores = gt.bbox_scores
            sample.pred_instances = pred
            if fields is not None:
                sample.pred_fields = fields[i]
        return data_samples
