"""``LoadAnnotations``: read a PNG label map into ``results['gt_seg_map']`` (mmseg 1.x)."""

from __future__ import annotations

import io
from typing import Literal

import cv2
import numpy as np
from mmengine import fileio
from PIL import Image

from visionbox.core.datasets.transforms import BaseTransform

from ...registry import TRANSFORMS

__all__ = ["LoadAnnotations", "apply_label_map", "reduce_zero"]


def reduce_zero(seg: np.ndarray) -> np.ndarray:
    """Label 0 -> 255 (ignored), every other label -> label - 1 (255 stays 255)."""
    out = seg.astype(np.int64) - 1
    out[(seg == 0) | (seg == 255)] = 255
    return out.astype(seg.dtype)


def apply_label_map(seg: np.ndarray, label_map: dict[int, int]) -> np.ndarray:
    """Replace each old id by its new id in one lookup (ids outside the map stay)."""
    size = max(int(seg.max(initial=0)), max(label_map)) + 1
    table = np.arange(size, dtype=np.int64)
    for old, new in label_map.items():
        table[old] = new
    return table[seg].astype(seg.dtype)


@TRANSFORMS.register_module()
class LoadAnnotations(BaseTransform):
    """Load ``results['seg_map_path']`` as an (H, W) label map ``results['gt_seg_map']``.

    Palette PNGs give their indices (Pillow decoding by default). With ``reduce_zero_label``
    (from the transform, else from the data info) label 0 becomes 255 and the others move down
    by one; then the data info's ``label_map`` (a class subset) is applied.

    Args:
        reduce_zero_label: Override of the dataset's ``reduce_zero_label``; ``None`` follows it.
        backend_args: Arguments of the mmengine file backend.
        imdecode_backend: ``'pillow'`` or ``'cv2'``.
    """

    def __init__(
        self,
        reduce_zero_label: bool | None = None,
        backend_args: dict | None = None,
        imdecode_backend: Literal["pillow", "cv2"] = "pillow",
    ) -> None:
        if imdecode_backend not in ("pillow", "cv2"):
            raise ValueError(
                f"imdecode_backend must be 'pillow' or 'cv2', got {imdecode_backend!r}."
            )
        self.reduce_zero_label = reduce_zero_label
        self.backend_args = backend_args
        self.imdecode_backend = imdecode_backend

    def _read(self, path: str, backend_args: dict | None) -> np.ndarray:
        try:
            data = fileio.get(path, backend_args=backend_args)
        except FileNotFoundError as err:
            raise FileNotFoundError(f"Label map not found: {path}") from err
        if self.imdecode_backend == "pillow":
            try:
                with Image.open(io.BytesIO(data)) as img:
                    seg = np.array(img)
            except OSError as err:
                raise OSError(f"Cannot decode label map: {path} ({err})") from err
        else:
            seg = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
            if seg is None:
                raise OSError(f"Cannot decode label map: {path}")
        if seg.ndim == 3:
            raise ValueError(
                f"Label map {path} has {seg.shape[2]} channels; a single-channel (or palette) "
                "PNG of class indices is expected."
            )
        return seg

    def transform(self, results: dict) -> dict:
        path = results.get("seg_map_path")
        if path is None:
            raise KeyError("LoadAnnotations needs results['seg_map_path'] (set by the dataset).")
        seg = self._read(path, self.backend_args or results.get("backend_args"))
        reduce = self.reduce_zero_label
        if reduce is None:
            reduce = bool(results.get("reduce_zero_label", False))
        elif "reduce_zero_label" in results and results["reduce_zero_label"] != reduce:
            raise ValueError(
                f"LoadAnnotations(reduce_zero_label={reduce}) disagrees with the dataset's "
                f"reduce_zero_label={results['reduce_zero_label']}."
            )
        if reduce:
            seg = reduce_zero(seg)
        if results.get("label_map"):
            seg = apply_label_map(seg, results["label_map"])
        results["gt_seg_map"] = seg
        results.setdefault("seg_fields", []).append("gt_seg_map")
        return results
