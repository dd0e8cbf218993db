"""Keypoint metrics as plain NumPy functions (mmpose 1.x definitions).

Shape shorthand: N instances, K keypoints, D coordinate dimensions. ``mask`` (N, K) marks the
keypoints that count; ``norm_factor`` (N, D) normalises the errors.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = [
    "keypoint_auc",
    "keypoint_epe",
    "keypoint_mpjpe",
    "keypoint_nme",
    "keypoint_pck_accuracy",
    "pose_pck_accuracy",
]


def _calc_distances(
    preds: np.ndarray, gts: np.ndarray, mask: np.ndarray, norm_factor: np.ndarray
) -> np.ndarray:
    """(K, N) normalised distances, -1 where the keypoint does not count (masked out, or its
    instance has a zero normaliser)."""
    n, k, _ = preds.shape
    valid = mask.astype(bool).copy()
    valid[np.where((norm_factor == 0).sum(1))[0], :] = False
    distances = np.full((n, k), -1, dtype=np.float32)
    norm = np.where(norm_factor <= 0, 1e6, norm_factor)
    diff = (preds - gts) / norm[:, None, :]
    distances[valid] = np.linalg.norm(diff[valid], axis=-1)
    return distances.T


def _distance_acc(distances: np.ndarray, thr: float) -> float:
    """Fraction of valid (!= -1) distances below ``thr``; -1 when none is valid."""
    valid = distances != -1
    count = valid.sum()
    return float((distances[valid] < thr).sum() / count) if count > 0 else -1.0


def keypoint_pck_accuracy(
    pred: np.ndarray, gt: np.ndarray, mask: np.ndarray, thr: float, norm_factor: np.ndarray
) -> tuple[np.ndarray, float, int]:
    """PCK: per-keypoint accuracy (K,), their mean over keypoints with any valid instance, and
    the number of such keypoints."""
    distances = _calc_distances(pred, gt, mask, norm_factor)
    acc = np.array([_distance_acc(d, thr) for d in distances])
    valid = acc[acc >= 0]
    count = len(valid)
    return acc, float(valid.mean()) if count > 0 else 0.0, count


def keypoint_auc(
    pred: np.ndarray, gt: np.ndarray, mask: np.ndarray, norm_factor: float, num_thrs: int = 20
) -> float:
    """Area under the PCK curve for thresholds 0, 1/num_thrs, ... with a fixed normaliser."""
    norm = np.tile(np.array([[norm_factor, norm_factor]]), (pred.shape[0], 1))
    thrs = [i / num_thrs for i in range(num_thrs)]
    accs = [keypoint_pck_accuracy(pred, gt, mask, thr, norm)[1] for thr in thrs]
    return float(sum(accs) / num_thrs)


def keypoint_nme(
    pred: np.ndarray, gt: np.ndarray, mask: np.ndarray, normalize_factor: np.ndarray
) -> float:
    """Normalised mean error over the valid keypoints."""
    distances = _calc_distances(pred, gt, mask, normalize_factor)
    valid = distances[distances != -1]
    return float(valid.sum() / max(1, len(valid)))


def keypoint_epe(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> float:
    """End-point error: the mean pixel distance over the valid keypoints."""
    ones = np.ones((pred.shape[0], pred.shape[2]), dtype=np.float32)
    distances = _calc_distances(pred, gt, mask, ones)
    valid = distances[distances != -1]
    return float(valid.sum() / max(1, len(valid)))


def pose_pck_accuracy(
    output: np.ndarray,
    target: np.ndarray,
    mask: np.ndarray,
    thr: float = 0.05,
    normalize: np.ndarray | None = None,
) -> tuple[np.ndarray, float, int]:
    """PCK of (N, K, H, W) heatmaps' maxima, normalised by the heatmap size / 10 by default."""
    from ..codecs.utils import get_heatmap_maximum

    n, k, h, w = output.shape
    if k == 0:
        return np.zeros(0), 0.0, 0
    if normalize is None:
        normalize = np.tile(np.array([[h, w]]), (n, 1)) / 10
    pred, _ = get_heatmap_maximum(output)
    gt, _ = get_heatmap_maximum(target)
    return keypoint_pck_accuracy(pred, gt, mask, thr, normalize)


def _procrustes(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Align each (K, D) prediction to its ground truth by similarity transform (batched SVD)."""
    mu_x, mu_y = pred.mean(1, keepdims=True), gt.mean(1, keepdims=True)
    x0, y0 = pred - mu_x, gt - mu_y
    norm_x = np.sqrt((x0**2).sum(axis=(1, 2), keepdims=True))
    norm_y = np.sqrt((y0**2).sum(axis=(1, 2), keepdims=True))
    x0, y0 = x0 / norm_x, y0 / norm_y
    h = np.matmul(x0.transpose(0, 2, 1), y0)
    u, s, vt = np.linalg.svd(h)
    v = vt.transpose(0, 2, 1)
    r = np.matmul(v, u.transpose(0, 2, 1))
    # No reflections: flip the last singular vector where det(R) < 0.
    sign = np.sign(np.linalg.det(r))[:, None]
    v[:, :, -1] *= sign
    s[:, -1] *= sign[:, 0]
    r = np.matmul(v, u.transpose(0, 2, 1))
    a = s.sum(axis=1, keepdims=True)[..., None] * norm_y / norm_x
    t = mu_y - a * np.matmul(mu_x, r.transpose(0, 2, 1))
    return a * np.matmul(pred, r.transpose(0, 2, 1)) + t


def keypoint_mpjpe(
    pred: np.ndarray,
    gt: np.ndarray,
    mask: np.ndarray,
    alignment: Literal["none", "scale", "procrustes"] = "none",
) -> float:
    """Mean per-joint position error over the valid (N, K) keypoints.

    ``'procrustes'`` (P-MPJPE) aligns each prediction by a similarity transform first,
    ``'scale'`` (N-MPJPE) by the least-squares scale.
    """
    if alignment == "procrustes":
        pred = _procrustes(pred, gt)
    elif alignment == "scale":
        factor = np.einsum("nkc,nkc->n", pred, gt) / np.einsum("nkc,nkc->n", pred, pred)
        pred = pred * factor[:, None, None]
    elif alignment != "none":
        raise ValueError(f"alignment must be 'none', 'scale' or 'procrustes'; got {alignment!r}.")
    error = np.linalg.norm(pred - gt, axis=-1)[mask.astype(bool)]
    return float(error.mean()) if error.size else 0.0
