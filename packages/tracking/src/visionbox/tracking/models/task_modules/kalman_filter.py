"""Kalman filter on bounding boxes in (cx, cy, a, h) space, vectorised over all tracks.

State: 8-vector (cx, cy, a, h, vx, vy, va, vh) with a constant-velocity motion model; the
measurement is (cx, cy, a, h). The noise model follows SORT / DeepSORT (Wojke et al., "Simple
Online and Realtime Tracking with a Deep Association Metric", ICIP 2017): standard deviations
proportional to the box height. ``use_nsa`` scales the measurement noise by (1 - score) as in
GIAOTracker / StrongSORT (Du et al., 2022).

Shapes: T tracks, N measurements. Every method accepts one track (``mean`` (8,), ``covariance``
(8, 8)) or a batch (``mean`` (T, 8), ``covariance`` (T, 8, 8)) and returns the same layout.

Nothing in this model couples two box coordinates: the motion links each coordinate with its own
velocity, and the noises are diagonal. A covariance started by ``initiate`` therefore stays
made of four independent 2 x 2 (coordinate, velocity) blocks, and ``predict`` / ``update`` work
on those blocks (``to_blocks``: (T, 4, 4)) with one (T, 16) x (16, 16) product and element-wise
(T, 4) arithmetic instead of batched 8 x 8 products and solves.
A covariance with other non-zero entries (after a camera-motion warp, say) takes the general
matrix path; both give the same result.
"""

from __future__ import annotations

import numpy as np

from visionbox.tracking.registry import TASK_UTILS

__all__ = ["KalmanFilter"]

_NDIM = 4
_I = np.arange(_NDIM)  # coordinate rows / columns
_V = _I + _NDIM  # their velocities
#: Flat (row * 8 + column) positions of the four (coordinate, velocity) blocks' diagonals in
#: an 8 x 8 covariance, in the order pp, pv, vp, vv: one gather or scatter reads or writes all.
_BLOCK_FLAT = np.concatenate([(r * 8 + c) for r in (_I, _V) for c in (_I, _V)])


