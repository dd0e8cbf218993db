"""KalmanFilter (batched) against a plain per-track reference; assignment against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from visionbox.tracking.models.task_modules import (
    KalmanFilter,
    bbox_cxcyah_to_xyxy,
    bbox_overlap_pairs,
    bbox_overlaps,
    bbox_xyxy_to_cxcyah,
    linear_assignment,
    sparse_linear_assignment,
)


def _reference_filter(z0, steps, use_nsa=False, score=0.0):
    """Textbook constant-velocity filter on one track, written out with explicit matrices."""
    f = np.eye(8)
    for i in range(4):
        f[i, 4 + i] = 1.0
    h_mat = np.eye(4, 8)
    wp, wv = 1 / 20, 1 / 160
    h = z0[3]
    x = np.concatenate([z0, np.zeros(4)])
    p = np.diag(
        np.square(
            [2 * wp * h, 2 * wp * h, 1e-2, 2 * wp * h, 10 * wv * h, 10 * wv * h, 1e-5, 10 * wv * h]
        )
    )
    out = []
    for z in steps:
        h = x[3]
        q = np.diag(np.square([wp * h, wp * h, 1e-2, wp * h, wv * h, wv * h, 1e-5, wv * h]))
        x = f @ x
        p = f @ p @ f.T + q
        out.append(("predict", x.copy(), p.copy()))
        std = np.array([wp * x[3], wp * x[3], 1e-1, wp * x[3]])
        if use_nsa:
            std = std * (1 - score)
        s = h_mat @ p @ h_mat.T + np.diag(std**2)
        k = p @ h_mat.T @ np.linalg.inv(s)
        x = x + k @ (z - h_mat @ x)
        p = p - k @ s @ k.T
        out.append(("update", x.copy(), p.copy()))
    return out


@pytest.mark.parametrize("use_nsa", [False, True])
def test_batched_filter_equals_per_track_reference(use_nsa):
    rng = np.random.default_rng(0)
    num_tracks, num_steps = 7, 5
    z0 = np.column_stack(
        [
            rng.uniform(0, 500, (num_tracks, 2)),
            rng.uniform(0.3, 1, num_tracks),
            rng.uniform(20, 200, num_tracks),
        ]
    )
    zs = z0[None] + rng.normal(0, 3, (num_steps, num_tracks, 4)) * np.array([1, 1, 0.01, 1])
    kf = KalmanFilter(use_nsa=use_nsa)
    mean, cov = kf.initiate(z0)
    assert mean.shape == (num_tracks, 8) and cov.shape == (num_tracks, 8, 8)
    refs = [_reference_filter(z0[t], zs[:, t], use_nsa, 0.3) for t in range(num_tracks)]
    for step in range(num_steps):
        mean, cov = kf.predict(mean, cov)
        for t in range(num_tracks):
            np.testing.assert_allclose(mean[t], refs[t][2 * step][1], rtol=1e-10, atol=1e-9)
            np.testing.assert_allclose(cov[t], refs[t][2 * step][2], rtol=1e-10, atol=1e-9)
        mean, cov = kf.update(mean, cov, zs[step], np.full(num_tracks, 0.3))
        for t in range(num_tracks):
            np.testing.assert_allclose(mean[t], refs[t][2 * step + 1][1], rtol=1e-9, atol=1e-8)
            np.testing.assert_allclose(cov[t], refs[t][2 * step + 1][2], rtol=1e-9, atol=1e-8)
    # one track at a time gives the same as the batch
    m1, c1 = kf.predict(mean[2], cov[2])
    mb, cb = kf.predict(mean, cov)
    np.testing.assert_allclose(m1, mb[2])
    np.testing.assert_allclose(c1, cb[2])


def test_gating_distance_is_mahalanobis():
    rng = np.random.default_rng(1)
    kf = KalmanFilter()
    mean, cov = kf.initiate(np.array([[100, 100, 0.5, 80], [300, 50, 1.0, 40.0]]))
    mean, cov = kf.predict(mean, cov)
    z = mean[:, :4][[0, 1, 0]] + rng.normal(0, 2, (3, 4))
    dist = kf.gating_distance(mean, cov, z)
    assert dist.shape == (2, 3)
    for t in range(2):
        proj_mean, proj_cov = kf.project(mean[t], cov[t])
        for n in range(3):
            d = z[n] - proj_mean
            assert dist[t, n] == pytest.approx(d @ np.linalg.inv(proj_cov) @ d, rel=1e-8)
    pos = kf.gating_distance(mean, cov, z, only_position=True)
    assert (pos <= dist + 1e-9).all()
    gated = kf.gate(mean, cov, z)
    assert np.isnan(gated[dist > kf.gating_threshold]).all()


def test_box_conversions_round_trip_and_iou():
    boxes = np.array([[10.0, 20, 50, 100], [0, 0, 10, 10]])
    np.testing.assert_allclose(bbox_cxcyah_to_xyxy(bbox_xyxy_to_cxcyah(boxes)), boxes)
    ious = bbox_overlaps(
        boxes, np.array([[10.0, 20, 50, 100], [5, 0, 15, 10], [100, 100, 110, 110]])
    )
    np.testing.assert_allclose(ious, [[1.0, 0.0, 0.0], [0.0, 50 / 150, 0.0]])


def _brute_force(cost, limit):
    """Best saving sum(limit - c) over partial matchings with c <= limit."""
    t, n = cost.shape
    best = 0.0
    for k in range(min(t, n) + 1):
        for rows in itertools.combinations(range(t), k):
            for cols in itertools.permutations(range(n), k):
                c = cost[list(rows), list(cols)]
                if np.all(np.isfinite(c) & (c <= limit)):
                    best = max(best, float((limit - c).sum()))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_linear_assignment_with_cost_limit_is_optimal(seed):
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 1, (3, 4))
    cost[rng.uniform(size=cost.shape) < 0.2] = np.nan
    limit = 0.6
    t2d, d2t = linear_assignment(cost, limit)
    pairs = [(i, j) for i, j in enumerate(t2d) if j >= 0]
    assert all(d2t[j] == i for i, j in pairs)
    assert all(cost[i, j] <= limit for i, j in pairs)
    saving = sum(limit - cost[i, j] for i, j in pairs)
    assert saving == pytest.approx(_brute_force(cost, limit))


def test_linear_assignment_empty():
    t2d, d2t = linear_assignment(np.zeros((0, 3)), 0.5)
    assert t2d.shape == (0,) and d2t.tolist() == [-1, -1, -1]
    assert t2d.dtype == d2t.dtype == np.int64


def test_coupled_covariance_takes_the_matrix_path_with_the_same_formulas():
    """A covariance coupling coordinates (as after a camera-motion warp) is filtered with the
    full matrices; a block one element-wise. Both equal the textbook formulas."""
    kf = KalmanFilter()
    mean, cov = kf.initiate(np.array([[100, 80, 0.5, 60], [300, 50, 1.0, 40.0]]))
    assert kf.to_blocks(cov) is not None
    coupled = cov.copy()
    coupled[:, 0, 1] = coupled[:, 1, 0] = 0.3 * np.sqrt(cov[:, 0, 0] * cov[:, 1, 1])
    assert kf.to_blocks(coupled) is None
    f = kf._motion_mat
    z = mean[:, :4] + np.array([2.0, -1, 0.01, 3])
    for p0 in (cov, coupled):
        x, p = kf.predict(mean, p0)
        for t in range(2):
            h = mean[t, 3]
            std = np.array([h / 20, h / 20, 1e-2, h / 20, h / 160, h / 160, 1e-5, h / 160])
            np.testing.assert_allclose(p[t], f @ p0[t] @ f.T + np.diag(std**2), rtol=1e-12)
        x2, p2 = kf.update(x, p, z)
        for t in range(2):
            s = p[t, :4, :4] + np.diag(np.square([x[t, 3] / 20, x[t, 3] / 20, 0.1, x[t, 3] / 20]))
            k = p[t, :, :4] @ np.linalg.inv(s)
            np.testing.assert_allclose(x2[t], x[t] + k @ (z[t] - x[t, :4]), rtol=1e-12)
            np.testing.assert_allclose(p2[t], p[t] - k @ s @ k.T, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dense_pairs", [0, 10**9])
def test_overlap_pairs_are_the_nonzero_ious(dense_pairs, monkeypatch):
    from visionbox.tracking.models.task_modules import boxes

    monkeypatch.setattr(boxes, "DENSE_PAIRS", dense_pairs)
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 300, (120, 2))
    b1 = np.concatenate([xy, xy + rng.uniform(0, 60, (120, 2))], 1)  # some empty boxes
    b1[:5, 2:] = b1[:5, :2]
    b2 = b1[rng.permutation(120)[:90]] + rng.normal(0, 5, (90, 4))
    rows, cols, ious = bbox_overlap_pairs(b1, b2)
    dense = bbox_overlaps(b1, b2)
    expected = set(zip(*np.nonzero(dense > 0), strict=True))
    assert set(zip(rows.tolist(), cols.tolist(), strict=True)) == expected and len(rows) > 90
    np.testing.assert_allclose(ious, dense[rows, cols], rtol=1e-12)
    assert bbox_overlap_pairs(b1[:0], b2)[0].shape == (0,)


@pytest.mark.parametrize("num_classes", [1, 3])
def test_iou_cost_pairs_are_the_overlapping_finite_costs(num_classes):
    """One class (labels never filter) and several: the pairs equal the dense cost's
    finite entries with IoU > 0, with the same costs."""
    from visionbox.tracking.models.trackers.byte_tracker import iou_cost, iou_cost_pairs

    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 300, (80, 2))
    tracks = np.concatenate([xy, xy + rng.uniform(10, 60, (80, 2))], 1)
    dets = tracks[rng.permutation(80)[:70]] + rng.normal(0, 5, (70, 4))
    track_labels = rng.integers(0, num_classes, 80)
    det_labels = rng.integers(0, num_classes, 70)
    scores = rng.uniform(0.3, 1, 70)
    rows, cols, costs = iou_cost_pairs(tracks, track_labels, dets, det_labels, scores)
    dense = iou_cost(tracks, track_labels, dets, det_labels, scores)
    expected = np.isfinite(dense) & (bbox_overlaps(tracks, dets) > 0)
    assert set(zip(rows.tolist(), cols.tolist(), strict=True)) == set(
        zip(*np.nonzero(expected), strict=True)
    )
    assert len(rows) > 20
    np.testing.assert_allclose(costs, dense[rows, cols], rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_sparse_assignment_saves_what_the_dense_hungarian_does(seed):
    """Clusters of competing pairs plus lone pairs: the same optimum as scipy on the matrix."""
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(seed)
    cost = np.full((60, 70), np.inf)
    for _ in range(45):
        r, c = rng.integers(0, 60), rng.integers(0, 70)
        cost[r : r + rng.integers(1, 3), c : c + rng.integers(1, 4)] = rng.uniform(0, 1)
    cost += rng.uniform(0, 0.01, cost.shape)
    limit = 0.7
    t2d, d2t = linear_assignment(cost, limit)
    pairs = [(i, j) for i, j in enumerate(t2d) if j >= 0]
    assert all(d2t[j] == i for i, j in pairs) and len(pairs) > 10
    saving = np.where(np.isfinite(cost) & (cost <= limit), cost - limit, 0.0)
    r, c = linear_sum_assignment(saving)
    assert sum(limit - cost[i, j] for i, j in pairs) == pytest.approx(-saving[r, c].sum())
    rows, cols = np.nonzero(np.isfinite(cost))
    sparse = sparse_linear_assignment(rows, cols, cost[rows, cols], cost.shape, limit)
    np.testing.assert_array_equal(sparse[0], t2d)
