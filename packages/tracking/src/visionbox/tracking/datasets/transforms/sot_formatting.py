"""Packing of SOT pairs: a template/search pair -> ``inputs`` (2, C, H, W) and a
``TrackDataSample`` of two frames. ``PackTrackInputs`` packs a pair when it receives a list of
frames (:func:`pack_frame_list`); ``PackSOTInputs`` is the same packing under its own name."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData

from visionbox.core.datasets.transforms import BaseTransform
from visionbox.tracking.registry import TRANSFORMS
from visionbox.tracking.structures import FrameDataSample, TrackDataSample

__all__ = ["PackSOTInputs", "pack_frame_list"]

_META_KEYS = ("img_path", "ori_shape", "img_shape", "frame_id", "video_id", "video_name")


def pack_frame_list(results: list[dict], meta_keys: Sequence[str]) -> dict:
    """Pack a list of frames (template first, search last).

    ``inputs`` is (T, C, H, W) float32 with every frame padded (bottom/right, zeros) to the
    largest frame; each frame's ``img_shape`` keeps its real size. Each frame's data sample has
    ``gt_instances`` (``bboxes`` (1, 4) x1y1x2y2, ``labels`` (1,): 1 for a positive pair, 0 for a
    negative one); the clip's metainfo has ``is_positive_pair``.
    """
    if not isinstance(results, list) or not results:
        raise TypeError("packing a pair needs a list of frame dicts (use PairSampling first)")
    height = max(f["img"].shape[0] for f in results)
    width = max(f["img"].shape[1] for f in results)
    imgs, frames = [], []
    positive = bool(results[-1].get("is_positive_pair", True))
    for frame in results:
        img = frame["img"]
        img = img[..., None] if img.ndim == 2 else img
        canvas = np.zeros((height, width, img.shape[2]), np.float32)
        canvas[: img.shape[0], : img.shape[1]] = img
        imgs.append(torch.from_numpy(canvas).permute(2, 0, 1))
        sample = FrameDataSample(metainfo={k: frame[k] for k in meta_keys if k in frame})
        sample.set_metainfo(dict(img_shape=tuple(img.shape[:2])))
        sample.gt_instances = InstanceData(
            bboxes=torch.as_tensor(np.asarray(frame["gt_bboxes"], np.float32).reshape(-1, 4)),
            labels=torch.full((1,), int(positive), dtype=torch.long),
        )
        frames.append(sample)
    clip = TrackDataSample()
    clip.video_data_samples = frames
    clip.set_metainfo(dict(is_positive_pair=positive))
    return dict(inputs=torch.stack(imgs), data_samples=clip)


@TRANSFORMS.register_module()
class PackSOTInputs(BaseTransform):
    """Pack a list of frames (template first, search last) with :func:`pack_frame_list`; the
    same as ``PackTrackInputs`` given a pair.

    Args:
        meta_keys: Keys copied into each frame's metainfo when present.
    """

    def __init__(self, meta_keys: Sequence[str] = _META_KEYS) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: list[dict]) -> dict:
        return pack_frame_list(results, self.meta_keys)