@TASK_UTILS.register_module()
class KalmanFilter:
    """Constant-velocity Kalman filter over boxes, batched over tracks with NumPy.

    Args:
        center_only: Gate on the centre position only (2 degrees of freedom) instead of the
            whole measurement (4).
        use_nsa: NSA Kalman filter: measurement noise scaled by (1 - detection score).
    """

    #: 0.95 quantile of the chi-square distribution with N degrees of freedom.
    chi2inv95 = {
        1: 3.8415,
        2: 5.9915,
        3: 7.8147,
        4: 9.4877,
        5: 11.070,
        6: 12.592,
        7: 14.067,
        8: 15.507,
        9: 16.919,
    }

    def __init__(self, center_only: bool = False, use_nsa: bool = False) -> None:
        self.center_only = bool(center_only)
        self.use_nsa = bool(use_nsa)
        self.gating_threshold = self.chi2inv95[2 if self.center_only else 4]
        self._motion_mat = np.eye(2 * _NDIM)
        self._motion_mat[np.arange(_NDIM), _NDIM + np.arange(_NDIM)] = 1.0
        self._motion_mat_t = np.ascontiguousarray(self._motion_mat.T)  # x F^T for row states
        self._update_mat = np.eye(_NDIM, 2 * _NDIM)
        # F C F^T of every coordinate's (pp, pv, vp, vv), acting on a (T, 16) row of blocks
        per_block = np.array([[1, 1, 1, 1], [0, 1, 0, 1], [0, 0, 1, 1], [0, 0, 0, 1]], float)
        self._block_motion = np.kron(per_block, np.eye(_NDIM)).T
        self._std_weight_position = 1.0 / 20
        self._std_weight_velocity = 1.0 / 160
        wp, wv = self._std_weight_position, self._std_weight_velocity
        # Noise standard deviations are ``height * scale + offset`` per state / measurement
        # entry (the aspect ratio's are constants): one multiply-add per step for all tracks.
        self._init_std = (
            np.array([2 * wp, 2 * wp, 0, 2 * wp, 10 * wv, 10 * wv, 0, 10 * wv]),
            np.array([0, 0, 1e-2, 0, 0, 0, 1e-5, 0]),
        )
        self._motion_std = (
            np.array([wp, wp, 0, wp, wv, wv, 0, wv]),
            np.array([0, 0, 1e-2, 0, 0, 0, 1e-5, 0]),
        )
        self._measure_std = (np.array([wp, wp, 0, wp]), np.array([0, 0, 1e-1, 0]))
        # No entry has both a scale and an offset, so the process noise variance of a (T, 16)
        # row of blocks is ``height**2 * scale**2 + offset**2``, on pp and vv (0 on pv, vp).
        scale, offset = (np.zeros((4, _NDIM)) for _ in range(2))
        scale[0::3] = (self._motion_std[0] ** 2).reshape(2, _NDIM)
        offset[0::3] = (self._motion_std[1] ** 2).reshape(2, _NDIM)
        self._block_noise = (scale.reshape(16), offset.reshape(16))
        # The measurement noise variance, likewise: ``height**2 * scale**2 + offset**2``.
        self._measure_var = (self._measure_std[0] ** 2, self._measure_std[1] ** 2)

    # Helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _batch(array: np.ndarray, ndim: int) -> tuple[np.ndarray, bool]:
        array = np.asarray(array, dtype=np.float64)
        single = array.ndim == ndim
        return (array[None] if single else array), single

    @staticmethod
    def _std(height: np.ndarray, scale_offset: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """(T,) box heights -> (T, D) noise standard deviations ``height * scale + offset``."""
        scale, offset = scale_offset
        return height[:, None] * scale + offset

    @staticmethod
    def _diag(var: np.ndarray) -> np.ndarray:
        """(T, D) variances -> (T, D, D) diagonal covariances."""
        out = np.zeros(var.shape + (var.shape[-1],))
        idx = np.arange(var.shape[-1])
        out[:, idx, idx] = var
        return out

    def _measurement_var(self, mean: np.ndarray, bbox_score: float | np.ndarray) -> np.ndarray:
        """(T, 4) measurement noise variances R of (T, 8) means: ``height**2 * scale**2 +
        offset**2``, times ``(1 - score)**2`` with ``use_nsa``."""
        height = mean[:, 3:4]
        scale, offset = self._measure_var
        var = (height * height) * scale
        var += offset
        if self.use_nsa:
            var *= (1.0 - np.broadcast_to(np.asarray(bbox_score, float), len(mean)))[:, None] ** 2
        return var

    @staticmethod
    def to_blocks(covariance: np.ndarray) -> np.ndarray | None:
        """(T, 8, 8) covariances -> (T, 4, 4) blocks: rows pp, pv, vp, vv hold, per coordinate,
        its variance, its covariances with its velocity (both orders) and the velocity's
        variance; ``None`` when some covariance has other non-zero entries (then the blocks
        hold fewer of its non-zeros than it does)."""
        blocks = covariance.reshape(len(covariance), 64)[:, _BLOCK_FLAT]
        if np.count_nonzero(blocks) != np.count_nonzero(covariance):
            return None
        return blocks.reshape(-1, 4, _NDIM)

    @staticmethod
    def from_blocks(blocks: np.ndarray) -> np.ndarray:
        """(T, 4, 4) blocks -> (T, 8, 8) covariances (see :meth:`to_blocks`)."""
        p = np.zeros((len(blocks), 64))
        p[:, _BLOCK_FLAT] = blocks.reshape(len(blocks), 4 * _NDIM)
        return p.reshape(len(blocks), 2 * _NDIM, 2 * _NDIM)

    def initiate_blocks(self, measurement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`initiate` of (N, 4) measurements with the covariances as (N, 4, 4) blocks."""
        z = np.asarray(measurement, dtype=np.float64).reshape(-1, _NDIM)
        var = self._std(z[:, 3], self._init_std) ** 2  # (N, 8)
        blocks = np.zeros((len(z), 4, _NDIM))
        blocks[:, 0::3] = var.reshape(-1, 2, _NDIM)  # pp and vv; the cross terms start at 0
        return np.concatenate([z, np.zeros_like(z)], axis=1), blocks

    def predict_blocks(self, mean: np.ndarray, blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`predict` of (T, 8) means and (T, 4, 4) :meth:`to_blocks` covariances: each
        coordinate's 2 x 2 block C becomes F C F^T + Q with F = [[1, 1], [0, 1]], a linear map
        of (pp, pv, vp, vv) that is one product for all tracks."""
        height = mean[:, 3:4]
        scale, offset = self._block_noise
        out = (height * height) * scale  # (T, 16): Q, on pp and vv
        out += offset
        out += blocks.reshape(len(blocks), 16) @ self._block_motion
        return mean @ self._motion_mat_t, out.reshape(-1, 4, _NDIM)

    def update_blocks(
        self,
        mean: np.ndarray,
        blocks: np.ndarray,
        measurement: np.ndarray,
        bbox_score: float | np.ndarray = 0.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`update` of (T, 8) means and (T, 4, 4) :meth:`to_blocks` covariances: one
        scalar gain per coordinate and per velocity, ``g = (pp, vp) / s``, and each block entry
        (a, b) loses ``g_a * C_bp`` (= ``g_a s g_b``)."""
        s = self._measurement_var(mean, bbox_score)  # (T, 4): R
        cross = blocks[:, 0::2]  # (T, 2, 4): pp and vp, the covariances with the position
        s += cross[:, 0]  # innovation variances
        gain = cross / s[:, None]  # (T, 2, 4): position and velocity gains
        innovation = measurement - mean[:, :_NDIM]
        mean = mean + (gain * innovation[:, None]).reshape(len(mean), 2 * _NDIM)
        blocks = blocks - (gain[:, :, None] * cross[:, None]).reshape(blocks.shape)
        return mean, blocks

    # Filter steps ----------------------------------------------------------------------------

    def initiate(self, measurement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start tracks from (N, 4) or (4,) measurements; velocities start at 0.

        Returns:
            ``(mean, covariance)``: (N, 8) and (N, 8, 8), or (8,) and (8, 8) for one measurement.
        """
        z, single = self._batch(measurement, 1)
        mean = np.concatenate([z, np.zeros_like(z)], axis=1)
        cov = self._diag(self._std(z[:, 3], self._init_std) ** 2)
        return (mean[0], cov[0]) if single else (mean, cov)

    def predict(self, mean: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One constant-velocity step: x <- F x, P <- F P F^T + Q."""
        x, single = self._batch(mean, 1)
        p, _ = self._batch(covariance, 2)
        blocks = self.to_blocks(p)
        if blocks is not None:
            x, blocks = self.predict_blocks(x, blocks)
            p = self.from_blocks(blocks)
        else:
            std = self._std(x[:, 3], self._motion_std)
            x = x @ self._motion_mat_t
            p = self._motion_mat @ p @ self._motion_mat.T + self._diag(std**2)
        return (x[0], p[0]) if single else (x, p)

    def project(
        self,
        mean: np.ndarray,
        covariance: np.ndarray,
        bbox_score: float | np.ndarray = 0.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """State -> measurement space: (H x, H P H^T + R), R from the box height (and score)."""
        x, single = self._batch(mean, 1)
        p, _ = self._batch(covariance, 2)
        z = x[:, :_NDIM]
        s = p[:, :_NDIM, :_NDIM] + self._diag(self._measurement_var(x, bbox_score))
        return (z[0], s[0]) if single else (z, s)

    def update(
        self,
        mean: np.ndarray,
        covariance: np.ndarray,
        measurement: np.ndarray,
        bbox_score: float | np.ndarray = 0.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Correct each track with its measurement (row i with row i).

        Args:
            mean: (T, 8) predicted means.
            covariance: (T, 8, 8) predicted covariances.
            measurement: (T, 4) measurements (cx, cy, a, h).
            bbox_score: Detection scores (T,) or a scalar, used by ``use_nsa``.
        """
        x, single = self._batch(mean, 1)
        p, _ = self._batch(covariance, 2)
        z, _ = self._batch(measurement, 1)
        blocks = self.to_blocks(p)
        if blocks is not None:
            x, blocks = self.update_blocks(x, blocks, z, bbox_score)
            p = self.from_blocks(blocks)
            return (x[0], p[0]) if single else (x, p)
        proj_mean, proj_cov = self.project(x, p, bbox_score)
        innovation = z - proj_mean
        ph = p[:, :, :_NDIM]  # P H^T: (T, 8, 4)
        gain = np.linalg.solve(proj_cov, ph.transpose(0, 2, 1)).transpose(0, 2, 1)  # (T, 8, 4)
        x = x + (gain @ innovation[:, :, None])[:, :, 0]
        p = p - gain @ proj_cov @ gain.transpose(0, 2, 1)
        return (x[0], p[0]) if single else (x, p)

    def gating_distance(
        self,
        mean: np.ndarray,
        covariance: np.ndarray,
        measurements: np.ndarray,
        only_position: bool = False,
    ) -> np.ndarray:
        """Squared Mahalanobis distances between tracks and measurements.

        Args:
            mean: (T, 8) or (8,).
            covariance: (T, 8, 8) or (8, 8).
            measurements: (N, 4) in (cx, cy, a, h).
            only_position: Use the centre only (compare with ``chi2inv95[2]``).

        Returns:
            (T, N), or (N,) for one track.
        """
        x, single = self._batch(mean, 1)
        p, _ = self._batch(covariance, 2)
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, _NDIM)
        proj_mean, proj_cov = self.project(x, p)
        dims = 2 if only_position else _NDIM
        d = z[None, :, :dims] - proj_mean[:, None, :dims]  # (T, N, D)
        chol = np.linalg.cholesky(proj_cov[:, :dims, :dims])  # (T, D, D)
        # Solve L y = d^T for every track: (T, D, N).
        y = np.linalg.solve(chol, d.transpose(0, 2, 1))
        dist = (y * y).sum(axis=1)
        return dist[0] if single else dist

    def gate(
        self, mean: np.ndarray, covariance: np.ndarray, measurements: np.ndarray
    ) -> np.ndarray:
        """(T, N) gating distances with entries above ``gating_threshold`` set to NaN."""
        dist = self.gating_distance(mean, covariance, measurements, self.center_only)
        dist[dist > self.gating_threshold] = np.nan
        return dist
