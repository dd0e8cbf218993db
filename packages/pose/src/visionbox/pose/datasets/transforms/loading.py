"""``LoadImage``: load ``img_path`` (or keep an ``img`` already in the results)."""

from __future__ import annotations

import numpy as np

from visionbox.core.datasets.transforms import LoadImageFromFile

from ...registry import TRANSFORMS

__all__ = ["LoadImage"]


@TRANSFORMS.register_module()
class LoadImage(LoadImageFromFile):
    """Core's ``LoadImageFromFile`` that also accepts ``results['img']`` (an (H, W, 3) array, as
    inference on in-memory images gives), as mmpose's ``LoadImage``. Arguments as
    ``LoadImageFromFile``."""

    def transform(self, results: dict) -> dict | None:
        img = results.get("img")
        if isinstance(img, np.ndarray):
            if self.to_float32:
                img = img.astype(np.float32)
            results["img"] = img
            results["img_path"] = results.get("img_path")
            results["img_shape"] = img.shape[:2]
            results["ori_shape"] = img.shape[:2]
            return results
        return super().transform(results)
