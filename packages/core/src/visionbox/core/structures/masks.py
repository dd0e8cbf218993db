"""Instance masks: dense bitmaps and polygons, with the geometric operations of the transforms.

Shape shorthand: N instances, H x W image, P points of a polygon. Both classes share the method
names of mmdet 3.x (``rescale``, ``resize``, ``flip``, ``pad``, ``crop``, ``to_ndarray``,
``to_tensor``, ``areas``, ``get_bboxes``) so that code written for mmdet reads the same here.
Polygon coordinates are continuous pixels: a horizontal flip maps ``x`` to ``width - x``, as for
boxes.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import cv2
import numpy as np
import torch

__all__ = ["BitmapMasks", "PolygonMasks", "FlipDirection", "rescale_size"]

FlipDirection = Literal["horizontal", "vertical", "diagonal"]
_FLIPS = ("horizontal", "vertical", "diagonal")
_INTERPOLATIONS = {
    "nearest": cv2.INTER_NEAREST,
    "bilinear": cv2.INTER_LINEAR,
    "bicubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA,
    "lanczos": cv2.INTER_LANCZOS4,
}


def rescale_size(old_wh: tuple[int, int], scale: float | tuple[int, int]) -> tuple[int, int]:
    """Size ``(w, h)`` that fits ``old_wh`` into ``scale`` keeping the aspect ratio.

    ``scale`` is a factor or ``(long_edge, short_edge)`` bounds in any order, as in mmcv.
    """
    w, h = old_wh
    if isinstance(scale, (int, float)):
        if scale <= 0:
            raise ValueError(f"Invalid scale {scale}, must be positive.")
        factor = float(scale)
    else:
        long_edge, short_edge = max(scale), min(scale)
        factor = min(long_edge / max(h, w), short_edge / min(h, w))
    return int(w * factor + 0.5), int(h * factor + 0.5)


def _check_direction(direction: str) -> None:
    if direction not in _FLIPS:
        raise ValueError(f"flip direction must be one of {_FLIPS}, got {direction!r}.")


class BitmapMasks:
    """Binary masks of N instances as one ``(N, H, W)`` uint8 array."""

    def __init__(self, masks: np.ndarray | Sequence[np.ndarray], height: int, width: int) -> None:
        self.height = int(height)
        self.width = int(width)
        if len(masks) == 0:
            self.masks = np.zeros((0, self.height, self.width), dtype=np.uint8)
        else:
            arr = np.stack(list(masks)) if not isinstance(masks, np.ndarray) else masks
            if arr.ndim != 3 or arr.shape[1:] != (self.height, self.width):
                raise ValueError(
                    f"BitmapMasks expects (N, {self.height}, {self.width}) masks, got {arr.shape}."
                )
            self.masks = arr.astype(np.uint8, copy=False)

    def __len__(self) -> int:
        return len(self.masks)

    def __getitem__(self, index) -> BitmapMasks:
        masks = self.masks[index].reshape(-1, self.height, self.width)
        return BitmapMasks(masks, self.height, self.width)

    def __iter__(self):
        return iter(self.masks)

    def __repr__(self) -> str:
        return f"BitmapMasks(num_masks={len(self)}, height={self.height}, width={self.width})"

    def rescale(
        self, scale: float | tuple[int, int], interpolation: str = "nearest"
    ) -> BitmapMasks:
        """Resize keeping the aspect ratio (``scale`` as in :func:`rescale_size`)."""
        new_w, new_h = rescale_size((self.width, self.height), scale)
        return self.resize((new_h, new_w), interpolation)

    def resize(self, out_shape: tuple[int, int], interpolation: str = "nearest") -> BitmapMasks:
        """Resize to ``out_shape = (h, w)``."""
        h, w = int(out_shape[0]), int(out_shape[1])
        if len(self) == 0:
            return BitmapMasks(np.zeros((0, h, w), np.uint8), h, w)
        flag = _INTERPOLATIONS[interpolation]
        # cv2 resizes up to 512 channels at once: (H, W, N) layout, chunked.
        out = np.empty((len(self), h, w), dtype=np.uint8)
        for start in range(0, len(self), 512):
            chunk = np.ascontiguousarray(self.masks[start : start + 512].transpose(1, 2, 0))
            res = cv2.resize(chunk, (w, h), interpolation=flag)
            out[start : start + 512] = res.reshape(h, w, -1).transpose(2, 0, 1)
        return BitmapMasks(out, h, w)

    def flip(self, flip_direction: FlipDirection = "horizontal") -> BitmapMasks:
        """Flip along the given direction."""
        _check_direction(flip_direction)
        masks = self.masks
        if flip_direction in ("horizontal", "diagonal"):
            masks = masks[:, :, ::-1]
        if flip_direction in ("vertical", "diagonal"):
            masks = masks[:, ::-1, :]
        return BitmapMasks(np.ascontiguousarray(masks), self.height, self.width)

    def pad(self, out_shape: tuple[int, int], pad_val: int = 0) -> BitmapMasks:
        """Pad at the bottom and right to ``out_shape = (h, w)``."""
        h, w = int(out_shape[0]), int(out_shape[1])
        out = np.full((len(self), h, w), pad_val, dtype=np.uint8)
        out[:, : self.height, : self.width] = self.masks[:, :h, :w]
        return BitmapMasks(out, h, w)

    def crop(self, bbox: np.ndarray) -> BitmapMasks:
        """Crop to ``bbox = [x1, y1, x2, y2]`` (integer pixels, clipped to the image)."""
        x1, y1, x2, y2 = _clip_crop_box(bbox, self.height, self.width)
        masks = self.masks[:, y1:y2, x1:x2]
        return BitmapMasks(np.ascontiguousarray(masks), y2 - y1, x2 - x1)

    @property
    def areas(self) -> np.ndarray:
        """(N,) pixel count of each mask."""
        return self.masks.reshape(len(self), -1).sum(axis=1).astype(np.float64)

    def to_ndarray(self) -> np.ndarray:
        """(N, H, W) uint8 array."""
        return self.masks

    def to_tensor(self, dtype: torch.dtype, device: str | torch.device = "cpu") -> torch.Tensor:
        """(N, H, W) tensor."""
        return torch.as_tensor(self.masks, dtype=dtype, device=device)

    def get_bboxes(self) -> np.ndarray:
        """(N, 4) float32 x1y1x2y2 boxes that enclose each mask (zeros for empty masks)."""
        boxes = np.zeros((len(self), 4), dtype=np.float32)
        if len(self) == 0:
            return boxes
        cols = self.masks.any(axis=1)  # (N, W)
        rows = self.masks.any(axis=2)  # (N, H)
        nonempty = cols.any(axis=1)
        boxes[:, 0] = cols.argmax(axis=1)
        boxes[:, 2] = self.width - cols[:, ::-1].argmax(axis=1)
        boxes[:, 1] = rows.argmax(axis=1)
        boxes[:, 3] = self.height - rows[:, ::-1].argmax(axis=1)
        boxes[~nonempty] = 0
        return boxes


class PolygonMasks:
    """Polygons of N instances: ``masks[i]`` is a list of flat (2P,) arrays ``x0 y0 x1 y1 ...``."""

    def __init__(self, masks: Sequence[Sequence[np.ndarray]], height: int, width: int) -> None:
        self.height = int(height)
        self.width = int(width)
        self.masks = [[np.asarray(p, dtype=np.float64).reshape(-1) for p in obj] for obj in masks]
        for i, obj in enumerate(self.masks):
            for poly in obj:
                if poly.size % 2 or poly.size < 6:
                    raise ValueError(
                        f"PolygonMasks: polygon of instance {i} has {poly.size} coordinates; "
                        "a polygon needs an even number, at least 6 (3 points)."
                    )

    def __len__(self) -> int:
        return len(self.masks)

    def __getitem__(self, index) -> PolygonMasks:
        if isinstance(index, (int, np.integer)):
            selected = [self.masks[index]]
        elif isinstance(index, np.ndarray) and index.dtype == bool:
            selected = [m for m, keep in zip(self.masks, index) if keep]
        else:
            idx = range(len(self))[index] if isinstance(index, slice) else index
            selected = [self.masks[int(i)] for i in idx]
        return PolygonMasks(selected, self.height, self.width)

    def __iter__(self):
        return iter(self.masks)

    def __repr__(self) -> str:
        return f"PolygonMasks(num_masks={len(self)}, height={self.height}, width={self.width})"

    def _map(self, fn) -> list[list[np.ndarray]]:
        return [[fn(p) for p in obj] for obj in self.masks]

    def rescale(
        self, scale: float | tuple[int, int], interpolation: str = "nearest"
    ) -> PolygonMasks:
        """Resize keeping the aspect ratio (``scale`` as in :func:`rescale_size`)."""
        new_w, new_h = rescale_size((self.width, self.height), scale)
        return self.resize((new_h, new_w), interpolation)

    def resize(self, out_shape: tuple[int, int], interpolation: str = "nearest") -> PolygonMasks:
        """Scale the coordinates to ``out_shape = (h, w)``."""
        h, w = int(out_shape[0]), int(out_shape[1])
        factors = np.array([w / self.width, h / self.height])

        def scale(p: np.ndarray) -> np.ndarray:
            return (p.reshape(-1, 2) * factors).reshape(-1)

        return PolygonMasks(self._map(scale), h, w)

    def flip(self, flip_direction: FlipDirection = "horizontal") -> PolygonMasks:
        """Flip along the given direction."""
        _check_direction(flip_direction)
        w, h = self.width, self.height

        def flip(p: np.ndarray) -> np.ndarray:
            q = p.copy()
            if flip_direction in ("horizontal", "diagonal"):
                q[0::2] = w - q[0::2]
            if flip_direction in ("vertical", "diagonal"):
                q[1::2] = h - q[1::2]
            return q

        return PolygonMasks(self._map(flip), h, w)

    def pad(self, out_shape: tuple[int, int], pad_val: int = 0) -> PolygonMasks:
        """Pad at the bottom and right: coordinates are unchanged."""
        return PolygonMasks(self.masks, out_shape[0], out_shape[1])

    def crop(self, bbox: np.ndarray) -> PolygonMasks:
        """Crop to ``bbox = [x1, y1, x2, y2]``: shift and clip the coordinates."""
        x1, y1, x2, y2 = _clip_crop_box(bbox, self.height, self.width)
        w, h = x2 - x1, y2 - y1

        def crop(p: np.ndarray) -> np.ndarray:
            q = p.copy()
            q[0::2] = np.clip(q[0::2] - x1, 0, w)
            q[1::2] = np.clip(q[1::2] - y1, 0, h)
            return q

        return PolygonMasks(self._map(crop), h, w)

    @property
    def areas(self) -> np.ndarray:
        """(N,) area of each instance (shoelace formula, summed over its polygons)."""
        out = np.zeros(len(self), dtype=np.float64)
        for i, obj in enumerate(self.masks):
            for p in obj:
                x, y = p[0::2], p[1::2]
                out[i] += 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
        return out

    def to_bitmap(self) -> BitmapMasks:
        """Rasterise to :class:`BitmapMasks` as COCO does (pycocotools)."""
        from pycocotools import mask as mask_utils

        out = np.zeros((len(self), self.height, self.width), dtype=np.uint8)
        for i, obj in enumerate(self.masks):
            if obj:
                rles = mask_utils.frPyObjects([p.tolist() for p in obj], self.height, self.width)
                with warnings.catch_warnings():  # pycocotools' NumPy 2 copy= notice
                    warnings.simplefilter("ignore", DeprecationWarning)
                    out[i] = mask_utils.decode(mask_utils.merge(rles))
        return BitmapMasks(out, self.height, self.width)

    def to_ndarray(self) -> np.ndarray:
        """(N, H, W) uint8 array of the rasterised polygons."""
        return self.to_bitmap().masks

    def to_tensor(self, dtype: torch.dtype, device: str | torch.device = "cpu") -> torch.Tensor:
        """(N, H, W) tensor of the rasterised polygons."""
        return torch.as_tensor(self.to_ndarray(), dtype=dtype, device=device)

    def get_bboxes(self) -> np.ndarray:
        """(N, 4) float32 x1y1x2y2 boxes that enclose each instance's polygons."""
        boxes = np.zeros((len(self), 4), dtype=np.float32)
        for i, obj in enumerate(self.masks):
            if obj:
                pts = np.concatenate(obj).reshape(-1, 2)
                boxes[i] = [*pts.min(axis=0), *pts.max(axis=0)]
        return boxes


def _clip_crop_box(bbox: np.ndarray, height: int, width: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (int(v) for v in np.asarray(bbox).reshape(4))
    x1, x2 = np.clip([x1, x2], 0, width)
    y1, y2 = np.clip([y1, y2], 0, height)
    if x2 <= x1 or y2 <= y1:
        raise ValueError(
            f"Empty crop box {list(np.asarray(bbox).reshape(4))} for {width}x{height}."
        )
    return int(x1), int(y1), int(x2), int(y2)
