"""KalmanFilter (batched) against a plain per-track reference; assignment against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from visionbox.tracking.models.task_modules import (
    KalmanFilter,
    bbox_cxcyah_to_xyxy,
    bbox_overlaps,
    bbox_xyxy_to_cxcyah,
    linear_assignment,
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
    assert t2d.shape == (0,) and (d2t == -1).all()
