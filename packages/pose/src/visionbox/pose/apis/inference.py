"""Inference APIs: ``init_model``, ``inference_topdown(model, img, bboxes)`` and
``inference_bottomup(model, img)`` (mmpose 1.x names), and ``detect_bboxes`` that runs any
detector built from a config (pose never imports the detection package: the detector comes
through its config and the registry of its scope).

Images are paths or BGR (H, W, 3) arrays; boxes are (N, 4) x1y1x2y2 pixels (or x, y, w, h with
``bbox_format='xywh'``).
"""

from __future__ import annotations

import copy
import os
import warnings
from typing import Literal

import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from torch import nn

from visionbox.core.apis import (
    check_image,
    load_weights,
    read_config,
    ready_for_inference,
    use_default_scope,
)
from visionbox.core.config import Config
from visionbox.core.registry import MODELS as CORE_MODELS
from visionbox.core.registry import TRANSFORMS as CORE_TRANSFORMS

from ..datasets.metainfo import parse_pose_metainfo
from ..structures import PoseDataSample, bbox_xywh2xyxy

__all__ = ["detect_bboxes", "inference_bottomup", "inference_topdown", "init_model"]

ImageType = str | np.ndarray
_META_KEYS = (
    "dataset_name",
    "flip_indices",
    "flip_pairs",
    "dataset_keypoint_weights",
    "upper_body_ids",
    "lower_body_ids",
    "skeleton_links",
    "sigmas",
)


def _dataset_meta(config: Config, scope: str) -> dict:
    dataset = config.get("test_dataloader", {}).get("dataset", {})
    metainfo = dataset.get("metainfo")
    if scope != "pose":
        return dict(metainfo or {})
    try:
        return parse_pose_metainfo(
            dict(metainfo or dict(from_file="configs/_base_/datasets/coco.py"))
        )
    except FileNotFoundError as err:
        warnings.warn(
            f"The config's keypoint metadata could not be read ({err}); using COCO's 17 "
            "keypoints (names, skeleton, flip pairs). Run from the folder the config's paths "
            "are relative to, or use a checkpoint written by train.py (it carries the metadata).",
            stacklevel=3,
        )
        return parse_pose_metainfo(dict(from_file="configs/_base_/datasets/coco.py"))


def init_model(
    config: str | os.PathLike | Config,
    checkpoint: str | None = None,
    device: str = "cpu",
    cfg_options: dict | None = None,
    *,
    strict: bool = True,
    fuse: bool = True,
) -> nn.Module:
    """Build the model of ``config`` in its own scope (pose, detection, ...), in eval mode.

    ``model.cfg`` keeps the config; ``model.dataset_meta`` comes from the checkpoint's
    ``meta.dataset_meta``, else from the config's test dataset ``metainfo`` (COCO's keypoints
    for a pose config without one).

    ``strict`` refuses a checkpoint whose keys or shapes differ from the model's (``False`` loads
    what fits and warns); ``fuse`` folds BatchNorms for inference (``optimize_for_inference``).

    Raises:
        FileNotFoundError: naming a missing config or checkpoint file.
        CheckpointReadError, CheckpointMismatchError: naming the checkpoint and what is wrong.
    """
    config = read_config(config, cfg_options)
    scope = config.get("default_scope", "pose")
    use_default_scope(scope)
    model_cfg = copy.deepcopy(config.model)
    backbone = model_cfg.get("backbone", {})
    if isinstance(backbone, dict) and "init_cfg" in backbone:
        backbone.init_cfg = None  # the weights come from the checkpoint
    with CORE_MODELS.switch_scope_and_registry(scope) as registry:
        model = registry.build(model_cfg)
    meta = None
    if checkpoint is not None:
        meta = load_weights(model, checkpoint, strict=strict).get("dataset_meta")
    if not meta or (scope == "pose" and "flip_indices" not in meta):
        meta = _dataset_meta(config, scope)
    model.dataset_meta = dict(meta)
    model.cfg = config
    return ready_for_inference(model, device, fuse=fuse)


