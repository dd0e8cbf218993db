"""StrongSORT's tracker (Du et al., "StrongSORT: Make DeepSORT Great Again", IEEE TMM 2023):
DeepSORT with an exponential moving average of the embeddings, cosine appearance distance fused
with the Mahalanobis motion distance, the NSA Kalman filter and optional camera-motion
compensation (the model's ``cmc``).

Shapes: T live tracks, N detections of the frame, D embedding channels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from visionbox.tracking.registry import MODELS

from ..task_modules.boxes import bbox_xyxy_to_cxcyah
from .base_tracker import to_numpy
from .sort_tracker import SORTTracker

__all__ = ["StrongSORTTracker", "cosine_distance"]


def cosine_distance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(T, D) and (N, D) embeddings -> (T, N) ``1 - cos``."""
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    y = y / np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)
    return 1.0 - x @ y.T


@MODELS.register_module()
class StrongSORTTracker(SORTTracker):
    """Tracker of StrongSORT.

    Args:
        motion: The motion model, ``dict(type='KalmanFilter', center_only=False,
            use_nsa=True)``.
        obj_score_thr: Detections at or below it are ignored.
        reid: ``num_samples`` (``None``: the moving average of ``momentums['embeds']``),
            ``img_scale``, ``img_norm_cfg``, ``match_score_thr`` (largest fused distance of a
            match) and ``motion_weight`` (weight of the Mahalanobis distance in the fusion).
        match_iou_thr: Lowest IoU of a match in the IoU stage.
        num_tentatives: Matched frames needed to confirm a track.
        momentums: See :class:`BaseTracker`; StrongSORT uses ``dict(embeds=0.1)``.
        num_frames_retain: See :class:`BaseTracker`.
    """

    def __init__(
        self,
        motion: dict | None = None,
        obj_score_thr: float = 0.6,
        reid: dict | None = None,
        match_iou_thr: float = 0.7,
        num_tentatives: int = 2,
        momentums: dict | None = None,
        num_frames_retain: int = 10,
    ) -> None:
        defaults = dict(
            num_samples=None, img_scale=(256, 128), match_score_thr=0.3, motion_weight=0.02
        )
        super().__init__(
            motion=dict(type="KalmanFilter", center_only=False, use_nsa=True)
            if motion is None
            else motion,
            obj_score_thr=obj_score_thr,
            reid={**defaults, **(reid or {})},
            match_iou_thr=match_iou_thr,
            num_tentatives=num_tentatives,
            momentums=momentums,
            num_frames_retain=num_frames_retain,
        )
        self._last_img: np.ndarray | None = None

    def reset(self) -> None:
        super().reset()
        self._last_img = None

    def appearance_cost(
        self, rows: np.ndarray, embeds: np.ndarray, bboxes: np.ndarray, labels: np.ndarray
    ) -> np.ndarray:
        """(T', N) fused cost ``(1 - w) * cosine + w * Mahalanobis``, NaN outside the gate,
        infinite across labels."""
        track_embeds = self.get_array("embeds", rows, self.reid.get("num_samples"), "mean")
        reid = cosine_distance(track_embeds, embeds)
        motion = self.motion.gate(
            self._state["mean"][rows], self.covariances(rows), bbox_xyxy_to_cxcyah(bboxes)
        )
        weight = float(self.reid["motion_weight"])
        cost = (1 - weight) * reid + weight * motion  # NaN where gated out
        same = self._items["labels"][rows][:, None] == labels[None, :]
        return np.where(same, cost, np.inf)

    def _predict(self, img: Any, data_sample: Any, model: Any) -> None:
        cmc = getattr(model, "cmc", None)
        if cmc is not None and img is not None:
            frame = to_numpy(img[0] if isinstance(img, torch.Tensor) else img)
            if self._last_img is not None and self._last_img.shape == frame.shape:
                warp = cmc.get_warp_matrix(frame, self._last_img)
                self._state["mean"] = cmc.warp_means(self._state["mean"], warp)
            self._last_img = frame
        self.predict_motion()
