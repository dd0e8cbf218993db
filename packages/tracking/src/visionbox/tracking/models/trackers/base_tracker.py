"""``BaseTracker``: the track memory shared by every multi-object tracker.

The memory is a structure of arrays, one row per live track, kept sorted by track id so that
looking up the rows of a set of ids is one ``searchsorted``:

* ``ids`` (T,), last seen frame (T,), number of matched frames (T,);
* one array per memorised item (``bboxes`` (T, 4), ``scores`` (T,), ``labels`` (T,),
  ``embeds`` (T, D), ...): the latest value, or an exponential moving average for items named in
  ``momentums``; items listed in ``history_lengths`` also keep their last values (T, H, ...);
* per-track state of the subclass (Kalman ``mean`` (T, 8), ``tentative`` (T,), ...). The
  Kalman covariance is ``covariance_blocks`` (T, 4, 4) with :class:`KalmanFilter`, which works
  on the four 2 x 2 blocks its covariances are made of (:meth:`KalmanFilter.to_blocks`), and
  ``covariance`` (T, 8, 8) with a motion model that works on whole matrices;
  :meth:`BaseTracker.covariances` gives (T, 8, 8) matrices either way.

All of it is NumPy, so that one frame's update costs a few vectorised operations whatever the
number of tracks. Trackers that use a motion model (``motion=dict(type='KalmanFilter')``) get the
Kalman state initiated and corrected here.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

import numpy as np
import torch
from mmengine.structures import InstanceData

from visionbox.tracking.registry import TASK_UTILS

from ..task_modules.boxes import bbox_xyxy_to_cxcyah

__all__ = ["BaseTracker", "to_numpy"]

_NUMPY_DTYPES = {
    torch.float16: np.float16,
    torch.float32: np.float32,
    torch.float64: np.float64,
    torch.long: np.int64,
}


def to_numpy(value: Any) -> np.ndarray:
    """Tensor / sequence -> NumPy array (on the CPU)."""
    if isinstance(value, torch.Tensor):
        if value.dtype == torch.bfloat16:  # (AMP detections) NumPy has no bfloat16
            value = value.float()
        return value.numpy(force=True)  # detached, on the CPU
    return np.asarray(value)


class BaseTracker(metaclass=ABCMeta):
    """Base of the multi-object trackers.

    Args:
        momentums: Item name -> momentum ``m`` of an exponential moving average
            (``new = (1 - m) * old + m * value``), e.g. ``dict(embeds=0.5)``.
        num_frames_retain: A track not matched for this many frames is dropped.
    """

    def __init__(self, momentums: dict | None = None, num_frames_retain: int = 10) -> None:
        if momentums is not None:
            if not isinstance(momentums, dict):
                raise TypeError(f"momentums must be a dict of item -> float, got {momentums!r}")
            for key, value in momentums.items():
                if not 0.0 <= float(value) <= 1.0:
                    raise ValueError(f"momentum of {key!r} must be in [0, 1], got {value}")
        if int(num_frames_retain) < 1:
            raise ValueError(f"num_frames_retain must be >= 1, got {num_frames_retain}")
        self.momentums = None if momentums is None else dict(momentums)
        self.num_frames_retain = int(num_frames_retain)
        #: item -> number of past values kept (for ``get(..., num_samples=...)``).
        self.history_lengths: dict[str, int] = {}
        self.motion: Any = None
        #: Whether the motion model keeps covariances as blocks (see the module docstring).
        self.block_motion = False
        self.num_tentatives = 0
        self.reset()

    def _build_motion(self, motion: dict | Any | None) -> None:
        if isinstance(motion, dict):
            motion = TASK_UTILS.build(motion)
        self.motion = motion
        self.block_motion = all(
            hasattr(motion, name) for name in ("initiate_blocks", "predict_blocks", "update_blocks")
        )

    @property
    def cov_key(self) -> str:
        """Name of the Kalman covariance in the track state."""
        return "covariance_blocks" if self.block_motion else "covariance"

    # Memory ----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every track and restart the id counter."""
        self.num_tracks = 0
        self._ids = np.zeros(0, np.int64)
        self._last_frame = np.zeros(0, np.int64)
        self._num_hits = np.zeros(0, np.int64)
        self._items: dict[str, np.ndarray] = {}
        self._history: dict[str, np.ndarray] = {}
        self._state: dict[str, np.ndarray] = {}

    @property
    def empty(self) -> bool:
        """Whether no track is alive."""
        return len(self._ids) == 0

    @property
    def ids(self) -> list[int]:
        """Ids of the live tracks, ascending."""
        return self._ids.tolist()

    @property
    def with_reid(self) -> bool:
        """Whether the tracker uses appearance embeddings."""
        return getattr(self, "reid", None) is not None

    def new_ids(self, count: int) -> np.ndarray:
        """Reserve ``count`` fresh ids: (count,) int64."""
        ids = np.arange(self.num_tracks, self.num_tracks + int(count), dtype=np.int64)
        self.num_tracks += int(count)
        return ids

    def rows(self, ids: Any) -> np.ndarray:
        """Rows of the memory holding ``ids`` (all must be alive)."""
        ids = to_numpy(ids).astype(np.int64).reshape(-1)
        rows = np.searchsorted(self._ids, ids)
        if len(ids) and (rows.max() >= len(self._ids) or (self._ids[rows] != ids).any()):
            missing = sorted(set(ids.tolist()) - set(self._ids.tolist()))
            raise KeyError(f"No live track with id(s) {missing}")
        return rows

    def _arrays(self) -> list[tuple[dict, str]]:
        return [(d, k) for d in (self._items, self._history, self._state) for k in d]

    def _take(self, rows: np.ndarray) -> None:
        self._ids = self._ids[rows]
        self._last_frame = self._last_frame[rows]
        self._num_hits = self._num_hits[rows]
        for store, key in self._arrays():
            store[key] = store[key][rows]

    def update(self, ids: Any, frame_ids: int, **items: Any) -> None:
        """Write one frame's matched detections into the memory.

        Args:
            ids: (N,) track id of each detection; unknown ids start new tracks.
            frame_ids: The current frame index.
            **items: (N, ...) arrays or tensors to memorise (``bboxes``, ``scores``,
                ``labels``, ``embeds``...); ``None`` values are skipped.
        """
        frame_id = int(frame_ids)
        ids = to_numpy(ids).astype(np.int64).reshape(-1)
        values = {k: to_numpy(v) for k, v in items.items() if v is not None}
        for key, value in values.items():
            if len(value) != len(ids):
                raise ValueError(
                    f"update: {key} has {len(value)} rows but there are {len(ids)} ids"
                )
        num_live = len(self._ids)
        rows = np.searchsorted(self._ids, ids)
        exists = np.zeros(len(ids), bool)
        if num_live:
            exists = (rows < num_live) & (self._ids[np.minimum(rows, num_live - 1)] == ids)
        self._write(ids, rows, exists, values, frame_id)

    def _write(
        self,
        ids: np.ndarray,
        rows: np.ndarray,
        exists: np.ndarray,
        values: dict[str, np.ndarray],
        frame_id: int,
    ) -> None:
        """:meth:`update` of (N,) int64 ``ids`` whose memory ``rows`` are known where the (N,)
        mask ``exists`` is set, with NumPy ``values`` of N rows each."""
        every = np.count_nonzero(exists) == len(exists)
        upd = rows if every else rows[exists]
        if len(upd):
            momentums = self.momentums or {}
            matched = values if every else {k: v[exists] for k, v in values.items()}
            for key, value in matched.items():
                new = value.astype(self._items[key].dtype, copy=False)
                if key in momentums:
                    m = momentums[key]
                    self._items[key][upd] = (1 - m) * self._items[key][upd] + m * new
                else:
                    self._items[key][upd] = new
                if key in self._history:
                    hist = self._history[key]
                    hist[upd, 1:] = hist[upd, :-1]
                    hist[upd, 0] = new
            self._last_frame[upd] = frame_id
            self._num_hits[upd] += 1
            self.update_state(upd, matched, frame_id)
        if not every:
            self._append(ids[~exists], {k: v[~exists] for k, v in values.items()}, frame_id)
        self.pop_invalid_tracks(frame_id)

    def _append(self, ids: np.ndarray, values: dict[str, np.ndarray], frame_id: int) -> None:
        count = len(ids)
        self._ids = np.concatenate([self._ids, ids])
        self._last_frame = np.concatenate([self._last_frame, np.full(count, frame_id, np.int64)])
        self._num_hits = np.concatenate([self._num_hits, np.ones(count, np.int64)])
        for key, value in values.items():
            old = self._items.get(key)
            if old is None:
                old = np.zeros((len(self._ids) - count,) + value.shape[1:], value.dtype)
            self._items[key] = np.concatenate([old, value.astype(old.dtype, copy=False)])
            length = self.history_lengths.get(key)
            if length:
                hist = self._history.get(key)
                if hist is None:
                    hist = np.zeros((len(self._ids) - count, length) + value.shape[1:], old.dtype)
                fresh = np.zeros((count, length) + value.shape[1:], hist.dtype)
                fresh[:, 0] = value
                self._history[key] = np.concatenate([hist, fresh])
        for key, value in self.init_state(values, frame_id).items():
            old = self._state.get(key)
            if old is None:
                old = np.zeros((len(self._ids) - count,) + value.shape[1:], value.dtype)
            self._state[key] = np.concatenate([old, value.astype(old.dtype, copy=False)])
        if count and len(self._ids) > count and ids.min() <= self._ids[:-count].max():
            self._take(np.argsort(self._ids, kind="stable"))

    def invalid_tracks(self, frame_id: int) -> np.ndarray:
        """(T,) mask of the tracks to drop after ``frame_id``: lost for ``num_frames_retain``
        frames, or tentative and not matched in this frame."""
        invalid = frame_id - self._last_frame >= self.num_frames_retain
        tentative = self._state.get("tentative")
        if tentative is not None and np.count_nonzero(tentative):
            invalid |= tentative & (self._last_frame != frame_id)
        return invalid

    def pop_invalid_tracks(self, frame_id: int) -> None:
        """Drop the tracks of :meth:`invalid_tracks`."""
        invalid = self.invalid_tracks(frame_id)
        if np.count_nonzero(invalid):
            self._take(np.nonzero(~invalid)[0])

    # Per-track state of the motion model -----------------------------------------------------

    def init_state(self, values: dict[str, np.ndarray], frame_id: int) -> dict[str, np.ndarray]:
        """State of new tracks from their first detections; the Kalman state when ``motion``
        is set. New tracks are tentative unless started on frame 0 or ``num_tentatives <= 1``."""
        if self.motion is None or "bboxes" not in values:
            return {}
        z = bbox_xyxy_to_cxcyah(values["bboxes"])
        initiate = self.motion.initiate_blocks if self.block_motion else self.motion.initiate
        mean, cov = initiate(z)
        tentative = np.full(len(mean), frame_id != 0 and self.num_tentatives > 1)
        return {"mean": mean, self.cov_key: cov, "tentative": tentative}

    def motion_predict(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The motion model's prediction of (T, 8) means and covariances in the state's form."""
        if self.block_motion:
            return self.motion.predict_blocks(mean, cov)
        return self.motion.predict(mean, cov)

    def motion_update(
        self,
        mean: np.ndarray,
        cov: np.ndarray,
        measurement: np.ndarray,
        score: float | np.ndarray = 0.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The motion model's correction of (T, 8) means and covariances in the state's form
        by (T, 4) cxcyah measurements."""
        if self.block_motion:
            return self.motion.update_blocks(mean, cov, measurement, score)
        return self.motion.update(mean, cov, measurement, score)

    def covariances(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(T', 8, 8) Kalman covariances of ``rows`` (all tracks by default)."""
        cov = self._state[self.cov_key][rows]
        return self.motion.from_blocks(cov) if self.block_motion else cov

    def update_state(self, rows: np.ndarray, values: dict[str, np.ndarray], frame_id: int) -> None:
        """Correct the Kalman state of matched tracks and confirm tentative ones."""
        if self.motion is None or "mean" not in self._state:
            return
        st, key = self._state, self.cov_key
        score = values.get("scores", 0.0)
        st["mean"][rows], st[key][rows] = self.motion_update(
            st["mean"][rows], st[key][rows], bbox_xyxy_to_cxcyah(values["bboxes"]), score
        )
        if np.count_nonzero(st["tentative"]):
            st["tentative"][rows] &= self._num_hits[rows] < self.num_tentatives

    def predict_motion(self, rows: np.ndarray | None = None) -> None:
        """Advance the Kalman state of ``rows`` (all tracks by default) by one frame."""
        if self.motion is None or "mean" not in self._state or self.empty:
            return
        st, key = self._state, self.cov_key
        if rows is None:
            st["mean"], st[key] = self.motion_predict(st["mean"], st[key])
            return
        st["mean"][rows], st[key][rows] = self.motion_predict(st["mean"][rows], st[key][rows])

    # Reading the memory ----------------------------------------------------------------------

    def get_array(
        self,
        item: str,
        rows: np.ndarray | None = None,
        num_samples: int | None = None,
        behavior: str | None = None,
    ) -> np.ndarray:
        """NumPy version of :meth:`get` that takes memory rows."""
        rows = np.arange(len(self._ids)) if rows is None else rows
        if item in self._state:
            return self._state[item][rows]
        if num_samples is None or item not in self._history:
            return self._items[item][rows]
        hist = self._history[item][rows, :num_samples]
        if behavior is None:
            return hist
        if behavior != "mean":
            raise ValueError(f"behavior must be None or 'mean', got {behavior!r}")
        count = np.minimum(self._num_hits[rows], hist.shape[1])
        valid = (np.arange(hist.shape[1])[None] < count[:, None]).astype(hist.dtype)
        valid = valid.reshape(valid.shape + (1,) * (hist.ndim - 2))
        return (hist * valid).sum(1) / np.maximum(valid.sum(1), 1)

    def get(
        self,
        item: str,
        ids: list[int] | None = None,
        num_samples: int | None = None,
        behavior: str | None = None,
    ) -> torch.Tensor:
        """The memorised ``item`` of ``ids`` (all live tracks by default).

        Args:
            item: Item name (``bboxes``, ``embeds``, ...).
            ids: Track ids.
            num_samples: With a kept history, the last ``num_samples`` values.
            behavior: ``'mean'`` averages those values; ``None`` returns (T, S, ...).
        """
        rows = None if ids is None else self.rows(ids)
        return torch.from_numpy(
            np.ascontiguousarray(self.get_array(item, rows, num_samples, behavior))
        )

    @property
    def memo(self) -> dict[str, torch.Tensor]:
        """The latest value of every item of every live track, plus ``ids`` and ``frame_ids``."""
        out = {k: torch.from_numpy(v.copy()) for k, v in self._items.items()}
        out["ids"] = torch.from_numpy(self._ids.copy())
        out["frame_ids"] = torch.from_numpy(self._last_frame.copy())
        return out

    @property
    def tracks(self) -> dict[int, dict[str, Any]]:
        """A read-only view: track id -> dict of its items and state (for inspection)."""
        view = {}
        for row, tid in enumerate(self._ids.tolist()):
            entry: dict[str, Any] = {k: v[row] for k, v in self._items.items()}
            entry.update({k: v[row] for k, v in self._state.items()})
            entry["frame_ids"] = int(self._last_frame[row])
            entry["num_hits"] = int(self._num_hits[row])
            view[tid] = entry
        return view

    # Tracking --------------------------------------------------------------------------------

    @staticmethod
    def _detections(data_sample: Any) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, Any]:
        """(frame_id, bboxes (N, 4), scores (N,), labels (N,), torch reference) of a sample."""
        pred = data_sample.pred_instances
        frame_id = int(getattr(data_sample, "frame_id", -1))  # a metainfo field
        return (
            frame_id,
            to_numpy(pred.bboxes).astype(np.float64).reshape(-1, 4),
            to_numpy(pred.scores).astype(np.float64).reshape(-1),
            to_numpy(pred.labels).astype(np.int64).reshape(-1),
            pred.bboxes,
        )

    def _start_and_record(
        self,
        ids: np.ndarray,
        new: np.ndarray,
        frame_id: int,
        bboxes: np.ndarray,
        scores: np.ndarray,
        labels: np.ndarray,
        like: Any,
    ) -> InstanceData:
        """Give the detections in the (N,) mask ``new`` fresh ids, write every detection that
        has an id into the memory and return those as the frame's results."""
        ids[new] = self.new_ids(np.count_nonzero(new))
        out = ids >= 0
        ids, new = ids[out], new[out]
        values = dict(bboxes=bboxes[out], scores=scores[out], labels=labels[out])
        # the ids not new are those of live tracks; the new ones are above them all
        self._write(ids, self._ids.searchsorted(ids), ~new, values, frame_id)
        return self._results(like, values["bboxes"], values["scores"], values["labels"], ids)

    @staticmethod
    def _results(
        like: Any, bboxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, ids: np.ndarray
    ) -> InstanceData:
        """``InstanceData`` with ``bboxes`` (M, 4), ``scores``, ``labels``, ``instances_id``
        tensors from (M, 4) and (M,) arrays."""
        if not len(bboxes) == len(scores) == len(labels) == len(ids):
            lengths = dict(bboxes=len(bboxes), scores=len(scores), labels=len(labels), ids=len(ids))
            raise ValueError(f"tracker results of unequal lengths: {lengths}")
        is_tensor = isinstance(like, torch.Tensor)
        float_type = like.dtype if is_tensor else torch.float32
        arrays = dict(
            bboxes=(bboxes, float_type),
            scores=(scores, float_type),
            labels=(labels, torch.long),
            instances_id=(ids, torch.long),
        )
        if (not is_tensor or like.is_cpu) and float_type in _NUMPY_DTYPES:  # views of NumPy's
            fields = {
                name: torch.from_numpy(np.ascontiguousarray(array, _NUMPY_DTYPES[kind]))
                for name, (array, kind) in arrays.items()
            }
        else:  # on the detections' device, in their dtype
            fields = {
                name: torch.as_tensor(array, dtype=kind, device=like.device)
                for name, (array, kind) in arrays.items()
            }
        out = InstanceData()
        for name, value in fields.items():  # lengths checked once above, not per field
            out.set_field(value, name)
        return out

    @abstractmethod
    def track(self, data_sample: Any, **kwargs: Any) -> InstanceData:
        """Associate one frame's detections (``data_sample.pred_instances``) with the tracks.

        Returns:
            ``InstanceData`` with ``bboxes`` (M, 4), ``scores`` (M,), ``labels`` (M,) and
            ``instances_id`` (M,).
        """
