"""``LoadAnnotations``: instance boxes, labels and masks of a COCO data info (mmdet 3.x keys).

Writes ``gt_bboxes`` (N, 4) float32 x1y1x2y2, ``gt_bboxes_labels`` (N,) int64,
``gt_ignore_flags`` (N,) bool and ``gt_masks`` (``BitmapMasks`` with ``poly2mask``, else
``PolygonMasks``).
"""

from __future__ import annotations

import warnings

import numpy as np
from pycocotools import mask as mask_utils

from visionbox.core.datasets import BaseTransform
from visionbox.core.structures import BitmapMasks, PolygonMasks

from ...registry import TRANSFORMS

__all__ = ["LoadAnnotations", "poly2mask"]


def poly2mask(mask_ann: list | dict, img_h: int, img_w: int) -> np.ndarray:
    """(H, W) uint8 mask of COCO polygons, uncompressed RLE or compressed RLE."""
    if isinstance(mask_ann, list):
        rle = mask_utils.merge(mask_utils.frPyObjects(mask_ann, img_h, img_w))
    elif isinstance(mask_ann.get("counts"), list):
        rle = mask_utils.frPyObjects(mask_ann, img_h, img_w)
    else:
        rle = mask_ann
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return mask_utils.decode(rle).astype(np.uint8)


@TRANSFORMS.register_module()
class LoadAnnotations(BaseTransform):
    """Load the annotations of ``results['instances']``.

    Args:
        with_bbox: Load ``gt_bboxes`` and ``gt_ignore_flags``.
        with_label: Load ``gt_bboxes_labels``.
        with_mask: Load ``gt_masks``.
        with_seg: Only ``False`` (semantic maps belong to the segmentation package).
        poly2mask: Rasterise masks to ``BitmapMasks``; else keep ``PolygonMasks`` (an RLE
            instance then becomes an ignored empty polygon, as in mmdet).
        box_type: Only ``'hbox'`` (plain arrays).
        reduce_zero_label / ignore_index / imdecode_backend: Kept for mmdet configs.
        backend_args: Kept for mmdet configs.
    """

    def __init__(
        self,
        with_bbox: bool = True,
        with_label: bool = True,
        with_mask: bool = False,
        with_seg: bool = False,
        poly2mask: bool = True,
        box_type: str | None = "hbox",
        reduce_zero_label: bool = False,
        ignore_index: int = 255,
        imdecode_backend: str = "cv2",
        backend_args: dict | None = None,
    ) -> None:
        if with_seg:
            raise ValueError("LoadAnnotations(with_seg=True) is not supported by detection")
        if box_type not in ("hbox", None):
            raise ValueError(f"box_type must be 'hbox', got {box_type!r}")
        self.with_bbox = with_bbox
        self.with_label = with_label
        self.with_mask = with_mask
        self.with_seg = with_seg
        self.poly2mask = poly2mask
        self.box_type = box_type
        self.reduce_zero_label = reduce_zero_label
        self.ignore_index = ignore_index
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        instances = results.get("instances")
        if instances is None:
            raise KeyError(
                "LoadAnnotations needs results['instances'] (a detection dataset's data info); "
                f"got keys {sorted(results)}"
            )
        if self.with_bbox:
            boxes = [inst["bbox"] for inst in instances]
            results["gt_bboxes"] = np.array(boxes, dtype=np.float32).reshape(-1, 4)
            results["gt_ignore_flags"] = np.array(
                [bool(inst.get("ignore_flag", 0)) for inst in instances], dtype=bool
            )
        if self.with_label:
            results["gt_bboxes_labels"] = np.array(
                [inst["bbox_label"] for inst in instances], dtype=np.int64
            )
        if self.with_mask:
            results["gt_masks"] = self._masks(results, instances)
        return results

    def _masks(self, results: dict, instances: list[dict]):
        shape = results.get("ori_shape") or (results["height"], results["width"])
        h, w = int(shape[0]), int(shape[1])
        if self.poly2mask:
            masks = [
                poly2mask(inst["mask"], h, w) if inst.get("mask") else np.zeros((h, w), np.uint8)
                for inst in instances
            ]
            return BitmapMasks(masks, h, w)
        polygons = []
        for i, inst in enumerate(instances):
            ann = inst.get("mask")
            polys = []
            if isinstance(ann, list):
                polys = [np.asarray(p, float) for p in ann if len(p) % 2 == 0 and len(p) >= 6]
            if not polys:
                # An RLE or empty annotation cannot be a polygon: ignore the instance.
                polys = [np.zeros(6)]
                if "gt_ignore_flags" in results:
                    results["gt_ignore_flags"][i] = True
            polygons.append(polys)
        return PolygonMasks(polygons, h, w)
