"""Drawing primitives of VisionBox Shapes: textured backgrounds, shape polygons, placement, file IO.

Everything is drawn with NumPy and OpenCV from a ``numpy.random.Generator``, so the same seed gives
the same pixels; files are written with fixed settings (PNG, JPEG quality 95, compact JSON), so the
same seed gives byte-identical files.
"""

from __future__ import annotations

import json
import os
from typing import Any

import cv2
import numpy as np

__all__ = [
    "CLASSES",
    "CLASS_COLORS",
    "PALETTE",
    "rng_for",
    "textured_background",
    "shape_polygon",
    "fill_polygon",
    "polygon_mask",
    "place_boxes",
    "write_jpeg",
    "write_png",
    "write_json",
    "polygon_area",
    "jitter_color",
]

#: Object classes, in category-id order (COCO ids are 1-based, label maps use 1..5, 0 = background).
CLASSES = ("circle", "square", "triangle", "star", "cross")
#: BGR colour of each class: distinct hues, so that every class is easy to learn.
CLASS_COLORS = ((40, 40, 220), (40, 200, 40), (220, 90, 30), (30, 210, 235), (200, 40, 200))
#: RGB palette of the classes (for visualisation), matching ``CLASS_COLORS``.
PALETTE = tuple(tuple(reversed(c)) for c in CLASS_COLORS)

_TASK_IDS = {"detection": 1, "segmentation": 2, "pose": 3, "pose3d": 4, "mot": 5, "sot": 6}
_SPLIT_IDS = {"train": 0, "val": 1}


def rng_for(seed: int, task: str, split: str, index: int) -> np.random.Generator:
    """Independent generator of one image or sequence (unchanged when other counts change)."""
    return np.random.default_rng([seed, _TASK_IDS[task], _SPLIT_IDS[split], index])


def textured_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A muted, low-saturation (H, W, 3) uint8 texture: smooth blobs, stripes and grain."""
    base = rng.uniform(85, 165)
    tint = rng.uniform(-12, 12, size=3)
    coarse = rng.random((height // 32 + 3, width // 32 + 3)).astype(np.float32)
    blobs = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    theta = rng.uniform(0, np.pi)
    freq = rng.uniform(0.08, 0.3)
    stripes = np.sin(freq * (xx * np.cos(theta) + yy * np.sin(theta)))
    gray = base + 45 * (blobs - 0.5) + rng.uniform(4, 12) * stripes
    img = gray[..., None] + tint[None, None, :]
    img = img + rng.normal(0, 5, size=(height, width, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _template(cls: str) -> np.ndarray:
    if cls == "circle":
        t = np.linspace(0, 2 * np.pi, 32, endpoint=False)
        return np.stack([np.cos(t), np.sin(t)], 1)
    if cls == "square":
        return np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float) * 0.75
    if cls == "triangle":
        t = -np.pi / 2 + np.arange(3) * 2 * np.pi / 3
        return np.stack([np.cos(t), np.sin(t) + 0.2], 1)
    if cls == "star":
        t = -np.pi / 2 + np.arange(10) * np.pi / 5
        r = np.where(np.arange(10) % 2 == 0, 1.0, 0.45)
        return np.stack([r * np.cos(t), r * np.sin(t)], 1)
    if cls == "cross":
        a, b = 0.3, 0.95
        return np.array(
            [
                [-a, -b],
                [a, -b],
                [a, -a],
                [b, -a],
                [b, a],
                [a, a],
                [a, b],
                [-a, b],
                [-a, a],
                [-b, a],
                [-b, -a],
                [-a, -a],
            ],
            float,
        )
    raise ValueError(f"Unknown shape class {cls!r}; known: {CLASSES}.")


def shape_polygon(cls: str, cx: float, cy: float, size: float, angle: float = 0.0) -> np.ndarray:
    """(P, 2) polygon of a shape of diameter ``size`` centred at ``(cx, cy)``, turned ``angle``."""
    pts = _template(cls) * (size / 2)
    c, s = np.cos(angle), np.sin(angle)
    pts = pts @ np.array([[c, s], [-s, c]])
    return pts + np.array([cx, cy])


def fill_polygon(img: np.ndarray, polygon: np.ndarray, color: Any) -> None:
    """Fill ``polygon`` (P, 2) on ``img`` in place (1/16-pixel precision)."""
    pts = np.round(polygon * 16).astype(np.int32)
    cv2.fillPoly(img, [pts], color, lineType=cv2.LINE_8, shift=4)


def polygon_mask(polygon: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W) uint8 mask of ``polygon``, rasterised exactly as :func:`fill_polygon` draws it."""
    mask = np.zeros((height, width), np.uint8)
    fill_polygon(mask, polygon, 1)
    return mask


def polygon_area(polygon: np.ndarray) -> float:
    """Area of a (P, 2) polygon (shoelace formula)."""
    x, y = polygon[:, 0], polygon[:, 1]
    return float(0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def place_boxes(
    rng: np.random.Generator,
    sizes: np.ndarray,
    height: int,
    width: int,
    margin: float = 4.0,
    tries: int = 60,
    taken: list[np.ndarray] | None = None,
) -> list[np.ndarray]:
    """Centres for square objects of the given sizes that do not overlap (and stay in the image).

    Returns (2,) centres for the objects that fit; objects that find no place are dropped.
    """
    taken = [] if taken is None else list(taken)  # x1 y1 x2 y2
    centres = []
    for size in sizes:
        half = size / 2 + margin
        for _ in range(tries):
            cx = rng.uniform(half, width - half)
            cy = rng.uniform(half, height - half)
            box = np.array([cx - half, cy - half, cx + half, cy + half])
            if all(
                box[0] >= t[2] or box[2] <= t[0] or box[1] >= t[3] or box[3] <= t[1] for t in taken
            ):
                taken.append(box)
                centres.append(np.array([cx, cy]))
                break
        else:
            centres.append(None)
    return centres


def _makedirs(path: str) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)


def write_jpeg(path: str, img: np.ndarray, quality: int = 95) -> None:
    """Write a BGR image as JPEG (deterministic for the same pixels)."""
    _makedirs(path)
    if not cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, quality]):
        raise OSError(f"Cannot write image: {path}")


def write_png(path: str, img: np.ndarray) -> None:
    """Write an image or label map as PNG."""
    _makedirs(path)
    if not cv2.imwrite(path, img, [cv2.IMWRITE_PNG_COMPRESSION, 3]):
        raise OSError(f"Cannot write image: {path}")


def write_json(path: str, obj: Any) -> None:
    """Write compact JSON with a trailing newline."""
    _makedirs(path)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def jitter_color(rng: np.random.Generator, color: tuple[int, int, int], amount: int = 18) -> tuple:
    """``color`` with a small random offset per channel."""
    c = np.clip(np.asarray(color) + rng.integers(-amount, amount + 1, size=3), 0, 255)
    return tuple(int(v) for v in c)
