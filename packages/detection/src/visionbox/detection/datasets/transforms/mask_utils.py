"""Instance masks of the mixing and affine transforms: core's :class:`BitmapMasks` (N, H, W)
and :class:`PolygonMasks` (flat ``x0 y0 x1 y1 ...`` pixel coordinates), moved with the pixels.

Bitmaps are moved with the same integer crops, pastes and nearest-neighbour warps as the image;
polygons have their coordinates mapped and clipped to the output, as mmdet does.
"""

from __future__ import annotations

import cv2
import numpy as np

from visionbox.core.structures import BitmapMasks, PolygonMasks

__all__ = ["check_masks", "concat_masks", "paste_masks", "warp_masks"]

Masks = BitmapMasks | PolygonMasks


def check_masks(results: dict, where: str) -> Masks:
    """``results['gt_masks']``, checked to be core's masks of the image's size, one per box.

    Raises:
        KeyError / TypeError / ValueError: naming the transform and what is wrong.
    """
    masks = results.get("gt_masks")
    if masks is None:
        raise KeyError(
            f"{where}: one image has gt_masks and another has none; load masks for every image "
            "(LoadAnnotations(with_mask=True))."
        )
    if not isinstance(masks, (BitmapMasks, PolygonMasks)):
        raise TypeError(f"{where}: gt_masks must be BitmapMasks or PolygonMasks, got {type(masks)}")
    h, w = results["img"].shape[:2]
    if (masks.height, masks.width) != (h, w):
        raise ValueError(
            f"{where}: gt_masks are {masks.height}x{masks.width} but the image is {h}x{w}."
        )
    num = len(np.asarray(results.get("gt_bboxes", np.zeros((0, 4)))).reshape(-1, 4))
    if len(masks) != num:
        raise ValueError(f"{where}: {len(masks)} gt_masks for {num} gt_bboxes.")
    return masks


def paste_masks(masks: Masks, canvas_hw: tuple[int, int], x: int, y: int) -> Masks:
    """Masks placed with their top-left corner at ``(x, y)`` of a ``canvas_hw`` output (the part
    outside the canvas is cut off)."""
    ch, cw = canvas_hw
    if isinstance(masks, BitmapMasks):
        out = np.zeros((len(masks), ch, cw), np.uint8)
        h, w = min(masks.height, ch - y), min(masks.width, cw - x)
        out[:, y : y + h, x : x + w] = masks.masks[:, :h, :w]
        return BitmapMasks(out, ch, cw)
    offset = np.array([x, y], np.float64)
    limit = np.array([cw, ch], np.float64)
    moved = [
        [np.clip(p.reshape(-1, 2) + offset, 0, limit).reshape(-1) for p in obj] for obj in masks
    ]
    return PolygonMasks(moved, ch, cw)


def warp_masks(masks: Masks, matrix: np.ndarray, out_hw: tuple[int, int]) -> Masks:
    """Masks under the 3x3 homography ``matrix`` (image -> output), in an ``out_hw`` output."""
    h, w = out_hw
    if isinstance(masks, BitmapMasks):
        out = np.zeros((len(masks), h, w), np.uint8)
        for start in range(0, len(masks), 512):  # OpenCV warps at most 512 channels at once
            chunk = np.ascontiguousarray(masks.masks[start : start + 512].transpose(1, 2, 0))
            warped = cv2.warpPerspective(
                chunk, matrix, dsize=(w, h), flags=cv2.INTER_NEAREST, borderValue=0
            )
            out[start : start + 512] = warped.reshape(h, w, -1).transpose(2, 0, 1)
        return BitmapMasks(out, h, w)
    m = np.asarray(matrix, np.float64)
    limit = np.array([w, h], np.float64)

    def warp(p: np.ndarray) -> np.ndarray:
        pts = np.concatenate([p.reshape(-1, 2), np.ones((len(p) // 2, 1))], 1) @ m.T
        return np.clip(pts[:, :2] / pts[:, 2:3], 0, limit).reshape(-1)

    return PolygonMasks([[warp(p) for p in obj] for obj in masks], h, w)


def concat_masks(parts: list[Masks]) -> Masks:
    """One mask set of all ``parts`` (same size); polygons become bitmaps when types mix."""
    h, w = parts[0].height, parts[0].width
    if all(isinstance(p, PolygonMasks) for p in parts):
        return PolygonMasks([obj for p in parts for obj in p], h, w)
    bitmaps = [p.to_bitmap() if isinstance(p, PolygonMasks) else p for p in parts]
    return BitmapMasks(np.concatenate([b.masks for b in bitmaps], 0), h, w)
