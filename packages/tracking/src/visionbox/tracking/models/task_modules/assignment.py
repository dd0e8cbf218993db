"""Bipartite assignment with a cost limit (and gating) on SciPy's Hungarian solver.

``linear_assignment(cost, cost_limit)`` matches track i to detection j only when
``cost[i, j] <= cost_limit`` and maximises the total saving ``sum(cost_limit - cost)`` over the
matched pairs. This is the semantics of ``lap.lapjv(cost, extend_cost=True, cost_limit=...)``:
leaving a pair unmatched costs ``cost_limit``, so a pair above the limit is never taken, and a
pair below it is never dropped to force another one. Entries that are NaN or infinite (gated
out) are never matched.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["linear_assignment"]


def linear_assignment(cost: np.ndarray, cost_limit: float) -> tuple[np.ndarray, np.ndarray]:
    """Solve a (T, N) assignment with a cost limit.

    Args:
        cost: (T, N) costs; NaN or inf means "may not be matched".
        cost_limit: Largest cost of a matched pair.

    Returns:
        ``(track_to_det, det_to_track)``: (T,) index of the matched detection or -1, and (N,)
        index of the matched track or -1.
    """
    cost = np.asarray(cost, dtype=np.float64)
    num_tracks, num_dets = cost.shape
    track_to_det = np.full(num_tracks, -1, dtype=np.int64)
    det_to_track = np.full(num_dets, -1, dtype=np.int64)
    if cost.size == 0:
        return track_to_det, det_to_track
    feasible = np.isfinite(cost) & (cost <= cost_limit)
    if not feasible.any():
        return track_to_det, det_to_track
    # A pair below the limit saves (limit - cost); anything else saves nothing (= unmatched).
    saving_cost = np.where(feasible, cost - cost_limit, 0.0)
    rows, cols = linear_sum_assignment(saving_cost)
    keep = feasible[rows, cols]
    rows, cols = rows[keep], cols[keep]
    track_to_det[rows] = cols
    det_to_track[cols] = rows
    return track_to_det, det_to_track
