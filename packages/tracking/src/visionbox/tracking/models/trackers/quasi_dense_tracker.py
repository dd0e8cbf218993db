"""QDTrack's tracker (Pang et al., "Quasi-Dense Similarity Learning for Multiple Object
Tracking", CVPR 2021): detections are matched to the memorised track embeddings by a
bi-directional softmax (or cosine) similarity, greedily in order of detection score, and unmatched
low-score detections are kept for a while as "backdrops" that absorb false positives.

Shapes: T memorised tracks, B backdrops, N detections of the frame, D embedding channels.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
from mmengine.structures import InstanceData

from visionbox.tracking.registry import MODELS

from ..task_modules.assignment import unmatched
from ..task_modules.boxes import bbox_overlaps
from .base_tracker import BaseTracker, to_numpy

__all__ = ["QuasiDenseTracker"]


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


@MODELS.register_module()
class QuasiDenseTracker(BaseTracker):
    """Tracker of QDTrack.

    Args:
        init_score_thr: Unmatched detections above it start new tracks.
        obj_score_thr: Detections below it may not continue a track.
        match_score_thr: Lowest similarity of a match.
        memo_tracklet_frames: Frames a lost track is kept (``num_frames_retain``).
        memo_backdrop_frames: Frames a backdrop is kept.
        memo_momentum: Moving-average momentum of the track embeddings.
        nms_conf_thr: A low-score detection this similar to a track is not a backdrop.
        nms_backdrop_iou_thr: Low-score detections overlapping a higher-score one by more are
            dropped.
        nms_class_iou_thr: Detections overlapping a higher-score one by more are dropped.
        with_cats: Match only detections and tracks of the same label.
        match_metric: ``'bisoftmax'``, ``'softmax'`` or ``'cosine'``.
    """

    def __init__(
        self,
        init_score_thr: float = 0.8,
        obj_score_thr: float = 0.5,
        match_score_thr: float = 0.5,
        memo_tracklet_frames: int = 10,
        memo_backdrop_frames: int = 1,
        memo_momentum: float = 0.8,
        nms_conf_thr: float = 0.5,
        nms_backdrop_iou_thr: float = 0.3,
        nms_class_iou_thr: float = 0.7,
        with_cats: bool = True,
        match_metric: Literal["bisoftmax", "softmax", "cosine"] = "bisoftmax",
    ) -> None:
        if match_metric not in ("bisoftmax", "softmax", "cosine"):
            raise ValueError(
                f"match_metric must be 'bisoftmax', 'softmax' or 'cosine', got {match_metric!r}"
            )
        if not 0 <= memo_momentum <= 1:
            raise ValueError(f"memo_momentum must be in [0, 1], got {memo_momentum}")
        super().__init__(
            momentums=dict(embeds=float(memo_momentum)), num_frames_retain=memo_tracklet_frames
        )
        self.init_score_thr = float(init_score_thr)
        self.obj_score_thr = float(obj_score_thr)
        self.match_score_thr = float(match_score_thr)
        self.memo_tracklet_frames = int(memo_tracklet_frames)
        self.memo_backdrop_frames = int(memo_backdrop_frames)
        self.memo_momentum = float(memo_momentum)
        self.nms_conf_thr = float(nms_conf_thr)
        self.nms_backdrop_iou_thr = float(nms_backdrop_iou_thr)
        self.nms_class_iou_thr = float(nms_class_iou_thr)
        self.with_cats = bool(with_cats)
        self.match_metric = match_metric

    def reset(self) -> None:
        super().reset()
        self.backdrops: list[dict[str, np.ndarray]] = []

    def _keep_after_nms(
        self, bboxes: np.ndarray, scores: np.ndarray, labels: np.ndarray
    ) -> np.ndarray:
        """(N,) mask: drop detections overlapping a higher-scored one (inputs sorted by score)."""
        ious = np.triu(bbox_overlaps(bboxes, bboxes), k=1).T  # ious[i, j] for j < i
        if self.with_cats:
            ious = ious * (labels[:, None] == labels[None, :])
        thr = np.where(
            scores < self.obj_score_thr, self.nms_backdrop_iou_thr, self.nms_class_iou_thr
        )
        return ~(ious > thr[:, None]).any(axis=1)

    def _similarity(self, embeds: np.ndarray, memo_embeds: np.ndarray) -> np.ndarray:
        if self.match_metric == "cosine":
            a = embeds / np.maximum(np.linalg.norm(embeds, axis=1, keepdims=True), 1e-12)
            b = memo_embeds / np.maximum(np.linalg.norm(memo_embeds, axis=1, keepdims=True), 1e-12)
            return a @ b.T
        feats = embeds @ memo_embeds.T
        d2t = _softmax(feats, axis=1)
        if self.match_metric == "softmax":
            return d2t
        return (d2t + _softmax(feats, axis=0)) / 2

    def track(
        self,
        data_sample: Any,
        model: Any = None,
        img: Any = None,
        data_preprocessor: Any = None,
        rescale: bool = False,
        embeds: torch.Tensor | np.ndarray | None = None,
    ) -> InstanceData:
        """Track one frame with the (N, D) ``embeds`` of the detections (from the model's track
        head; ``data_sample.pred_instances.embeds`` when not given)."""
        frame_id, bboxes, scores, labels, like = self._detections(data_sample)
        if frame_id == 0:
            self.reset()
        if embeds is None:
            embeds = data_sample.pred_instances.embeds
        embeds = to_numpy(embeds).astype(np.float32)
        embeds = embeds.reshape(len(bboxes), embeds.shape[-1] if embeds.ndim > 1 else 0)
        order = np.argsort(-scores, kind="stable")
        bboxes, scores, labels, embeds = bboxes[order], scores[order], labels[order], embeds[order]
        valid = self._keep_after_nms(bboxes, scores, labels)
        bboxes, scores, labels, embeds = bboxes[valid], scores[valid], labels[valid], embeds[valid]
        ids = unmatched(len(bboxes))
        backdrop = [b for b in self.backdrops if len(b["embeds"])]
        memo_ids = np.concatenate([self._ids] + [np.full(len(b["embeds"]), -1) for b in backdrop])
        if len(memo_ids) and len(bboxes):
            memo_embeds = np.concatenate(
                [self._items.get("embeds", np.zeros((0, embeds.shape[1])))]
                + [b["embeds"] for b in backdrop]
            )
            memo_labels = np.concatenate(
                [self._items.get("labels", np.zeros(0, np.int64))] + [b["labels"] for b in backdrop]
            )
            sim = self._similarity(embeds, memo_embeds)
            if self.with_cats:
                sim = sim * (labels[:, None] == memo_labels[None, :])
            for i in range(len(bboxes)):  # greedy, by decreasing detection score
                j = int(np.argmax(sim[i]))
                conf = sim[i, j]
                if conf <= self.match_score_thr:
                    continue
                if memo_ids[j] > -1:
                    if scores[i] > self.obj_score_thr:
                        ids[i] = memo_ids[j]
                        sim[:i, j] = 0
                        sim[i + 1 :, j] = 0
                elif conf > self.nms_conf_thr:
                    ids[i] = -2  # matches a backdrop: neither a track nor a new backdrop
        new = (ids == -1) & (scores > self.init_score_thr)
        ids[new] = self.new_ids(int(new.sum()))
        tracked = ids > -1
        self.update(
            ids=ids[tracked],
            bboxes=bboxes[tracked],
            scores=scores[tracked],
            labels=labels[tracked],
            embeds=embeds[tracked],
            frame_ids=frame_id,
        )
        back = ids == -1
        self.backdrops.insert(
            0, dict(embeds=embeds[back], labels=labels[back], bboxes=bboxes[back])
        )
        del self.backdrops[self.memo_backdrop_frames :]
        return self._results(like, bboxes[tracked], scores[tracked], labels[tracked], ids[tracked])
