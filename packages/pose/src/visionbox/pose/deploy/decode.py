"""Keypoint codecs' ``decode`` in PyTorch, for exported graphs: the same arithmetic as the NumPy
codecs of :mod:`visionbox.pose.codecs`, on batches.

Shape shorthand: N inputs; K keypoints; (H, W) heatmaps; W_x, W_y SimCC bins.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "DECODERS",
    "decode_keypoints",
    "heatmap_decode",
    "udp_heatmap_decode",
    "simcc_decode",
    "regression_decode",
]


def _maximum(maps: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(N, K, H, W) -> integer x, y of each map's maximum (-1 where it is <= 0) and its value."""
    width = maps.size(-1)
    flat = maps.flatten(2)
    vals, index = flat.max(-1)
    x, y = (index % width).to(maps.dtype), (index // width).to(maps.dtype)
    none = vals <= 0
    minus = -torch.ones_like(x)
    return torch.where(none, minus, x), torch.where(none, minus, y), vals


def _at(maps: Tensor, y: Tensor, x: Tensor) -> Tensor:
    """(N, K, H, W) maps at (N, K) integer positions."""
    index = (y * maps.size(-1) + x).long()
    return maps.flatten(2).gather(2, index[..., None])[..., 0]


#: OpenCV's fixed kernels of ``getGaussianKernel(size, sigma <= 0)`` for sizes up to 7.
_SMALL_GAUSSIANS = {
    1: [1.0],
    3: [0.25, 0.5, 0.25],
    5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
    7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
}


def _gaussian(kernel: int) -> Tensor:
    """OpenCV's ``getGaussianKernel(kernel, 0)`` (float64)."""
    if kernel in _SMALL_GAUSSIANS:
        return torch.tensor(_SMALL_GAUSSIANS[kernel], dtype=torch.float64)
    sigma = 0.3 * ((kernel - 1) * 0.5 - 1) + 0.8
    taps = torch.arange(kernel, dtype=torch.float64) - (kernel - 1) / 2
    weights = torch.exp(-(taps**2) / (2 * sigma**2))
    return weights / weights.sum()


def _blur(maps: Tensor, kernel: int) -> Tensor:
    """``gaussian_blur``: OpenCV's Gaussian of size ``kernel`` (sigma from the size) over zero
    borders, each map rescaled to keep its maximum. (N, K, H, W) -> (N, K, H, W)."""
    weights = _gaussian(kernel).to(maps.dtype)
    n, k, h, w = maps.shape
    flat = maps.reshape(n * k, 1, h, w)
    pad = (kernel - 1) // 2
    flat = F.conv2d(flat, weights.reshape(1, 1, 1, kernel), padding=(0, pad))
    flat = F.conv2d(flat, weights.reshape(1, 1, kernel, 1), padding=(pad, 0))
    blurred = flat.reshape(n, k, h, w)
    old_max, new_max = maps.flatten(2).max(-1).values, blurred.flatten(2).max(-1).values
    nonzero = new_max != 0
    safe = torch.where(nonzero, new_max, torch.ones_like(new_max))
    factor = torch.where(nonzero, old_max / safe, torch.ones_like(new_max))
    return blurred * factor[..., None, None]


def _newton(logmaps: Tensor, x: Tensor, y: Tensor) -> Tensor:
    """``_newton_offsets``: DARK's Newton step on (N, K, H, W) log-heatmaps at integer (N, K)
    maxima; (N, K, 2) offsets, 0 near the border or for a singular Hessian."""
    step = 2
    h, w = logmaps.shape[-2:]
    ok = (x >= step) & (x < w - step) & (y >= step) & (y < h - step)
    x, y = x.clamp(step, w - 1 - step), y.clamp(step, h - 1 - step)

    def at(dx: int, dy: int) -> Tensor:
        return _at(logmaps, y + dy, x + dx)

    centre = at(0, 0)
    gx, gy = 0.5 * (at(1, 0) - at(-1, 0)), 0.5 * (at(0, 1) - at(0, -1))
    hxx = (at(step, 0) - 2 * centre + at(-step, 0)) / step**2
    hyy = (at(0, step) - 2 * centre + at(0, -step)) / step**2
    hxy = 0.25 * (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1))
    det = hxx * hyy - hxy**2
    ok = ok & (det.abs() > 1e-12)
    det = torch.where(ok, det, torch.ones_like(det))
    zero = torch.zeros_like(det)
    ox = torch.where(ok, -(hyy * gx - hxy * gy) / det, zero)
    oy = torch.where(ok, -(-hxy * gx + hxx * gy) / det, zero)
    return torch.stack([ox, oy], -1)


def _dark(heatmaps: Tensor, x: Tensor, y: Tensor, kernel: int) -> Tensor:
    """DARK: blur, log, Newton step; (N, K, 2) (the UDP variant is :func:`_dark_udp`)."""
    logmaps = _blur(heatmaps, kernel).clamp(1e-3, 50.0).log()
    return torch.stack([x, y], -1) + _newton(logmaps, x, y)


