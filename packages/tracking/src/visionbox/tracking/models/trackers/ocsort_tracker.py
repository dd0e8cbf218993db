"""OC-SORT's tracker (Cao et al., "Observation-Centric SORT: Rethinking SORT for Robust
Multi-Object Tracking", CVPR 2023): observation-centric momentum (OCM, a direction-consistency
term in the cost), observation-centric recovery (OCR, a second match against the last
observations) and re-update (ORU, the Kalman state re-run along a virtual trajectory when a lost
track is found again).

Shapes: T live tracks, N detections of the frame, K = ``vel_delta_t`` + 1 kept observations,
P candidate (track, detection) pairs.

The costs are computed for the candidate pairs only: those that overlap, when the thresholds
make every other pair infeasible (``match_iou_thr`` above half ``vel_consist_weight``, the most
the direction term can take off), every pair otherwise.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

import numpy as np
from mmengine.structures import InstanceData

from visionbox.tracking.registry import MODELS

from ..task_modules.assignment import sparse_linear_assignment, unmatched
from ..task_modules.boxes import bbox_cxcyah_to_xyxy, bbox_xyxy_to_cxcyah
from .base_tracker import BaseTracker
from .byte_tracker import iou_cost, iou_cost_pairs

__all__ = ["OCSORTTracker"]


#: x1y1x2y2 @ _TO_CENTRE_YX = (y, x) centres: products by 0 and 0.5 are exact, so this is
#: ``(y1 + y2) / 2, (x1 + x2) / 2`` to the bit, in one NumPy call.
_TO_CENTRE_YX = np.array([[0, 0.5], [0.5, 0], [0, 0.5], [0.5, 0]])


def _centres_yx(bboxes: np.ndarray) -> np.ndarray:
    """(N, 4) x1y1x2y2 boxes -> (N, 2) centres as (y, x), the order of OC-SORT's
    directions."""
    return bboxes @ _TO_CENTRE_YX


def _length(dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """(N,) lengths of the vectors (dy, dx), plus 1e-6 (so that a zero vector divides to 0)."""
    norm = dy * dy
    norm += dx * dx
    norm = np.sqrt(norm, out=norm)
    norm += 1e-6
    return norm


def _unit(delta: np.ndarray) -> np.ndarray:
    """(N, 2) vectors scaled to length 1 (a zero vector stays 0)."""
    return delta / _length(delta[:, 0], delta[:, 1])[:, None]


@MODELS.register_module()
class OCSORTTracker(BaseTracker):
    """Tracker of OC-SORT.

    Args:
        motion: The motion model, ``dict(type='KalmanFilter')``.
        obj_score_thr: Detections at or below it are ignored.
        init_track_thr: Unmatched detections above it start new tracks.
        weight_iou_with_det_scores: Multiply IoUs by the detection scores.
        match_iou_thr: Lowest IoU of a match.
        num_tentatives: Matched frames needed to confirm a track.
        vel_consist_weight: Weight of the direction-consistency (OCM) cost.
        vel_delta_t: Frames between the observations that estimate a track's direction.
        momentums: See :class:`BaseTracker`.
        num_frames_retain: See :class:`BaseTracker`.
    """

    def __init__(
        self,
        motion: dict | None = None,
        obj_score_thr: float = 0.3,
        init_track_thr: float = 0.7,
        weight_iou_with_det_scores: bool = True,
        match_iou_thr: float = 0.3,
        num_tentatives: int = 3,
        vel_consist_weight: float = 0.2,
        vel_delta_t: int = 3,
        momentums: dict | None = None,
        num_frames_retain: int = 10,
    ) -> None:
        super().__init__(momentums=momentums, num_frames_retain=num_frames_retain)
        self._build_motion(dict(type="KalmanFilter") if motion is None else motion)
        self.obj_score_thr = float(obj_score_thr)
        self.init_track_thr = float(init_track_thr)
        self.weight_iou_with_det_scores = bool(weight_iou_with_det_scores)
        self.match_iou_thr = float(match_iou_thr)
        self.num_tentatives = int(num_tentatives)
        self.vel_consist_weight = float(vel_consist_weight)
        self.vel_delta_t = int(vel_delta_t)
        #: What ``track`` measured of the frame before ``update`` changes the memory: each
        #: track's gap (frames since it was last seen) and past observation (and its centre).
        self._frame: dict[str, np.ndarray] | None = None

    # State: observations of the last K frames, direction, state saved for ORU ----------------

    def init_state(self, values: dict[str, np.ndarray], frame_id: int) -> dict[str, np.ndarray]:
        state = super().init_state(values, frame_id)
        count = len(values["bboxes"])
        obs = np.full((count, self.vel_delta_t + 1, 4), np.nan)
        obs[:, 0] = values["bboxes"]
        state.update(
            obs=obs,
            last_obs=values["bboxes"].astype(np.float64),
            velocity=np.zeros((count, 2)),  # (dy, dx); 0 until a second observation
            # ORU's start: the state predicted one frame past the last observation (``track``
            # saves it on the frame after each observation)
            saved_mean=state["mean"].copy(),
            **{"saved_" + self.cov_key: state[self.cov_key].copy()},
        )
        return state

    def _past_observations(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(T', 4) observation of each track ``vel_delta_t`` frames ago, or its last one when
        it was not observed then (the start of its direction)."""
        st = self._state
        past = st["obs"][rows, -1]
        return np.where(np.isnan(past[:, :1]), st["last_obs"][rows], past)

    def update_state(self, rows: np.ndarray, values: dict[str, np.ndarray], frame_id: int) -> None:
        st, frame = self._state, self._frame
        new = np.asarray(values["bboxes"], np.float64)
        if frame is not None:  # ORU: for tracks found again after a gap
            gap = frame["gap"][rows]
            found = (gap > 1).nonzero()[0]
            if len(found):
                self._re_update(rows[found], new[found], gap[found])
            past = frame["past"][rows]
        else:
            past = self._past_observations(rows)
        st["velocity"][rows] = _unit(_centres_yx(new - past))  # centre to centre
        st["obs"][rows, 0] = new
        st["last_obs"][rows] = new
        super().update_state(rows, values, frame_id)

    def _re_update(self, rows: np.ndarray, new: np.ndarray, gaps: np.ndarray) -> None:
        """ORU: from the state saved one frame past each track's last observation, update with
        the straight line to its new observation (``new`` (R, 4)) and predict, for each of the
        ``gaps - 1`` missed frames, all tracks at once. The tracks are taken by decreasing gap,
        so that step k runs on a leading slice of them (those with a gap above k)."""
        st, key = self._state, self.cov_key
        gap_list = gaps.tolist()  # a few small ints: counted in Python
        longest = max(gap_list)
        if min(gap_list) == longest:  # one gap for all (the common case): every step takes all
            active = [len(gap_list)] * (longest - 1)
        else:
            order = (-gaps).argsort(kind="stable")
            rows, new, gaps = rows[order], new[order], gaps[order]
            # tracks in step k (those with a gap above k): a leading slice
            ascending = sorted(gap_list)
            active = [len(ascending) - bisect_right(ascending, k) for k in range(1, longest)]
        steps = np.arange(1, longest)[:, None]  # (G - 1, 1)
        mean, cov = st["saved_mean"][rows], st["saved_" + key][rows]
        last = st["last_obs"][rows]
        # (G - 1, R, 4): the virtual observation of every step and track
        virtual = bbox_xyxy_to_cxcyah(last + (steps / gaps)[..., None] * (new - last))
        for k, count in enumerate(active):
            m, c = self.motion_update(mean[:count], cov[:count], virtual[k, :count])
            if count == len(mean):  # every track (always so in the first step)
                mean, cov = self.motion_predict(m, c)
            else:
                mean[:count], cov[:count] = self.motion_predict(m, c)
        st["mean"][rows], st[key][rows] = mean, cov

    # Association -----------------------------------------------------------------------------

    def _pairs(
        self,
        track_bboxes: np.ndarray,
        rows: np.ndarray,
        bboxes: np.ndarray,
        labels,
        scores,
        min_iou: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(P,) local track and detection indices and IoU costs of the candidate pairs: the
        overlapping ones when a match needs an IoU above ``min_iou`` >= 0, else all."""
        args = (
            track_bboxes,
            self._items["labels"][rows],
            bboxes,
            labels,
            scores if self.weight_iou_with_det_scores else None,
        )
        if self.match_iou_thr > min_iou:
            return iou_cost_pairs(*args)
        dense = iou_cost(*args)
        r, c = np.nonzero(np.isfinite(dense))
        return r, c, dense[r, c]

    def _ocm_cost(
        self, rows: np.ndarray, bboxes: np.ndarray, labels: np.ndarray, scores: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """IoU cost plus the direction-consistency term, on the candidate pairs: the angle
        between a track's direction and the direction from its past observation to the
        detection, from -0.5 (same way) to 0.5 (opposite); 0 for tracks without a direction."""
        st = self._state
        track_bboxes = bbox_cxcyah_to_xyxy(st["mean"][rows, :4])
        r, c, cost = self._pairs(
            track_bboxes, rows, bboxes, labels, scores, self.vel_consist_weight / 2
        )
        pair_rows = rows[r]
        dy, dx = (_centres_yx(bboxes)[c] - self._frame["past_centres"][pair_rows]).T  # (P,)
        vy, vx = st["velocity"][pair_rows].T  # unit vectors
        cos = dy * vy
        cos += dx * vx
        cos /= _length(dy, dx)
        # the angle is (arccos(cos) - pi / 2) / pi, that is -arcsin(cos) / pi
        sin = np.arcsin(np.minimum(np.maximum(cos, -1.0), 1.0))
        return r, c, cost - (self.vel_consist_weight / np.pi) * sin

    def _assign(
        self, rows: np.ndarray, cost_fn: Any, dets: np.ndarray, *arrays: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The matches of memory ``rows`` with detections ``dets`` (both non-empty):
        (M,) detection indices and (M,) memory rows."""
        pairs = cost_fn(rows, *[a[dets] for a in arrays])
        _, det_to_track = sparse_linear_assignment(
            *pairs, (len(rows), len(dets)), 1.0 - self.match_iou_thr
        )
        hit = (det_to_track >= 0).nonzero()[0]
        return dets[hit], rows[det_to_track[hit]]

    def _ocr_cost(
        self, rows: np.ndarray, bboxes: np.ndarray, labels: np.ndarray, scores: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """IoU cost between the tracks' last observations and the detections."""
        return self._pairs(self._state["last_obs"][rows], rows, bboxes, labels, scores, 0.0)

    def track(
        self,
        data_sample: Any,
        model: Any = None,
        img: Any = None,
        data_preprocessor: Any = None,
        rescale: bool = False,
    ) -> InstanceData:
        """Track one frame (``model``, ``img``, ``data_preprocessor``, ``rescale`` are unused)."""
        frame_id, bboxes, scores, labels, like = self._detections(data_sample)
        if frame_id == 0:
            self.reset()
        keep = scores > self.obj_score_thr
        ids = unmatched(len(bboxes))
        if not self.empty:
            st = self._state
            tentative = st["tentative"]
            tracked = self._last_frame == frame_id - 1
            st["mean"][:, 7] *= tracked | tentative  # lost tracks: no height velocity
            self.predict_motion()
            # save the state of the tracks observed last frame (where ORU starts)
            np.copyto(st["saved_mean"], st["mean"], where=tracked[:, None])
            key = self.cov_key
            np.copyto(st["saved_" + key], st[key], where=tracked[:, None, None])
            st["obs"][:, 1:] = st["obs"][:, :-1]  # one frame older
            st["obs"][:, 0] = np.nan
            past = self._past_observations()
            self._frame = dict(
                gap=frame_id - self._last_frame, past=past, past_centres=_centres_yx(past)
            )
            free = keep.nonzero()[0]  # detections not matched yet
            arrays = (bboxes, labels, scores)
            taken = np.zeros(len(self._ids), bool)
            for rows in ((~tentative).nonzero()[0], tentative.nonzero()[0]):
                if len(rows) and len(free):
                    dets, matched = self._assign(rows, self._ocm_cost, free, *arrays)
                    ids[dets], taken[matched] = self._ids[matched], True
                    free = free[ids[free] < 0]
            rows = (~taken).nonzero()[0]
            if len(rows) and len(free):
                dets, matched = self._assign(rows, self._ocr_cost, free, *arrays)
                ids[dets] = self._ids[matched]
        new = keep & (ids < 0) & (scores > self.init_track_thr)
        try:
            return self._start_and_record(ids, new, frame_id, bboxes, scores, labels, like)
        finally:
            self._frame = None
