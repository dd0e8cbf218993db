"""Headless drawing on RGB uint8 arrays with OpenCV: boxes, labels, masks, label maps, keypoints.

Shape shorthand: N instances, K keypoints, H x W image. Colours are RGB tuples.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

__all__ = ["color_for", "draw_bboxes", "draw_texts", "draw_masks", "draw_sem_seg", "draw_keypoints"]

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def color_for(index: int, palette: Sequence[Sequence[int]] | None = None) -> tuple[int, int, int]:
    """The palette's colour of ``index``, or a fixed, well-spread colour."""
    if palette:
        return tuple(int(c) for c in palette[index % len(palette)])
    hue = (index * 47) % 180
    hsv = np.array([[[hue, 220, 240]]], np.uint8)
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])


def draw_bboxes(
    img: np.ndarray, bboxes: np.ndarray, colors: Sequence[tuple], width: int = 2
) -> None:
    """Draw (N, 4) x1y1x2y2 boxes on ``img`` in place."""
    for box, color in zip(np.asarray(bboxes).reshape(-1, 4), colors):
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(img, (x1, y1), (x2, y2), color, width, cv2.LINE_AA)


def draw_texts(
    img: np.ndarray,
    texts: Sequence[str],
    positions: np.ndarray,
    colors: Sequence[tuple],
    scale: float = 0.4,
) -> None:
    """Draw labels on filled boxes whose top-left corners are (N, 2) ``positions``."""
    h, w = img.shape[:2]
    for text, (x, y), color in zip(texts, np.asarray(positions).reshape(-1, 2), colors):
        (tw, th), base = cv2.getTextSize(text, _FONT, scale, 1)
        x = int(min(max(x, 0), max(w - tw, 0)))
        y = int(min(max(y, th + base), h))
        cv2.rectangle(img, (x, y - th - base), (x + tw, y), color, -1)
        luminance = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]
        ink = (0, 0, 0) if luminance > 128 else (255, 255, 255)
        cv2.putText(img, text, (x, y - base), _FONT, scale, ink, 1, cv2.LINE_AA)


def draw_masks(
    img: np.ndarray, masks: np.ndarray, colors: Sequence[tuple], alpha: float = 0.5
) -> None:
    """Blend (N, H, W) binary masks into ``img`` in place."""
    for mask, color in zip(np.asarray(masks).astype(bool), colors):
        img[mask] = (img[mask] * (1 - alpha) + np.asarray(color) * alpha).astype(np.uint8)


def draw_sem_seg(
    img: np.ndarray,
    sem_seg: np.ndarray,
    palette: Sequence[Sequence[int]] | None,
    alpha: float = 0.5,
    ignore_index: int = 255,
) -> None:
    """Blend an (H, W) label map into ``img`` in place (``ignore_index`` pixels are left)."""
    labels = np.asarray(sem_seg).astype(np.int64)
    valid = labels != ignore_index
    ids = np.unique(labels[valid])
    lut = np.zeros((int(ids.max()) + 1 if ids.size else 1, 3), np.float32)
    for i in ids:
        lut[i] = color_for(int(i), palette)
    blended = img.astype(np.float32)
    blended[valid] = blended[valid] * (1 - alpha) + lut[labels[valid]] * alpha
    img[...] = blended.astype(np.uint8)


def draw_keypoints(
    img: np.ndarray,
    keypoints: np.ndarray,
    visible: np.ndarray | None,
    skeleton: Sequence[Sequence[int]] | None,
    color: tuple,
    kpt_colors: Sequence[tuple] | None = None,
    radius: int = 3,
    thr: float = 0.3,
) -> None:
    """Draw (N, K, 2) keypoints whose (N, K) visibility or score exceeds ``thr``, with links."""
    kpts = np.asarray(keypoints, dtype=np.float64).reshape(-1, np.asarray(keypoints).shape[-2], 2)
    vis = (
        np.ones(kpts.shape[:2])
        if visible is None
        else np.asarray(visible, dtype=np.float64).reshape(kpts.shape[:2])
    )
    for points, v in zip(kpts, vis):
        for a, b in skeleton or ():
            if v[a] > thr and v[b] > thr:
                pa, pb = np.round(points[[a, b]]).astype(int)
                cv2.line(img, tuple(pa), tuple(pb), color, 2, cv2.LINE_AA)
        for k, (p, vk) in enumerate(zip(points, v)):
            if vk > thr:
                c = kpt_colors[k % len(kpt_colors)] if kpt_colors else color
                cv2.circle(img, tuple(np.round(p).astype(int)), radius, c, -1, cv2.LINE_AA)