def _dark_udp(heatmaps: Tensor, x: Tensor, y: Tensor, kernel: int) -> Tensor:
    """``refine_keypoints_dark_udp``: the Newton step on the edge-padded log map, with flat
    indices per sample as mmpose takes them; (N, K, 2)."""
    n, k, h, w = heatmaps.shape
    logmaps = _blur(heatmaps, kernel).clamp(1e-3, 50.0).log()
    padded = F.pad(logmaps, (1, 1, 1, 1), mode="replicate").reshape(n, -1)
    size = padded.size(1)
    offsets = torch.arange(k, device=x.device) * ((w + 2) * (h + 2))
    index = (x + 1 + (y + 1) * (w + 2)).long() + offsets

    def at(dx: int, dy: int) -> Tensor:
        return padded.gather(1, (index + dx + dy * (w + 2)) % size)

    centre, right, left, down, up = at(0, 0), at(1, 0), at(-1, 0), at(0, 1), at(0, -1)
    gx, gy = 0.5 * (right - left), 0.5 * (down - up)
    dxx = right - 2 * centre + left
    dyy = down - 2 * centre + up
    dxy = 0.5 * (at(1, 1) - right - down + centre + centre - left - up + at(-1, -1))
    eps = torch.finfo(torch.float32).eps
    dxx, dyy = dxx + eps, dyy + eps
    det = dxx * dyy - dxy * dxy
    ox = (dyy * gx - dxy * gy) / det
    oy = (dxx * gy - dxy * gx) / det
    return torch.stack([x - ox, y - oy], -1)


def udp_heatmap_decode(codec, heatmaps: Tensor) -> tuple[Tensor, Tensor]:
    """``UDPHeatmap.decode``: maxima refined by DARK-UDP, times ``input / (heatmap - 1)``."""
    x, y, scores = _maximum(heatmaps)
    keypoints = _dark_udp(heatmaps, x, y, codec.blur_kernel_size)
    (iw, ih), (hw, hh) = codec.input_size, codec.heatmap_size
    scale = keypoints.new_tensor([iw / (hw - 1), ih / (hh - 1)])
    return keypoints * scale, scores


def heatmap_decode(codec, heatmaps: Tensor) -> tuple[Tensor, Tensor]:
    """``MSRAHeatmap.decode``: maxima moved a quarter pixel towards the higher neighbour
    (mmpose 1.3's edge conditions), or refined by DARK with ``unbiased``, scaled to the input.

    Args:
        heatmaps: (N, K, H, W).

    Returns:
        keypoints (N, K, 2) in the input's pixels, scores (N, K).
    """
    h, w = heatmaps.shape[-2:]
    x, y, scores = _maximum(heatmaps)
    if getattr(codec, "unbiased", False):
        keypoints = _dark(heatmaps, x, y, codec.blur_kernel_size)
        scale = keypoints.new_tensor([float(s) for s in codec.scale_factor])
        return keypoints * scale, scores
    ok_x = (x > 1) & (x < w - 1) & (y > 0) & (y < h)
    ok_y = (y > 1) & (y < h - 1) & (x > 0) & (x < w)
    xc, yc = x.clamp(1, w - 2), y.clamp(1, h - 2)
    yx, xy = y.clamp(0, h - 1), x.clamp(0, w - 1)
    dx = _at(heatmaps, yx, xc + 1) - _at(heatmaps, yx, xc - 1)
    dy = _at(heatmaps, yc + 1, xy) - _at(heatmaps, yc - 1, xy)
    zero = torch.zeros_like(dx)
    shift = torch.stack([torch.where(ok_x, dx, zero), torch.where(ok_y, dy, zero)], -1)
    keypoints = torch.stack([x, y], -1) + torch.sign(shift) * 0.25
    scale = keypoints.new_tensor([float(s) for s in codec.scale_factor])
    return keypoints * scale, scores


def simcc_decode(codec, outputs: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """``SimCCLabel.decode`` (without ``use_dark``): the best bin of each axis over the split
    ratio, score the smaller of the two maxima, -1 bins where the score is not above 0.

    Args:
        outputs: (N, K, W_x) and (N, K, W_y).
    """
    if getattr(codec, "use_dark", False):
        raise NotImplementedError("SimCCLabel(use_dark=True) has no exported decoding")
    simcc_x, simcc_y = outputs
    max_x, x = simcc_x.max(-1)
    max_y, y = simcc_y.max(-1)
    scores = torch.minimum(max_x, max_y)
    bins = torch.stack([x, y], -1).to(simcc_x.dtype)
    bins = torch.where((scores > 0)[..., None], bins, -torch.ones_like(bins))
    return bins / float(codec.simcc_split_ratio), scores


def regression_decode(codec, coords: Tensor) -> tuple[Tensor, Tensor]:
    """``RegressionLabel.decode``: normalised (N, K, 2) coordinates (or (N, K, 4) with the RLE
    sigmas, scored ``1 - mean(sigma)``) times the input size."""
    size = coords.new_tensor([float(s) for s in codec.input_size])
    if coords.size(-1) == 4:
        return coords[..., :2] * size, (1 - coords[..., 2:4]).mean(-1)
    return coords * size, torch.ones_like(coords[..., 0])


#: Codec class name -> decoding of a head's raw output.
DECODERS: dict[str, Callable[..., tuple[Tensor, Tensor]]] = {
    "MSRAHeatmap": heatmap_decode,
    "UDPHeatmap": udp_heatmap_decode,
    "SimCCLabel": simcc_decode,
    "RegressionLabel": regression_decode,
}


def decode_keypoints(codec, outputs) -> tuple[Tensor, Tensor]:
    """Decode a head's raw ``outputs`` with the exported counterpart of ``codec``."""
    name = type(codec).__name__
    if name not in DECODERS:
        raise NotImplementedError(
            f"no exported decoding for the codec {name}; codecs with one: {', '.join(DECODERS)}"
        )
    return DECODERS[name](codec, outputs)
