"""Vectorised helpers of the codecs: Gaussian targets, maxima and sub-pixel refinement.

Shape shorthand: N instances, K keypoints, H x W heatmaps, W_x / W_y SimCC bins. Coordinates are
in pixels of the heatmap (or SimCC) grid, pixel centres at integers.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = [
    "gaussian_blur",
    "gaussian_blur1d",
    "gaussian_heatmaps",
    "get_heatmap_maximum",
    "get_simcc_maximum",
    "refine_keypoints",
    "refine_keypoints_dark",
    "refine_keypoints_dark_udp",
    "refine_simcc_dark",
]


def gaussian_heatmaps(
    heatmap_size: tuple[int, int],
    keypoints: np.ndarray,
    keypoints_visible: np.ndarray,
    sigma: float,
    mode: str = "msra",
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian heatmaps of (N, K, 2) keypoints, the max over instances per keypoint.

    Modes (all give a peak value of 1):

    * ``'msra'``: centred on the rounded keypoint, cut to a window of radius ``3 * sigma``;
    * ``'unbiased'``: centred on the exact keypoint, not cut (DARK);
    * ``'udp'``: centred on the exact keypoint, cut to the window around the rounded keypoint.

    A keypoint whose window lies outside the map gets weight 0.

    Returns:
        heatmaps (K, H, W) float32 and keypoint_weights (N, K) float32.
    """
    w, h = int(heatmap_size[0]), int(heatmap_size[1])
    n, k = keypoints.shape[:2]
    radius = sigma * 3
    weights = keypoints_visible.astype(np.float32).copy()
    weights[weights < 0.5] = 0
    rounded = np.floor(keypoints + 0.5)
    left_top = rounded - radius
    right_bottom = rounded + radius + 1
    outside = (
        (left_top[..., 0] >= w)
        | (left_top[..., 1] >= h)
        | (right_bottom[..., 0] < 0)
        | (right_bottom[..., 1] < 0)
    )
    weights[outside] = 0
    centre = rounded if mode == "msra" else keypoints
    xs = np.arange(w, dtype=np.float32)
    ys = np.arange(h, dtype=np.float32)
    dx = xs[None, None, :] - centre[..., 0:1]  # (N, K, W)
    dy = ys[None, None, :] - centre[..., 1:2]  # (N, K, H)
    gx = np.exp(-(dx**2) / (2 * sigma**2))
    gy = np.exp(-(dy**2) / (2 * sigma**2))
    if mode != "unbiased":
        gx = gx * (np.abs(xs[None, None, :] - rounded[..., 0:1]) <= radius)
        gy = gy * (np.abs(ys[None, None, :] - rounded[..., 1:2]) <= radius)
    maps = gy[..., :, None] * gx[..., None, :]  # (N, K, H, W)
    maps = maps * (weights > 0)[..., None, None]
    heatmaps = maps.max(axis=0) if n else np.zeros((k, h, w))
    return heatmaps.astype(np.float32), weights


