"""Pair sampling and loading of single-object tracking videos.

SOT training pipelines run on a list of frame dicts (template first, search last), each with the
keys of core's transforms (``img_path``, ``img``, ``gt_bboxes`` (1, 4) float32 x1y1x2y2,
``gt_bboxes_labels`` (1,), ``frame_id``, ``video_id``); the search frame carries
``is_positive_pair``.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from visionbox.core.datasets.transforms import BaseTransform, LoadImageFromFile
from visionbox.tracking.registry import TRANSFORMS

__all__ = ["LoadMultiImagesFromFile", "PairSampling"]


@TRANSFORMS.register_module()
class PairSampling(BaseTransform):
    """Draw a template frame and a search frame from a ``BaseSOTDataset`` training sample
    ``dict(videos=[video, other_video])``.

    A positive pair (probability ``pos_prob``) takes both frames from ``video``, the search frame
    at most ``frame_range`` frames from the template; a negative pair takes the search frame from
    ``other_video``. Only visible frames are drawn.

    Args:
        frame_range: Largest frame distance of a positive pair.
        pos_prob: Probability of a positive pair.
        filter_template_img: Draw the template only among the frames that have a visible search
            frame within ``frame_range`` (otherwise a lone visible frame pairs with itself).
    """

    def __init__(
        self, frame_range: int = 5, pos_prob: float = 0.8, filter_template_img: bool = False
    ) -> None:
        if frame_range < 0 or not 0 <= pos_prob <= 1:
            raise ValueError(
                f"PairSampling: frame_range >= 0 and pos_prob in [0, 1], got {frame_range}, "
                f"{pos_prob}"
            )
        self.frame_range = frame_range
        self.pos_prob = pos_prob
        self.filter_template_img = filter_template_img

    @staticmethod
    def _frame(video: dict, index: int) -> dict:
        return dict(
            img_path=video["img_paths"][index],
            gt_bboxes=np.asarray(video["bboxes"][index], np.float32).reshape(1, 4),
            gt_bboxes_labels=np.zeros(1, np.int64),
            frame_id=int(index),
            video_id=video["video_id"],
            video_name=video["video_name"],
        )

    def transform(self, results: dict) -> list[dict]:
        video, other = results["videos"][0], results["videos"][-1]
        visible = np.flatnonzero(np.asarray(video["visible"]))
        positive = random.random() < self.pos_prob or other is video
        candidates = visible
        if self.filter_template_img and positive:
            # frames with another visible frame within frame_range (O(V log V), no V x V)
            lo = np.searchsorted(visible, visible - self.frame_range, side="left")
            hi = np.searchsorted(visible, visible + self.frame_range, side="right")
            has_partner = hi - lo > 1
            candidates = visible[has_partner] if has_partner.any() else visible
        template = int(random.choice(candidates))
        if positive:
            near = visible[np.abs(visible - template) <= self.frame_range]
            search_video, search = video, int(random.choice(near))
        else:
            search_video = other
            search = int(random.choice(np.flatnonzero(np.asarray(other["visible"]))))
        frames = [self._frame(video, template), self._frame(search_video, search)]
        frames[1]["is_positive_pair"] = bool(positive)
        frames[0]["is_positive_pair"] = bool(positive)
        return frames


@TRANSFORMS.register_module()
class LoadMultiImagesFromFile(BaseTransform):
    """Core's ``LoadImageFromFile`` applied to every frame of a list.

    Args:
        to_float32, color_type, imdecode_backend, ignore_empty, backend_args: As in
            ``LoadImageFromFile``.
    """

    def __init__(
        self,
        to_float32: bool = False,
        color_type: str = "color",
        imdecode_backend: str = "cv2",
        ignore_empty: bool = False,
        backend_args: dict | None = None,
    ) -> None:
        self._load = LoadImageFromFile(
            to_float32=to_float32,
            color_type=color_type,
            imdecode_backend=imdecode_backend,
            ignore_empty=ignore_empty,
            backend_args=backend_args,
        )

    def transform(self, results: list[dict]) -> Any:
        out = [self._load(frame) for frame in results]
        return None if any(frame is None for frame in out) else out
