"""ByteTrack's tracker (Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every
Detection Box", ECCV 2022): high-score detections are matched first, then the remaining tracks
are matched with low-score detections, which recovers occluded objects.

Shapes: T live tracks, N detections of the frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from mmengine.structures import InstanceData

from visionbox.tracking.registry import MODELS

from ..task_modules.assignment import linear_assignment, sparse_linear_assignment, unmatched
from ..task_modules.boxes import bbox_cxcyah_to_xyxy, bbox_overlap_pairs, bbox_overlaps
from .base_tracker import BaseTracker

__all__ = ["ByteTracker", "iou_cost", "iou_cost_pairs", "iou_pairs", "match_by_iou"]


def iou_cost(
    track_bboxes: np.ndarray,
    track_labels: np.ndarray,
    det_bboxes: np.ndarray,
    det_labels: np.ndarray,
    det_scores: np.ndarray | None = None,
) -> np.ndarray:
    """(T, N) cost ``1 - IoU`` (IoU times the detection score when ``det_scores`` is given);
    pairs of different labels are infeasible (inf)."""
    ious = bbox_overlaps(track_bboxes, det_bboxes)
    if det_scores is not None:
        ious = ious * det_scores[None, :]
    return np.where(track_labels[:, None] == det_labels[None, :], 1.0 - ious, np.inf)


def iou_pairs(
    track_bboxes: np.ndarray,
    track_labels: np.ndarray,
    det_bboxes: np.ndarray,
    det_labels: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The overlapping (track, detection) pairs of equal labels: ``(rows, cols, ious)``, each
    (P,), IoU > 0."""
    rows, cols, ious = bbox_overlap_pairs(track_bboxes, det_bboxes)
    same = track_labels[rows] == det_labels[cols]
    if np.count_nonzero(same) == len(same):  # one class (the common case)
        return rows, cols, ious
    return rows[same], cols[same], ious[same]


