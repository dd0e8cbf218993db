"""``PoseInferencer`` (alias ``MMPoseInferencer``): mmpose 1.x's Inferencer on VisionBox models.

    # top-down: a detector of the user's choice finds the boxes, the pose model their keypoints
    inferencer = PoseInferencer('pose::shapes/td-hm_res18-slim_shapes-96x128.py', 'pose.pth',
                                det_model='detection::shapes/faster-rcnn_r18_fpn_shapes.py',
                                det_weights='det.pth', det_cat_ids=0)
    # bottom-up: the pose model alone
    inferencer = PoseInferencer('pose::shapes/ae_res18-slim_shapes-128x128.py', 'ae.pth')
    out = inferencer('image.jpg')
    out['predictions'][0]   # one dict per instance: keypoints (K, 2), keypoint_scores (K,),
                            # bbox [[x1, y1, x2, y2]], bbox_score

A top-down model without ``det_model`` takes the whole image as its one box (as mmpose does).
The detector is built from its config through its own scope's registry (pose never imports the
detection package). See :class:`visionbox.core.apis.BaseInferencer` for the other arguments.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from mmengine.config import Config
from torch import nn

from visionbox.core.apis import BaseInferencer, resolve_config, to_plain

from ..registry import INFERENCERS
from ..structures import PoseDataSample, merge_data_samples
from ..visualization import PoseLocalVisualizer
from .inference import detect_bboxes, inference_bottomup, inference_topdown, init_model

__all__ = ["MMPoseInferencer", "PoseInferencer"]


@INFERENCERS.register_module()
class PoseInferencer(BaseInferencer):
    """2-D pose estimation on images, top-down (with a detector) or bottom-up.

    Args:
        model: The pose model's config (path, ``'pose::...'`` reference or ``Config``).
        weights: Its checkpoint.
        det_model: A detector's config for top-down models (``'detection::...'`` or a path).
        det_weights: The detector's checkpoint.
        det_cat_ids: Detected class (or classes) whose boxes are passed to the pose model.
        device, scope, show_progress, fuse, strict, cfg_options: see ``BaseInferencer``.
    """

    default_scope = "pose"
    visualizer_cls = PoseLocalVisualizer

    def __init__(
        self,
        model: str | os.PathLike | Config,
        weights: str | None = None,
        det_model: str | os.PathLike | Config | None = None,
        det_weights: str | None = None,
        det_cat_ids: int | tuple[int, ...] = 0,
        device: str | None = None,
        scope: str | None = None,
        show_progress: bool = False,
        fuse: bool = True,
        strict: bool = True,
        cfg_options: dict | None = None,
    ) -> None:
        det_config = resolve_config(det_model) if det_model is not None else None
        super().__init__(
            model,
            weights,
            device=device,
            scope=scope,
            show_progress=show_progress,
            fuse=fuse,
            strict=strict,
            cfg_options=cfg_options,
        )
        self.bottom_up = self.model.cfg.model.get("type") == "BottomupPoseEstimator"
        if self.bottom_up and det_config is not None:
            raise ValueError(
                "det_model is for top-down models; this config is bottom-up "
                "(BottomupPoseEstimator) and finds every person itself."
            )
        self.det_cat_ids = (det_cat_ids,) if isinstance(det_cat_ids, int) else tuple(det_cat_ids)
        self.detector = None
        if det_config is not None:
            self.detector = init_model(
                det_config, det_weights, device=self.device, strict=strict, fuse=fuse
            )

    def init_model(
        self,
        config: Any,
        weights: str | None,
        *,
        device: str,
        cfg_options: dict | None,
        fuse: bool,
        strict: bool,
    ) -> nn.Module:
        return init_model(
            config, weights, device=device, cfg_options=cfg_options, strict=strict, fuse=fuse
        )

    def _boxes(self, image: np.ndarray, bbox_thr: float) -> np.ndarray | None:
        if self.detector is None:
            return None
        found = [detect_bboxes(self.detector, image, c, bbox_thr) for c in self.det_cat_ids]
        return np.concatenate(found, axis=0)

    def forward(self, images: list[np.ndarray], bbox_thr: float = 0.3) -> list[PoseDataSample]:
        """One merged sample per image; ``bbox_thr`` is the lowest detection score kept."""
        results = []
        for image in images:
            if self.bottom_up:
                results.append(inference_bottomup(self.model, image)[0])
                continue
            boxes = self._boxes(image, bbox_thr)
            if boxes is not None and len(boxes) == 0:
                results.append(PoseDataSample(metainfo=dict(ori_shape=image.shape[:2])))
                continue
            samples = inference_topdown(self.model, image, None if boxes is None else boxes[:, :4])
            merged = merge_data_samples(samples)
            if boxes is not None:
                merged.pred_instances.bbox_scores = boxes[:, 4]
            results.append(merged)
        return results

    def pred2dict(self, result: PoseDataSample) -> list[dict]:
        """One dict per instance (mmpose's layout), in the original image's pixels."""
        if "pred_instances" not in result:
            return []
        pred = result.pred_instances
        keypoints = to_plain(pred.keypoints)
        scores = to_plain(pred.keypoint_scores)
        bboxes = to_plain(pred.bboxes) if "bboxes" in pred else [None] * len(keypoints)
        bbox_scores = (
            to_plain(pred.bbox_scores) if "bbox_scores" in pred else [1.0] * len(keypoints)
        )
        return [
            dict(keypoints=k, keypoint_scores=s, bbox=[b] if b is not None else [], bbox_score=bs)
            for k, s, b, bs in zip(keypoints, scores, bboxes, bbox_scores, strict=True)
        ]


#: mmpose's name of the same class.
MMPoseInferencer = PoseInferencer
INFERENCERS.register_module(name="MMPoseInferencer", module=PoseInferencer)
