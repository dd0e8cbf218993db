"""Bipartite assignment with a cost limit (and gating) on SciPy's Hungarian solver.

``linear_assignment(cost, cost_limit)`` matches track i to detection j only when
``cost[i, j] <= cost_limit`` and maximises the total saving ``sum(cost_limit - cost)`` over the
matched pairs. This is the semantics of ``lap.lapjv(cost, extend_cost=True, cost_limit=...)``:
leaving a pair unmatched costs ``cost_limit``, so a pair above the limit is never taken, and a
pair below it is never dropped to force another one. Entries that are NaN or infinite (gated
out) are never matched.

Only the feasible pairs matter, and in tracking they are few (a track overlaps one or two
detections). ``sparse_linear_assignment`` takes just those pairs: a pair whose track and
detection have no other feasible pair is matched directly (every optimum contains it), and the
Hungarian solver runs on the rows and columns that are left. ``linear_assignment`` on a dense
matrix goes through it too.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["linear_assignment", "sparse_linear_assignment", "unmatched"]


def unmatched(count: int) -> np.ndarray:
    """(count,) int64 -1s: "no match" for each of ``count`` items (``np.full`` costs a few
    times more, for its casting copy)."""
    out = np.empty(count, np.int64)
    out.fill(-1)
    return out


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
    rows, cols = np.nonzero(np.isfinite(cost) & (cost <= cost_limit))
    return sparse_linear_assignment(rows, cols, cost[rows, cols], cost.shape, cost_limit)


def _compact(index: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(index, return_inverse=True)`` of (P,) indices below ``size``: the values
    present, by counting, and the position of each index among them, by binary search."""
    present = np.bincount(index, minlength=size).nonzero()[0]
    return present, present.searchsorted(index)


def sparse_linear_assignment(
    rows: np.ndarray,
    cols: np.ndarray,
    costs: np.ndarray,
    shape: tuple[int, int],
    cost_limit: float,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`linear_assignment` of a (T, N) problem given by its candidate pairs.

    Args:
        rows: (P,) track index of each pair (each pair at most once).
        cols: (P,) detection index of each pair.
        costs: (P,) costs; pairs above ``cost_limit``, NaN or infinite are dropped.
        shape: (T, N).
        cost_limit: Largest cost of a matched pair.

    Returns:
        ``(track_to_det, det_to_track)`` as :func:`linear_assignment`.
    """
    num_tracks, num_dets = shape
    track_to_det, det_to_track = unmatched(num_tracks), unmatched(num_dets)
    costs = np.asarray(costs, dtype=np.float64)
    keep = np.isfinite(costs) & (costs <= cost_limit)
    rows, cols, costs = rows[keep], cols[keep], costs[keep]
    if len(rows) == 0:
        return track_to_det, det_to_track
    alone = (np.bincount(rows, minlength=num_tracks)[rows] == 1) & (
        np.bincount(cols, minlength=num_dets)[cols] == 1
    )
    lone_rows, lone_cols = rows[alone], cols[alone]
    track_to_det[lone_rows] = lone_cols
    det_to_track[lone_cols] = lone_rows
    if len(lone_rows) == len(rows):
        return track_to_det, det_to_track
    rest = ~alone
    rows, cols, costs = rows[rest], cols[rest], costs[rest]
    track_ids, r = _compact(rows, num_tracks)
    det_ids, c = _compact(cols, num_dets)
    # A pair below the limit saves (limit - cost); anything else saves nothing (= unmatched).
    saving_cost = np.zeros((len(track_ids), len(det_ids)))
    saving_cost[r, c] = costs - cost_limit
    feasible = np.zeros(saving_cost.shape, bool)
    feasible[r, c] = True
    a, b = linear_sum_assignment(saving_cost)
    matched = feasible[a, b]
    a, b = track_ids[a[matched]], det_ids[b[matched]]
    track_to_det[a] = b
    det_to_track[b] = a
    return track_to_det, det_to_track