def get_heatmap_maximum(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Locations and values of the maxima of (K, H, W) or (B, K, H, W) heatmaps.

    Returns:
        locs (K, 2) or (B, K, 2) as (x, y), -1 where the maximum is <= 0; vals (K,) or (B, K).
    """
    if heatmaps.ndim not in (3, 4):
        raise ValueError(f"heatmaps must be (K, H, W) or (B, K, H, W); got {heatmaps.shape}.")
    shape = heatmaps.shape
    flat = heatmaps.reshape(*shape[:-2], -1)
    index = flat.argmax(axis=-1)
    vals = np.take_along_axis(flat, index[..., None], axis=-1)[..., 0]
    locs = np.stack([index % shape[-1], index // shape[-1]], axis=-1).astype(np.float32)
    locs[vals <= 0] = -1
    return locs, vals.astype(np.float32)


def get_simcc_maximum(simcc_x: np.ndarray, simcc_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maxima of (N, K, W_x) / (N, K, W_y) SimCC vectors (or without the N axis).

    Returns:
        locs (..., 2) as (x_bin, y_bin), -1 where the score is <= 0; vals (...) the smaller of
        the two maxima (mmpose 1.x).
    """
    x_locs = simcc_x.argmax(axis=-1)
    y_locs = simcc_y.argmax(axis=-1)
    locs = np.stack([x_locs, y_locs], axis=-1).astype(np.float32)
    vals = np.minimum(simcc_x.max(axis=-1), simcc_y.max(axis=-1))
    locs[vals <= 0] = -1
    return locs, vals.astype(np.float32)


def _max_ratio(origin_max: np.ndarray, new_max: np.ndarray) -> np.ndarray:
    """``origin_max / new_max`` as mmpose rescales a blurred map, sign included (a map whose
    blurred maximum is negative flips, as in mmpose); 1 where the blurred maximum is 0."""
    nonzero = new_max != 0
    return np.where(nonzero, origin_max / np.where(nonzero, new_max, 1.0), 1.0).astype(np.float32)


def gaussian_blur(heatmaps: np.ndarray, kernel: int = 11) -> np.ndarray:
    """Blur each (H, W) map of (K, H, W) heatmaps, keeping each map's maximum."""
    if kernel % 2 != 1:
        raise ValueError(f"The blur kernel size must be odd; got {kernel}.")
    k, h, w = heatmaps.shape
    border = (kernel - 1) // 2
    origin_max = heatmaps.reshape(k, -1).max(axis=1)
    padded = np.zeros((h + 2 * border, w + 2 * border, k), dtype=np.float32)
    padded[border:-border, border:-border] = heatmaps.transpose(1, 2, 0)
    blurred = cv2.GaussianBlur(padded, (kernel, kernel), 0)
    if blurred.ndim == 2:
        blurred = blurred[..., None]
    blurred = blurred[border:-border, border:-border].transpose(2, 0, 1)
    new_max = blurred.reshape(k, -1).max(axis=1)
    return (blurred * _max_ratio(origin_max, new_max)[:, None, None]).astype(np.float32)


def gaussian_blur1d(simcc: np.ndarray, kernel: int = 11) -> np.ndarray:
    """Blur (N, K, W) SimCC vectors along W, keeping each vector's maximum."""
    n, k, w = simcc.shape
    border = (kernel - 1) // 2
    padded = np.zeros((n * k, w + 2 * border), dtype=np.float32)
    padded[:, border:-border] = simcc.reshape(n * k, w)
    blurred = cv2.GaussianBlur(padded, (kernel, 1), 0)[:, border:-border]
    origin_max = simcc.reshape(n * k, w).max(axis=1)
    new_max = blurred.max(axis=1)
    return (blurred * _max_ratio(origin_max, new_max)[:, None]).reshape(n, k, w).astype(np.float32)


def refine_keypoints(keypoints: np.ndarray, heatmaps: np.ndarray) -> np.ndarray:
    """Move each (N, K, 2) maximum a quarter pixel towards its higher neighbour (MSRA).

    The edge conditions are mmpose 1.3's: x moves only where ``1 < x < W - 1`` and
    ``0 < y < H``, y only where ``1 < y < H - 1`` and ``0 < x < W`` (integer parts), so a peak
    in column or row 0 or 1 (or the last one) is not moved along that axis.
    """
    keypoints = keypoints.copy()
    k, h, w = heatmaps.shape
    x = keypoints[..., 0].astype(np.int64)
    y = keypoints[..., 1].astype(np.int64)
    kk = np.broadcast_to(np.arange(k), x.shape)
    ok_x = (x > 1) & (x < w - 1) & (y > 0) & (y < h)
    ok_y = (y > 1) & (y < h - 1) & (x > 0) & (x < w)
    xc, yc = np.clip(x, 1, w - 2), np.clip(y, 1, h - 2)
    yx, xy = np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)
    dx = np.where(ok_x, heatmaps[kk, yx, xc + 1] - heatmaps[kk, yx, xc - 1], 0)
    dy = np.where(ok_y, heatmaps[kk, yc + 1, xy] - heatmaps[kk, yc - 1, xy], 0)
    keypoints += np.stack([np.sign(dx), np.sign(dy)], axis=-1) * 0.25
    return keypoints


def _newton_offsets(logmaps: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """DARK's Newton step on (K, H, W) log-heatmaps at integer (N, K, 2) keypoints.

    First derivatives use central differences over one pixel, second ones over two pixels.
    Keypoints too close to the border or with a singular Hessian get no offset.
    """
    step = 2
    k, h, w = logmaps.shape
    x = keypoints[..., 0].astype(np.int64)
    y = keypoints[..., 1].astype(np.int64)
    kk = np.broadcast_to(np.arange(k), x.shape)
    ok = (x >= step) & (x < w - step) & (y >= step) & (y < h - step)
    x = np.clip(x, step, w - 1 - step)
    y = np.clip(y, step, h - 1 - step)

    def at(dx: int, dy: int) -> np.ndarray:
        return logmaps[kk, y + dy, x + dx]

    centre = at(0, 0)
    gx = 0.5 * (at(1, 0) - at(-1, 0))
    gy = 0.5 * (at(0, 1) - at(0, -1))
    hxx = (at(step, 0) - 2 * centre + at(-step, 0)) / step**2
    hyy = (at(0, step) - 2 * centre + at(0, -step)) / step**2
    hxy = 0.25 * (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1))
    det = hxx * hyy - hxy**2
    ok &= np.abs(det) > 1e-12
    det = np.where(ok, det, 1.0)
    ox = -(hyy * gx - hxy * gy) / det
    oy = -(-hxy * gx + hxx * gy) / det
    return np.stack([np.where(ok, ox, 0), np.where(ok, oy, 0)], axis=-1)


