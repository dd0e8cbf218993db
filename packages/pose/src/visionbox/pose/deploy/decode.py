"""Keypoint codecs' ``decode`` in PyTorch, for exported graphs: the same arithmetic as the NumPy
codecs of :mod:`visionbox.pose.codecs`, on batches.

Shape shorthand: N inputs; K keypoints; (H, W) heatmaps; W_x, W_y SimCC bins.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

__all__ = ["DECODERS", "decode_keypoints", "heatmap_decode", "simcc_decode", "regression_decode"]


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


def heatmap_decode(codec, heatmaps: Tensor) -> tuple[Tensor, Tensor]:
    """``MSRAHeatmap.decode`` (without ``unbiased``): maxima moved a quarter pixel towards the
    higher neighbour (mmpose 1.3's edge conditions), scaled to the input.

    Args:
        heatmaps: (N, K, H, W).

    Returns:
        keypoints (N, K, 2) in the input's pixels, scores (N, K).
    """
    if getattr(codec, "unbiased", False):
        raise NotImplementedError("MSRAHeatmap(unbiased=True) (DARK) has no exported decoding")
    h, w = heatmaps.shape[-2:]
    x, y, scores = _maximum(heatmaps)
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
    ratio, score the mean of the two maxima, -1 where the score is not above 0.

    Args:
        outputs: (N, K, W_x) and (N, K, W_y).
    """
    if getattr(codec, "use_dark", False):
        raise NotImplementedError("SimCCLabel(use_dark=True) has no exported decoding")
    simcc_x, simcc_y = outputs
    max_x, x = simcc_x.max(-1)
    max_y, y = simcc_y.max(-1)
    scores = 0.5 * (max_x + max_y)
    keypoints = torch.stack([x, y], -1).to(simcc_x.dtype) / float(codec.simcc_split_ratio)
    keypoints = torch.where((scores > 0)[..., None], keypoints, -torch.ones_like(keypoints))
    return keypoints, scores


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
