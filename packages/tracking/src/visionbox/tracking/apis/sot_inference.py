"""Single-object tracking inference: ``inference_sot`` (one frame at a time)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from torch import nn

from visionbox.core.apis import check_image
from visionbox.core.datasets import Compose

__all__ = ["inference_sot"]


def _sot_pipeline(cfg: Any, from_array: bool) -> Compose:
    steps = []
    for step in copy.deepcopy(cfg.test_dataloader.dataset.pipeline):
        if from_array and step["type"] == "LoadImageFromFile":
            step = dict(type="LoadImageFromNDArray")
        steps.append(step)
    if not any(s["type"] == "LoadTrackAnnotations" for s in steps):
        steps.insert(1, dict(type="LoadTrackAnnotations"))
    return Compose(steps)


def inference_sot(
    model: nn.Module,
    img: np.ndarray | str,
    init_bbox: Sequence[float],
    frame_id: int,
) -> Any:
    """Track one frame with a single-object tracker.

    Args:
        model: A model from :func:`init_track_model` (its ``cfg`` gives the test pipeline).
        img: (H, W, 3) BGR image or an image path.
        init_bbox: The target's box in frame 0, x1y1x2y2 pixels (used when ``frame_id == 0``).
        frame_id: 0-based frame index; 0 starts a new video.

    Returns:
        The frame's ``TrackDataSample``; ``sample[0].pred_track_instances`` has ``bboxes``
        (1, 4) x1y1x2y2 in image pixels and ``scores`` (1,) (-1 on frame 0).
    """
    box = [float(v) for v in init_bbox]
    if len(box) != 4 or box[2] <= box[0] or box[3] <= box[1]:
        raise ValueError(f"init_bbox must be x1, y1, x2, y2 with x2 > x1 and y2 > y1, got {box}")
    from_array = not isinstance(img, str)
    if from_array:
        img = check_image(img, what=f"frame {frame_id}")
    data = dict(
        frame_id=int(frame_id),
        img_id=int(frame_id) + 1,
        video_id=0,
        instances=[dict(bbox=box, bbox_label=0, instance_id=0, ignore_flag=0)],
    )
    if from_array:
        data.update(img=img, ori_shape=img.shape[:2], img_shape=img.shape[:2], img_path=None)
    else:
        data.update(img_path=img)
    batch = pseudo_collate([_sot_pipeline(model.cfg, from_array)(data)])
    with torch.no_grad():
        return model.test_step(batch)[0]