def _pipeline(
    config: Config, drop: tuple[str, ...] = ("LoadAnnotations",), from_array: bool = False
) -> Compose:
    """The config's test pipeline without ``drop``; an array input replaces the file loader."""
    scope = config.get("default_scope", "pose")
    steps = [
        t for t in copy.deepcopy(config.test_dataloader.dataset.pipeline) if t["type"] not in drop
    ]
    if from_array and steps and steps[0]["type"] == "LoadImageFromFile":
        steps[0] = dict(type="LoadImageFromNDArray")
    with CORE_TRANSFORMS.switch_scope_and_registry(scope) as registry:
        return Compose([registry.build(t) for t in steps])


def _image_info(img: ImageType) -> dict:
    """Pipeline input of a path or an array checked by :func:`~visionbox.core.apis.check_image`."""
    if isinstance(img, (str, os.PathLike)):
        if not os.path.isfile(img):
            raise FileNotFoundError(f"Image file not found: {img}")
        return dict(img_path=os.fspath(img))
    return dict(img=check_image(img), img_path=None)


@torch.no_grad()
def inference_topdown(
    model: nn.Module,
    img: ImageType,
    bboxes: np.ndarray | None = None,
    bbox_format: Literal["xyxy", "xywh"] = "xyxy",
) -> list[PoseDataSample]:
    """Keypoints of each box of ``img`` (the whole image when ``bboxes`` is None or empty).

    Returns:
        One :class:`PoseDataSample` per box, ``pred_instances`` in the original image's pixels.
    """
    info = _image_info(img)
    if "img" in info:
        shape = info["img"].shape[:2]
    else:
        import cv2

        shape = cv2.imread(info["img_path"]).shape[:2]
    if bboxes is None or len(bboxes) == 0:
        bboxes = np.array([[0, 0, shape[1], shape[0]]], np.float32)
    bboxes = np.asarray(bboxes, np.float32).reshape(-1, 4)
    if bbox_format == "xywh":
        bboxes = bbox_xywh2xyxy(bboxes)
    elif bbox_format != "xyxy":
        raise ValueError(f"bbox_format must be 'xyxy' or 'xywh'; got {bbox_format!r}.")
    pipeline = _pipeline(model.cfg, from_array="img" in info)
    meta = {k: model.dataset_meta[k] for k in _META_KEYS if k in model.dataset_meta}
    items = []
    for bbox in bboxes:
        data = dict(info, bbox=bbox[None], bbox_score=np.ones(1, np.float32), **copy.deepcopy(meta))
        items.append(pipeline(data))
    if not items:
        return []
    return model.test_step(pseudo_collate(items))


@torch.no_grad()
def inference_bottomup(model: nn.Module, img: ImageType) -> list[PoseDataSample]:
    """Every person's keypoints in ``img``: a one-element list with a :class:`PoseDataSample`."""
    info = _image_info(img)
    pipeline = _pipeline(model.cfg, from_array="img" in info)
    meta = {k: model.dataset_meta[k] for k in _META_KEYS if k in model.dataset_meta}
    data = pipeline(dict(info, **copy.deepcopy(meta)))
    return model.test_step(pseudo_collate([data]))


@torch.no_grad()
def detect_bboxes(
    detector: nn.Module, img: ImageType, cat_id: int = 0, score_thr: float = 0.3
) -> np.ndarray:
    """Run a detector built by :func:`init_model` from a detection config on an image.

    Returns:
        (N, 5) x1y1x2y2 + score of the boxes of label ``cat_id`` scoring above ``score_thr``.
    """
    info = _image_info(img)
    data = _pipeline(detector.cfg, from_array="img" in info)(dict(info, img_id=0))
    result = detector.test_step(pseudo_collate([data]))[0]
    pred = result.pred_instances
    boxes = (
        pred.bboxes.detach().cpu().numpy()
        if hasattr(pred.bboxes, "detach")
        else np.asarray(pred.bboxes)
    )
    scores = (
        pred.scores.detach().cpu().numpy()
        if hasattr(pred.scores, "detach")
        else np.asarray(pred.scores)
    )
    labels = (
        pred.labels.detach().cpu().numpy()
        if hasattr(pred.labels, "detach")
        else np.asarray(pred.labels)
    )
    keep = (labels == cat_id) & (scores > score_thr)
    return np.concatenate([boxes[keep].reshape(-1, 4), scores[keep, None]], axis=1).astype(
        np.float32
    )
