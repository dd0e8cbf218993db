"""``init_detector`` and ``inference_detector``: a detector from a config (and checkpoint), and
its predictions on images (paths or BGR arrays)."""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence

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

from ..registry import MODELS, TRANSFORMS
from ..structures import DetDataSample

__all__ = ["build_test_pipeline", "detect_batch", "inference_detector", "init_detector"]

ImageType = str | np.ndarray


def init_detector(
    config: str | os.PathLike | Config,
    checkpoint: str | None = None,
    device: str = "cpu",
    cfg_options: dict | None = None,
    palette: str = "none",
    *,
    strict: bool = True,
    fuse: bool = True,
) -> nn.Module:
    """Build the detector of ``config`` in eval mode, with ``checkpoint``'s weights if given.

    ``model.cfg`` keeps the config and ``model.dataset_meta`` the classes (from the checkpoint's
    ``meta.dataset_meta``, else the config's test dataset ``metainfo``).

    Args:
        config: Config file path or ``Config``.
        checkpoint: Checkpoint path or URL; ``None`` keeps the initial weights.
        device: Device of the model.
        cfg_options: Overrides merged into the config.
        palette: Kept for mmdet's signature; colours come from ``dataset_meta``.
        strict: Refuse a checkpoint whose keys or shapes differ from the model's
            (``False`` loads what fits and warns).
        fuse: Fold BatchNorms for inference (``optimize_for_inference``).

    Raises:
        FileNotFoundError: naming a missing config or checkpoint file.
        CheckpointReadError, CheckpointMismatchError: naming the checkpoint and what is wrong.
    """
    config = read_config(config, cfg_options)
    use_default_scope(config.get("default_scope", "detection"))
    model_cfg = copy.deepcopy(config.model)
    backbone = model_cfg.get("backbone", {})
    if isinstance(backbone, dict) and "init_cfg" in backbone:
        backbone.init_cfg = None  # weights come from the checkpoint, not from pretraining
    model = MODELS.build(model_cfg)
    meta = None
    if checkpoint is not None:
        meta = load_weights(model, checkpoint, strict=strict).get("dataset_meta")
    if meta is None:
        dataset = config.get("test_dataloader", {}).get("dataset", {})
        meta = dict(dataset.get("metainfo") or {})
        if not meta.get("classes"):
            num = _num_classes(model)
            meta = dict(classes=tuple(f"class {i}" for i in range(num)))
    model.dataset_meta = dict(meta)
    model.cfg = config
    return ready_for_inference(model, device, fuse=fuse)


def _num_classes(model: nn.Module) -> int:
    head = getattr(getattr(model, "roi_head", None), "bbox_head", None)
    return int(getattr(head, "num_classes", 0) or getattr(model, "num_classes", 0))


def build_test_pipeline(cfg: Config, from_array: bool = False) -> Compose:
    """The config's test pipeline without annotation loading (images only)."""
    pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    pipeline = [t for t in pipeline if t["type"] != "LoadAnnotations"]
    if from_array:
        pipeline[0] = dict(type="LoadImageFromNDArray")
    for t in pipeline:
        if t["type"] == "PackDetInputs" and "meta_keys" in t:
            t["meta_keys"] = tuple(k for k in t["meta_keys"] if k != "img_id") + ("img_id",)
    return Compose([TRANSFORMS.build(t) for t in pipeline])


def _pack(model: nn.Module, imgs: Sequence[ImageType], pipelines: dict[bool, Compose]) -> dict:
    items = []
    for i, img in enumerate(imgs):
        from_array = isinstance(img, np.ndarray)
        if from_array not in pipelines:
            pipelines[from_array] = build_test_pipeline(model.cfg, from_array)
        data = dict(img=img, img_id=i) if from_array else dict(img_path=img, img_id=i)
        items.append(pipelines[from_array](data))
    return pseudo_collate(items)


def _check_inputs(imgs: Sequence[ImageType]) -> list[ImageType]:
    checked: list[ImageType] = []
    for i, img in enumerate(imgs):
        if isinstance(img, (str, os.PathLike)):
            if not os.path.isfile(img):
                raise FileNotFoundError(f"Image file not found: {img}")
            checked.append(os.fspath(img))
        else:
            checked.append(check_image(img, what=f"image {i}"))
    return checked


@torch.no_grad()
def inference_detector(
    model: nn.Module, imgs: ImageType | Sequence[ImageType]
) -> DetDataSample | list[DetDataSample]:
    """Detect objects in one image or a list, one image per forward pass.

    Args:
        model: A detector from :func:`init_detector` (it needs ``model.cfg``).
        imgs: Image paths or BGR arrays, (H, W, 3) as OpenCV reads them; (H, W) grayscale is
            expanded, an alpha channel dropped. A channels-first array or a tensor is refused
            (:mod:`visionbox.core.apis.inputs`).

    Returns:
        A :class:`DetDataSample` with ``pred_instances`` in the original image's pixels, or a
        list of them for a list input.
    """
    single = not isinstance(imgs, (list, tuple))
    imgs = _check_inputs([imgs] if single else list(imgs))
    if not imgs:
        raise ValueError("inference_detector got no images")
    pipelines: dict[bool, Compose] = {}
    results = []
    for img in imgs:
        results.extend(model.test_step(_pack(model, [img], pipelines)))
    return results[0] if single else results


@torch.no_grad()
def detect_batch(model: nn.Module, imgs: Sequence[np.ndarray]) -> list[DetDataSample]:
    """Detect objects in checked ``(H, W, 3)`` BGR arrays, all in one forward pass."""
    return model.test_step(_pack(model, list(imgs), {}))
