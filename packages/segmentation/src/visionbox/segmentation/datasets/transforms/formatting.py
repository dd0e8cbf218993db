"""``PackSegInputs``: the last step of a segmentation pipeline (mmseg 1.x)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmengine.structures import PixelData

from visionbox.core.datasets.transforms import BaseTransform
from visionbox.core.datasets.transforms.formatting import image_to_tensor

from ...registry import TRANSFORMS
from ...structures import SegDataSample

__all__ = ["PackSegInputs"]


@TRANSFORMS.register_module()
class PackSegInputs(BaseTransform):
    """Pack ``img`` as a (C, H, W) tensor and ``gt_seg_map`` as ``gt_sem_seg`` (1, H, W) int64 in
    a :class:`SegDataSample`, with the ``meta_keys`` present in its metainfo.

    Args:
        meta_keys: Keys copied into the metainfo.
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = (
            "img_path",
            "seg_map_path",
            "ori_shape",
            "img_shape",
            "pad_shape",
            "scale_factor",
            "flip",
            "flip_direction",
            "reduce_zero_label",
        ),
    ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        packed: dict = {}
        if "img" in results:
            packed["inputs"] = image_to_tensor(results["img"])
        sample = SegDataSample()
        seg = results.get("gt_seg_map")
        if seg is not None:
            if seg.ndim != 2:
                raise ValueError(f"gt_seg_map must be (H, W), got shape {seg.shape}.")
            data = torch.from_numpy(np.ascontiguousarray(seg[None]).astype(np.int64))
            sample.gt_sem_seg = PixelData(data=data)
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        packed["data_samples"] = sample
        return packed
