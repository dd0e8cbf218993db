"""``BottomupPoseEstimator``: a whole image in, every person's keypoints out (mmpose 1.x).

Shape shorthand: B images, M people found, K keypoints. ``predict`` maps the decoded keypoints
from the input space back to the original image with ``input_center`` / ``input_scale`` (set by
``BottomupResize``) and derives each person's box from its keypoints.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from torch import Tensor, nn

from visionbox.core.models.base import BaseTaskModel

from ...registry import MODELS
from .common import build_pose_parts, build_preprocessor
from .topdown import to_image_space

__all__ = ["BottomupPoseEstimator"]


@MODELS.register_module()
class BottomupPoseEstimator(BaseTaskModel):
    """Bottom-up pose estimator: backbone, optional neck, head.

    Args:
        backbone: Backbone config.
        neck: Neck config.
        head: Head config (e.g. ``AssociativeEmbeddingHead``).
        train_cfg: Passed to ``head.loss``.
        test_cfg: Passed to ``head.predict``: ``flip_test``, ``shift_heatmap``,
            ``restore_heatmap_size``, ``align_corners`` (``multiscale_test`` must be False).
        data_preprocessor: Data preprocessor config.
        use_syncbn: Convert BatchNorm layers to SyncBatchNorm.
        init_cfg: Weight initialisation config.
        metainfo: Dataset metainfo (``dict(from_file=...)``).
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
        if self.test_cfg.get("multiscale_test", False):
            raise ValueError("BottomupPoseEstimator does not support multiscale_test.")

    def _forward(self, inputs: Tensor, data_samples: list | None = None) -> Any:
        feats = self.extract_feat(inputs)
        return self.head.forward(feats) if self.head is not None else feats

    def loss(self, inputs: Tensor, data_samples: list | None) -> dict:
        return self.head.loss(self.extract_feat(inputs), data_samples, train_cfg=self.train_cfg)

    def predict(self, inputs: Tensor, data_samples: list | None) -> list:
        """``pred_instances`` per image: ``keypoints`` (M, K, 2), ``keypoint_scores`` (M, K),
        ``keypoints_visible``, ``bboxes`` (M, 4) around the keypoints and ``bbox_scores`` (M,)."""
        if data_samples is None:
            raise ValueError("predict needs data samples with input_center/input_scale/input_size.")
        if self.test_cfg.get("flip_test", False):
            if "flip_indices" not in data_samples[0].metainfo:
                if not self.metainfo:
                    raise KeyError(
                        "flip_test needs flip_indices in the samples or the model metainfo."
                    )
                for sample in data_samples:
                    sample.set_metainfo(dict(flip_indices=self.metainfo["flip_indices"]))
            feats: Any = [self.extract_feat(inputs), self.extract_feat(inputs.flip(-1))]
        else:
            feats = self.extract_feat(inputs)
        preds = self.head.predict(feats, data_samples, test_cfg=self.test_cfg)
        for pred, sample in zip(preds, data_samples):
            pred.keypoints = to_image_space(pred.keypoints, sample.metainfo)
            pred.keypoints_visible = pred.keypoint_scores
            if len(pred.keypoints):
                pred.bboxes = np.concatenate(
                    [pred.keypoints.min(axis=1), pred.keypoints.max(axis=1)], axis=1
                ).astype(np.float32)
            else:
                pred.bboxes = np.zeros((0, 4), np.float32)
            sample.pred_instances = pred
        return data_samples
