"""Tracking inference: ``init_track_model`` and ``inference_mot`` (one frame at a time)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from torch import nn

from visionbox.core.apis import check_image, load_weights, ready_for_inference, use_default_scope
from visionbox.core.datasets import Compose
from visionbox.core.engine import load_config

__all__ = ["init_track_model", "inference_mot"]

_ANNOTATION_LOADERS = ("LoadTrackAnnotations", "LoadAnnotations", "LoadReIDAnnotations")


def init_track_model(
    config: Any,
    checkpoint: str | None = None,
    device: str = "cpu",
    cfg_options: dict | None = None,
    *,
    strict: bool = True,
    fuse: bool = True,
) -> nn.Module:
    """Build a tracking model from a config (path, ``Config`` or dict) and load a checkpoint.

    Args:
        config: The config; its ``default_scope`` is used (``'tracking'`` when unset).
        checkpoint: Checkpoint of the whole model (safe loading), or ``None`` to keep the
            sub-models' own ``init_cfg`` weights (the detector's and ReID's checkpoints).
        device: Torch device.
        cfg_options: Overrides merged into the config.
        strict: Refuse a checkpoint whose keys or shapes differ from the model's (``False``
            loads what fits and warns).
        fuse: Fold BatchNorms for inference (``optimize_for_inference``).

    Returns:
        The model in eval mode, with ``model.cfg`` set.
    """
    cfg = load_config(config, cfg_options, default_scope="tracking")
    use_default_scope(cfg.get("default_scope", "tracking"))
    from visionbox.tracking.registry import MODELS

    model = MODELS.build(copy.deepcopy(cfg.model))
    if checkpoint is not None:
        load_weights(model, checkpoint, strict=strict)
    else:
        model.init_weights()
    model.cfg = cfg
    return ready_for_inference(model, device, fuse=fuse)


def _test_pipeline(cfg: Any, from_array: bool) -> Compose:
    pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    steps = []
    for step in pipeline:
        if step["type"] in _ANNOTATION_LOADERS:
            continue
        if from_array and step["type"] == "LoadImageFromFile":
            step = dict(type="LoadImageFromNDArray")
        steps.append(step)
    return Compose(steps)


def inference_mot(
    model: nn.Module, img: np.ndarray | str, frame_id: int, video_len: int | None = None
) -> Any:
    """Track one frame.

    Args:
        model: A model from :func:`init_track_model` (its ``cfg`` gives the test pipeline).
        img: (H, W, 3) BGR image or an image path (arrays are checked by
            :func:`visionbox.core.apis.check_image`).
        frame_id: 0-based frame index; 0 starts a new video (the tracker resets).
        video_len: Number of frames of the video, when known.

    Returns:
        The frame's ``TrackDataSample``; ``sample[0].pred_track_instances`` has ``bboxes``
        (M, 4) in image pixels, ``scores``, ``labels`` and ``instances_id``.
    """
    from_array = not isinstance(img, str)
    if from_array:
        img = check_image(img, what=f"frame {frame_id}")
    pipeline = _test_pipeline(model.cfg, from_array)
    data = dict(frame_id=int(frame_id), img_id=int(frame_id) + 1)
    if video_len is not None:
        data.update(video_length=int(video_len), ori_video_length=int(video_len))
    if from_array:
        data.update(img=img, ori_shape=img.shape[:2], img_shape=img.shape[:2], img_path=None)
    else:
        data.update(img_path=img)
    batch = pseudo_collate([pipeline(data)])
    with torch.no_grad():
        return model.test_step(batch)[0]
