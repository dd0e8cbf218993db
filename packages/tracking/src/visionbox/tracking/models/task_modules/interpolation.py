"""Linear interpolation of short gaps in tracking results (MOTChallenge rows)."""

from __future__ import annotations

import numpy as np

from visionbox.tracking.registry import TASK_UTILS

__all__ = ["InterpolateTracklets", "interpolate_tracks"]


def interpolate_tracks(
    results: np.ndarray, min_num_frames: int = 5, max_num_frames: int = 20
) -> np.ndarray:
    """Fill gaps of each track by linear interpolation of its boxes.

    Args:
        results: (M, C) rows ``frame, id, x, y, w, h, score, ...`` (MOTChallenge columns).
        min_num_frames: Tracks with fewer rows are left alone.
        max_num_frames: Gaps longer than this (in missing frames) are left alone.

    Returns:
        (M', C) rows sorted by frame then id; interpolated rows copy the score of the row before.
    """
    results = np.asarray(results, dtype=np.float64)
    if len(results) == 0:
        return results
    out = [results]
    for tid in np.unique(results[:, 1]):
        rows = results[results[:, 1] == tid]
        rows = rows[np.argsort(rows[:, 0], kind="stable")]
        if len(rows) < min_num_frames:
            continue
        frames = rows[:, 0]
        gaps = np.diff(frames)
        for i in np.nonzero((gaps > 1) & (gaps <= max_num_frames + 1))[0]:
            start, end = rows[i], rows[i + 1]
            missing = np.arange(frames[i] + 1, frames[i + 1])
            alpha = ((missing - frames[i]) / gaps[i])[:, None]
            filled = np.repeat(start[None], len(missing), axis=0)
            filled[:, 0] = missing
            filled[:, 2:6] = start[2:6] + alpha * (end[2:6] - start[2:6])
            out.append(filled)
    merged = np.concatenate(out, axis=0)
    return merged[np.lexsort((merged[:, 1], merged[:, 0]))]


@TASK_UTILS.register_module()
class InterpolateTracklets:
    """Post-processing that linearly interpolates gaps of at most ``max_num_frames`` frames in
    tracks with at least ``min_num_frames`` rows.

    Args:
        min_num_frames: Shortest track that is interpolated.
        max_num_frames: Longest gap (missing frames) that is filled.
    """

    def __init__(self, min_num_frames: int = 5, max_num_frames: int = 20) -> None:
        if min_num_frames < 1 or max_num_frames < 1:
            raise ValueError("min_num_frames and max_num_frames must be >= 1.")
        self.min_num_frames = int(min_num_frames)
        self.max_num_frames = int(max_num_frames)

    def forward(self, pred_tracks: np.ndarray) -> np.ndarray:
        """(M, C) MOTChallenge rows -> rows with the gaps filled."""
        return interpolate_tracks(pred_tracks, self.min_num_frames, self.max_num_frames)

    __call__ = forward
