"""Formatting: ``ImageToTensor`` and ``PackInputs``, the last step of a pipeline.

``PackInputs`` turns a results dict into ``dict(inputs=..., data_samples=...)``: the image as a
(C, H, W) tensor and a ``BaseDataSample``. Instance annotations go to ``gt_instances`` (``bboxes``
(N, 4), ``labels`` (N,), ``masks``, ``keypoints`` (N, K, 2), ``keypoints_visible`` (N, K),
``instances_id`` (N,)); instances flagged in ``gt_ignore_flags`` to ``ignored_instances``; the
segmentation map to ``gt_sem_seg`` (1, H, W); the ``meta_keys`` to the metainfo. Task packages add
their own packers for task-specific fields.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData, PixelData

from ...registry import TRANSFORMS
from ...structures import BaseDataSample
from .base import BaseTransform

__all__ = ["ImageToTensor", "PackInputs", "image_to_tensor"]

_INSTANCE_MAP = {
    "gt_bboxes": "bboxes",
    "gt_bboxes_labels": "labels",
    "gt_masks": "masks",
    "gt_keypoints": "keypoints",
    "gt_keypoints_visible": "keypoints_visible",
    "gt_instances_ids": "instances_id",
}


def image_to_tensor(img: np.ndarray) -> torch.Tensor:
    """(H, W[, C]) array -> contiguous (C, H, W) tensor."""
    if img.ndim == 2:
        img = img[..., None]
    # torch's permute-copy is about twice as fast as NumPy's transpose-copy for HWC uint8.
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).contiguous()


@TRANSFORMS.register_module()
class ImageToTensor(BaseTransform):
    """Convert (H, W, C) images under ``keys`` to (C, H, W) tensors.

    Args:
        keys: The keys to convert.
    """

    def __init__(self, keys: Sequence[str] = ("img",)) -> None:
        self.keys = list(keys)

    def transform(self, results: dict) -> dict:
        for key in self.keys:
            results[key] = image_to_tensor(results[key])
        return results


def _to_tensor(value):
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    return value


@TRANSFORMS.register_module()
class PackInputs(BaseTransform):
    """Pack the image and annotations into ``inputs`` and a ``BaseDataSample``.

    Args:
        meta_keys: Keys copied into the sample's metainfo when present.
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = (
            "img_id",
            "img_path",
            "ori_shape",
            "img_shape",
            "scale_factor",
            "flip",
            "flip_direction",
        ),
    ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        packed: dict = {}
        if "img" in results:
            packed["inputs"] = image_to_tensor(results["img"])
        sample = BaseDataSample()
        present = [k for k in _INSTANCE_MAP if results.get(k) is not None]
        if present:
            ignore = results.get("gt_ignore_flags")
            keep = None if ignore is None else ~np.asarray(ignore, dtype=bool)
            gt, ignored = InstanceData(), InstanceData()
            for key in present:
                value = results[key]
                if keep is None:
                    gt[_INSTANCE_MAP[key]] = _to_tensor(value)
                else:
                    gt[_INSTANCE_MAP[key]] = _to_tensor(value[keep])
                    ignored[_INSTANCE_MAP[key]] = _to_tensor(value[~keep])
            sample.gt_instances = gt
            if keep is not None:
                sample.ignored_instances = ignored
        if results.get("gt_seg_map") is not None:
            seg = torch.from_numpy(np.ascontiguousarray(results["gt_seg_map"]).astype(np.int64))
            sample.gt_sem_seg = PixelData(data=seg[None])
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        packed["data_samples"] = sample
        return packed