def refine_keypoints_dark(
    keypoints: np.ndarray, heatmaps: np.ndarray, blur_kernel_size: int
) -> np.ndarray:
    """DARK refinement (Zhang et al., CVPR 2020): blur, log, then a Newton step.

    Args:
        keypoints: (N, K, 2) integer maxima.
        heatmaps: (K, H, W).
        blur_kernel_size: Odd Gaussian kernel size of the modulation.
    """
    logmaps = np.log(np.clip(gaussian_blur(heatmaps, blur_kernel_size), 1e-3, 50.0))
    return keypoints + _newton_offsets(logmaps, keypoints)


def refine_keypoints_dark_udp(
    keypoints: np.ndarray, heatmaps: np.ndarray, blur_kernel_size: int
) -> np.ndarray:
    """The UDP variant of DARK (Huang et al., CVPR 2020), as mmpose computes it.

    Derivatives over one pixel on the edge-padded log map (so border maxima are refined too), the
    mixed derivative from the (+1, +1) and (-1, -1) neighbours only, and the Hessian regularised
    by ``eps * I`` before inversion.

    Args:
        keypoints: (N, K, 2) integer maxima.
        heatmaps: (K, H, W).
        blur_kernel_size: Odd Gaussian kernel size of the modulation.

    Returns:
        (N, K, 2) refined keypoints.
    """
    logmaps = np.log(np.clip(gaussian_blur(heatmaps, blur_kernel_size), 1e-3, 50.0))
    k, h, w = logmaps.shape
    padded = np.pad(logmaps, ((0, 0), (1, 1), (1, 1)), mode="edge").ravel()
    # Flat indices as mmpose takes them: a -1 (no maximum) keypoint reads the padded corner,
    # and its (-1, -1) neighbour wraps into the previous map.
    index = (keypoints[..., 0] + 1 + (keypoints[..., 1] + 1) * (w + 2)).astype(np.int64)
    index = index + (w + 2) * (h + 2) * np.arange(k)

    def at(dx: int, dy: int) -> np.ndarray:
        return padded[index + dx + dy * (w + 2)]

    centre, right, left, down, up = at(0, 0), at(1, 0), at(-1, 0), at(0, 1), at(0, -1)
    gradient = np.stack([0.5 * (right - left), 0.5 * (down - up)], -1)[..., None]
    dxx = right - 2 * centre + left
    dyy = down - 2 * centre + up
    dxy = 0.5 * (at(1, 1) - right - down + centre + centre - left - up + at(-1, -1))
    hessian = np.stack([dxx, dxy, dxy, dyy], -1).reshape(*dxx.shape, 2, 2)
    inverse = np.linalg.inv(hessian + np.finfo(np.float32).eps * np.eye(2))
    return (keypoints - (inverse @ gradient)[..., 0]).astype(keypoints.dtype)


def refine_simcc_dark(
    keypoints: np.ndarray, simcc: np.ndarray, blur_kernel_size: int
) -> np.ndarray:
    """1D DARK on (N, K, W) SimCC vectors at (N, K) integer maxima; returns refined (N, K)."""
    n, k, w = simcc.shape
    logs = np.log(np.clip(gaussian_blur1d(simcc, blur_kernel_size), 1e-3, 50.0))
    x = np.clip(keypoints.astype(np.int64), 2, w - 3)
    ok = (keypoints >= 2) & (keypoints < w - 2)

    def at(d: int) -> np.ndarray:
        return np.take_along_axis(logs, (x + d)[..., None], axis=-1)[..., 0]

    grad = 0.5 * (at(1) - at(-1))
    hess = 0.25 * (at(2) - 2 * at(0) + at(-2))
    ok &= np.abs(hess) > 1e-12
    offset = np.where(ok, -grad / np.where(ok, hess, 1.0), 0)
    return keypoints + offset