def iou_cost_pairs(
    track_bboxes: np.ndarray,
    track_labels: np.ndarray,
    det_bboxes: np.ndarray,
    det_labels: np.ndarray,
    det_scores: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The finite entries of :func:`iou_cost` with IoU > 0: ``(rows, cols, costs)``, each (P,).

    Pairs that do not overlap cost 1 (or are infeasible); a match threshold above IoU 0 never
    takes them, so the trackers measure only the overlapping pairs.
    """
    rows, cols, ious = iou_pairs(track_bboxes, track_labels, det_bboxes, det_labels)
    if det_scores is not None:
        ious = ious * det_scores[cols]
    return rows, cols, 1.0 - ious


def match_by_iou(
    track_bboxes: np.ndarray,
    track_labels: np.ndarray,
    det_bboxes: np.ndarray,
    det_labels: np.ndarray,
    det_scores: np.ndarray | None,
    iou_thr: float,
) -> np.ndarray:
    """(N,) index of the track matched to each detection, or -1: the optimal assignment of
    ``iou_cost`` with cost limit ``1 - iou_thr``, on the overlapping pairs only when
    ``iou_thr > 0`` (then no other pair can be matched)."""
    shape = (len(track_bboxes), len(det_bboxes))
    if iou_thr > 0:
        pairs = iou_cost_pairs(track_bboxes, track_labels, det_bboxes, det_labels, det_scores)
        return sparse_linear_assignment(*pairs, shape, 1.0 - iou_thr)[1]
    cost = iou_cost(track_bboxes, track_labels, det_bboxes, det_labels, det_scores)
    return linear_assignment(cost, 1.0 - iou_thr)[1]


@MODELS.register_module()
class ByteTracker(BaseTracker):
    """Tracker of ByteTrack.

    Args:
        motion: The motion model, ``dict(type='KalmanFilter')``.
        obj_score_thrs: ``high``: detections of the first association; ``low``: the lowest score
            of the second association.
        init_track_thr: Unmatched high-score detections above it start new tracks.
        weight_iou_with_det_scores: Multiply IoUs by the detection scores in the first
            association (and the tentative one).
        match_iou_thrs: Lowest IoU of a match: ``high`` (first association), ``low`` (second),
            ``tentative`` (unconfirmed tracks).
        num_tentatives: Matched frames needed to confirm a track.
        momentums: See :class:`BaseTracker`.
        num_frames_retain: See :class:`BaseTracker`.
    """

    def __init__(
        self,
        motion: dict | None = None,
        obj_score_thrs: dict | None = None,
        init_track_thr: float = 0.7,
        weight_iou_with_det_scores: bool = True,
        match_iou_thrs: dict | None = None,
        num_tentatives: int = 3,
        momentums: dict | None = None,
        num_frames_retain: int = 10,
    ) -> None:
        super().__init__(momentums=momentums, num_frames_retain=num_frames_retain)
        self._build_motion(dict(type="KalmanFilter") if motion is None else motion)
        self.obj_score_thrs = _thresholds(obj_score_thrs, dict(high=0.6, low=0.1), "obj_score_thrs")
        self.match_iou_thrs = _thresholds(
            match_iou_thrs, dict(high=0.1, low=0.5, tentative=0.3), "match_iou_thrs"
        )
        self.init_track_thr = float(init_track_thr)
        self.weight_iou_with_det_scores = bool(weight_iou_with_det_scores)
        self.num_tentatives = int(num_tentatives)

    @property
    def confirmed_ids(self) -> list[int]:
        """Ids of the confirmed tracks."""
        return self._ids[~self._state.get("tentative", np.zeros(0, bool))].tolist()

    @property
    def unconfirmed_ids(self) -> list[int]:
        """Ids of the tentative tracks."""
        return self._ids[self._state.get("tentative", np.zeros(0, bool))].tolist()

    def _match(
        self,
        pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
        track_rows: np.ndarray,
        det_mask: np.ndarray,
        det_data: tuple[np.ndarray, np.ndarray, np.ndarray],
        weight: bool,
        iou_thr: float,
    ) -> np.ndarray:
        """(N,) memory row matched to each detection of ``det_mask``, or -1.

        Args:
            pairs: The frame's overlapping (track row, detection, IoU) triples of equal labels
                (see :meth:`track`), or ``None`` to measure this association on its own.
            track_rows: (R,) memory rows that take part, ascending.
            det_mask: (N,) detections that take part.
            det_data: The frame's ``(bboxes, labels, scores)``.
            weight: Multiply IoUs by the detection scores.
            iou_thr: Lowest IoU of a match.
        """
        bboxes, labels, scores = det_data
        matched = unmatched(len(bboxes))
        if len(track_rows) == 0 or not det_mask.any():
            return matched
        if pairs is None:  # iou_thr <= 0: pairs without overlap may match too
            dets = np.nonzero(det_mask)[0]
            det_to_track = match_by_iou(
                bbox_cxcyah_to_xyxy(self._state["mean"][track_rows, :4]),
                self._items["labels"][track_rows],
                bboxes[dets],
                labels[dets],
                scores[dets] if weight else None,
                iou_thr,
            )
            hit = det_to_track >= 0
            matched[dets[hit]] = track_rows[det_to_track[hit]]
            return matched
        rows, cols, ious = pairs
        track_mask = np.zeros(len(self._ids), bool)
        track_mask[track_rows] = True
        take = track_mask[rows] & det_mask[cols]
        rows, cols, ious = rows[take], cols[take], ious[take]
        if weight:
            ious = ious * scores[cols]
        shape = (len(self._ids), len(bboxes))
        return sparse_linear_assignment(rows, cols, 1.0 - ious, shape, 1.0 - iou_thr)[1]

    def track(
        self,
        data_sample: Any,
        model: Any = None,
        img: Any = None,
        data_preprocessor: Any = None,
        rescale: bool = False,
    ) -> InstanceData:
        """Track one frame (``model``, ``img``, ``data_preprocessor`` and ``rescale`` are unused;
        they keep the call the same for every tracker).

        The overlaps of every (track, detection) pair are measured once per frame, after the
        Kalman prediction; the three associations take their pairs from them.
        """
        frame_id, bboxes, scores, labels, like = self._detections(data_sample)
        if frame_id == 0:
            self.reset()
        ids = unmatched(len(bboxes))
        keep = scores > self.obj_score_thrs["low"]
        if not self.empty:
            tentative = self._state["tentative"]
            lost = self._last_frame != frame_id - 1
            self._state["mean"][lost & ~tentative, 7] = 0.0  # no height velocity after a gap
            self.predict_motion()
            pairs = None
            if min(self.match_iou_thrs.values()) > 0:
                rows, cols, ious = iou_pairs(
                    bbox_cxcyah_to_xyxy(self._state["mean"][:, :4]),
                    self._items["labels"],
                    bboxes[keep],
                    labels[keep],
                )
                pairs = (rows, np.nonzero(keep)[0][cols], ious)
            det_data = (bboxes, labels, scores)
            weight = self.weight_iou_with_det_scores
            high = scores > self.obj_score_thrs["high"]
            low = keep & ~high
            rows_all = np.arange(len(self._ids))
            confirmed = rows_all[~tentative]
            # 1. confirmed tracks x high-score detections
            matched = self._match(
                pairs, confirmed, high, det_data, weight, self.match_iou_thrs["high"]
            )
            # 2. tentative tracks x remaining high-score detections
            rest = high & (matched < 0)
            matched_t = self._match(
                pairs, rows_all[tentative], rest, det_data, weight, self.match_iou_thrs["tentative"]
            )
            # 3. confirmed tracks seen last frame and still unmatched x low-score detections
            taken = np.zeros(len(self._ids), bool)
            taken[matched[matched >= 0]] = True
            second = confirmed[~taken[confirmed] & ~lost[confirmed]]
            matched_l = self._match(pairs, second, low, det_data, False, self.match_iou_thrs["low"])
            rows = np.where(high, np.maximum(matched, matched_t), matched_l)
            ids[rows >= 0] = self._ids[rows[rows >= 0]]
            # unmatched low-score detections are dropped
            keep = high | (ids >= 0)
        # new tracks from the unmatched detections above init_track_thr
        new = keep & (ids < 0) & (scores > self.init_track_thr)
        return self._start_and_record(ids, new, frame_id, bboxes, scores, labels, like)


def _thresholds(value: dict | None, default: dict, name: str) -> dict:
    """Fill a thresholds dict from its defaults; reject unknown keys."""
    if value is None:
        return dict(default)
    unknown = set(value) - set(default)
    if unknown:
        raise KeyError(f"{name} got unknown keys {sorted(unknown)}; allowed: {sorted(default)}")
    return {**default, **{k: float(v) for k, v in value.items()}}
