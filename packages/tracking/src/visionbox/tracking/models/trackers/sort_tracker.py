"""SORT and DeepSORT's tracker (Bewley et al., "Simple Online and Realtime Tracking", ICIP
2016; Wojke et al., "Simple Online and Realtime Tracking with a Deep Association Metric", ICIP
2017): Kalman prediction, optional appearance matching gated by the Mahalanobis distance, then
IoU matching of the Kalman-predicted boxes.

Shapes: T live tracks, N detections of the frame, D embedding channels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from mmengine.structures import InstanceData

from visionbox.tracking.registry import MODELS

from ..task_modules.assignment import linear_assignment, unmatched
from ..task_modules.boxes import bbox_cxcyah_to_xyxy, bbox_xyxy_to_cxcyah
from .base_tracker import BaseTracker, to_numpy
from .byte_tracker import match_by_iou
from .reid_crops import crop_imgs, renormalize

__all__ = ["SORTTracker", "reid_embeddings"]

_REID_KEYS = ("num_samples", "img_scale", "img_norm_cfg", "match_score_thr", "motion_weight")


def reid_embeddings(
    model: Any, img: torch.Tensor, data_sample: Any, bboxes: np.ndarray, reid_cfg: dict
) -> np.ndarray:
    """(N, D) embeddings of the detections ``bboxes`` (N, 4), in original-image pixels, computed
    by ``model.reid`` on crops of the (1, C, H, W) input ``img`` (re-normalised by
    ``reid_cfg['img_norm_cfg']`` when it is set, else as they are)."""
    meta = data_sample.metainfo
    img_shape = meta.get("img_shape", tuple(img.shape[-2:]))
    scale = meta.get("scale_factor")
    crops = crop_imgs(img, img_shape, bboxes, tuple(reid_cfg.get("img_scale", (256, 128))), scale)
    if len(crops) == 0:
        return np.zeros((0, model.reid.head.out_channels), np.float32)
    if reid_cfg.get("img_norm_cfg"):
        crops = renormalize(
            crops, getattr(model, "data_preprocessor", None), reid_cfg["img_norm_cfg"]
        )
    with torch.no_grad():
        embeds = model.reid(crops, mode="tensor")
    return to_numpy(embeds).astype(np.float32)


@MODELS.register_module()
class SORTTracker(BaseTracker):
    """Tracker of SORT (without ``reid``) and DeepSORT (with ``reid``).

    Args:
        motion: The motion model, ``dict(type='KalmanFilter', center_only=False)``.
        obj_score_thr: Detections at or below it are ignored.
        reid: Appearance matching: ``num_samples`` (embeddings averaged per track),
            ``img_scale`` (crop size (h, w)), ``img_norm_cfg`` (``mean``, ``std``, ``to_rgb``
            of the ReID model's input: crops are re-normalised from the data preprocessor's;
            ``None`` feeds them as they are),
            ``match_score_thr`` (largest Euclidean embedding distance of a match). ``None``
            disables appearance matching (SORT).
        match_iou_thr: Lowest IoU of a match in the IoU stage.
        num_tentatives: Matched frames needed to confirm a track.
        momentums: See :class:`BaseTracker`.
        num_frames_retain: See :class:`BaseTracker`.
    """

    def __init__(
        self,
        motion: dict | None = None,
        obj_score_thr: float = 0.3,
        reid: dict | None = None,
        match_iou_thr: float = 0.7,
        num_tentatives: int = 3,
        momentums: dict | None = None,
        num_frames_retain: int = 10,
    ) -> None:
        super().__init__(momentums=momentums, num_frames_retain=num_frames_retain)
        self._build_motion(dict(type="KalmanFilter") if motion is None else motion)
        if reid is not None:
            unknown = set(reid) - set(_REID_KEYS)
            if unknown:
                raise KeyError(f"reid got unknown keys {sorted(unknown)}; allowed: {_REID_KEYS}")
            reid = {"num_samples": 10, "img_scale": (256, 128), "match_score_thr": 2.0, **reid}
            if reid.get("num_samples"):
                self.history_lengths["embeds"] = int(reid["num_samples"])
        self.reid = reid
        self.obj_score_thr = float(obj_score_thr)
        self.match_iou_thr = float(match_iou_thr)
        self.num_tentatives = int(num_tentatives)

    @property
    def confirmed_ids(self) -> list[int]:
        """Ids of the confirmed tracks."""
        return self._ids[~self._state.get("tentative", np.zeros(0, bool))].tolist()

    def appearance_cost(
        self, rows: np.ndarray, embeds: np.ndarray, bboxes: np.ndarray, labels: np.ndarray
    ) -> np.ndarray:
        """(T', N) embedding distances of ``rows`` to the detections, gated by the Kalman
        filter (NaN outside the gate) and infinite across labels."""
        track_embeds = self.get_array("embeds", rows, self.reid.get("num_samples"), "mean")
        diff = track_embeds[:, None, :] - embeds[None, :, :]
        cost = np.sqrt((diff * diff).sum(-1))
        gate = self.motion.gate(
            self._state["mean"][rows], self.covariances(rows), bbox_xyxy_to_cxcyah(bboxes)
        )
        cost[np.isnan(gate)] = np.nan
        same = self._items["labels"][rows][:, None] == labels[None, :]
        return np.where(same, cost, np.inf)

    def _predict(self, img: Any, data_sample: Any, model: Any) -> None:
        self.predict_motion()

    def track(
        self,
        data_sample: Any,
        model: Any = None,
        img: torch.Tensor | None = None,
        data_preprocessor: Any = None,
        rescale: bool = False,
    ) -> InstanceData:
        """Track one frame.

        Args:
            data_sample: Carries ``pred_instances`` (``bboxes`` (N, 4), ``scores``, ``labels``)
                and the metainfo ``frame_id``.
            model: The MOT model; its ``reid`` computes embeddings when ``reid`` is set.
            img: (1, C, H, W) input image, for the ReID crops.
            data_preprocessor: Unused (kept for the common tracker call).
            rescale: Unused: boxes are taken in the original image and scaled back to the
                input by the sample's ``scale_factor``.
        """
        frame_id, bboxes, scores, labels, like = self._detections(data_sample)
        if frame_id == 0:
            self.reset()
        keep = scores > self.obj_score_thr
        bboxes, scores, labels = bboxes[keep], scores[keep], labels[keep]
        embeds = None
        if self.with_reid and model is not None and getattr(model, "reid", None) is not None:
            embeds = reid_embeddings(model, img, data_sample, bboxes, self.reid)
        ids = unmatched(len(bboxes))
        if not self.empty and len(bboxes):
            self._predict(img, data_sample, model)
            tentative = self._state["tentative"]
            taken = np.zeros(len(self._ids), bool)
            if embeds is not None and "embeds" in self._items:
                rows = np.nonzero(~tentative)[0]
                if len(rows):
                    cost = self.appearance_cost(rows, embeds, bboxes, labels)
                    _, det_to_track = linear_assignment(cost, self.reid["match_score_thr"])
                    hit = det_to_track >= 0
                    ids[hit] = self._ids[rows[det_to_track[hit]]]
                    taken[rows[det_to_track[hit]]] = True
            rows = np.nonzero(~taken & (self._last_frame == frame_id - 1))[0]
            dets = np.nonzero(ids < 0)[0]
            if len(rows) and len(dets):
                track_bboxes = bbox_cxcyah_to_xyxy(self._state["mean"][rows, :4])
                det_to_track = match_by_iou(
                    track_bboxes,
                    self._items["labels"][rows],
                    bboxes[dets],
                    labels[dets],
                    None,
                    self.match_iou_thr,
                )
                hit = det_to_track >= 0
                ids[dets[hit]] = self._ids[rows[det_to_track[hit]]]
        elif not self.empty:
            self.predict_motion()
        new = ids < 0
        ids[new] = self.new_ids(int(new.sum()))
        self.update(
            ids=ids, bboxes=bboxes, scores=scores, labels=labels, embeds=embeds, frame_ids=frame_id
        )
        return self._results(like, bboxes, scores, labels, ids)
