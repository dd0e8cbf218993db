"""``TopdownAffine``: warp each instance's box to the model input (optionally with UDP)."""

from __future__ import annotations

import cv2
import numpy as np

from visionbox.core.datasets.transforms import BaseTransform

from ...registry import TRANSFORMS
from ...structures import fix_aspect_ratio, get_udp_warp_matrix, get_warp_matrix

__all__ = ["TopdownAffine"]


@TRANSFORMS.register_module()
class TopdownAffine(BaseTransform):
    """Crop the (single) box with its rotation to ``input_size`` by an affine warp.

    Sets ``img`` (h, w, 3), ``transformed_keypoints``, ``input_size`` (w, h), ``input_center``
    and ``input_scale`` (the box after fixing its aspect ratio to w / h). ``img_shape`` keeps the
    source image's (h, w), as in mmpose 1.3.

    Args:
        input_size: (w, h) of the model input.
        use_udp: The unbiased warp of UDP (box ends on the first and last pixels).
    """

    def __init__(self, input_size: tuple[int, int], use_udp: bool = False) -> None:
        if len(input_size) != 2:
            raise ValueError(f"input_size must be (w, h); got {input_size}.")
        self.input_size = tuple(int(s) for s in input_size)
        self.use_udp = use_udp

    def transform(self, results: dict) -> dict:
        w, h = self.input_size
        if len(results["bbox_center"]) != 1:
            raise ValueError("TopdownAffine works on one instance per sample (top-down mode).")
        results["bbox_scale"] = fix_aspect_ratio(results["bbox_scale"], aspect_ratio=w / h)
        center = results["bbox_center"][0]
        scale = results["bbox_scale"][0]
        rot = float(results["bbox_rotation"][0]) if "bbox_rotation" in results else 0.0
        if self.use_udp:
            warp = get_udp_warp_matrix(center, scale, rot, output_size=(w, h))
        else:
            warp = get_warp_matrix(center, scale, rot, output_size=(w, h))
        results["img"] = cv2.warpAffine(results["img"], warp, (w, h), flags=cv2.INTER_LINEAR)
        if results.get("keypoints") is not None:
            kpts = np.asarray(results["keypoints"], np.float32)
            transformed = kpts.copy()
            transformed[..., :2] = cv2.transform(np.ascontiguousarray(kpts[..., :2]), warp)
            results["transformed_keypoints"] = transformed
        # ``img_shape`` stays the source image's (h, w), as in mmpose; the input is input_size.
        results["input_size"] = (w, h)
        results["input_center"] = center
        results["input_scale"] = scale
        return results
