"""``init_model`` and ``inference_model`` (mmseg 1.x interface).

    model = init_model("configs/pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py", "psp.pth")
    result = inference_model(model, "demo.png")   # SegDataSample
    result.pred_sem_seg.data                      # (1, H, W) class indices at the image's size

The image goes through the config's ``test_pipeline`` (without ``LoadAnnotations``; a NumPy image
replaces the loading step by ``LoadImageFromNDArray``) and the model's ``test_step``.
"""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from torch import nn

from visionbox.core.apis import check_image, load_weights, ready_for_inference, resolve_config

from ..datasets.datasets import ShapesSegDataset
from ..datasets.metainfo import ADE20K_METAINFO, CITYSCAPES_METAINFO, VOC_METAINFO
from ..registry import MODELS, TRANSFORMS
from ..structures import SegDataSample

__all__ = ["init_model", "inference_model"]

ImageType = str | os.PathLike | np.ndarray
_KNOWN_METAINFO = (CITYSCAPES_METAINFO, ADE20K_METAINFO, VOC_METAINFO, ShapesSegDataset.METAINFO)
_LOADERS = ("LoadImageFromFile", "LoadImageFromNDArray")


def _read_config(config: str | os.PathLike | Config, cfg_options: dict | None) -> Config:
    if isinstance(config, (str, os.PathLike)):
        config = Config.fromfile(resolve_config(config))  # a path or 'scope::relative/path.py'
    elif isinstance(config, Config):
        config = copy.deepcopy(config)
    else:
        raise TypeError(f"config must be a file path or a Config, got {type(config).__name__}.")
    if cfg_options:
        config.merge_from_dict(cfg_options)
    if "model" not in config:
        raise KeyError(f"The config {config.filename or ''} has no 'model'.")
    return config


def _fallback_metainfo(num_classes: int) -> dict:
    """The classes and palette of a known dataset with ``num_classes`` classes, else generic
    names with a fixed palette."""
    for meta in _KNOWN_METAINFO:
        if len(meta["classes"]) == num_classes:
            return dict(classes=tuple(meta["classes"]), palette=[list(p) for p in meta["palette"]])
    rng = np.random.default_rng(42)
    palette = rng.integers(0, 256, size=(num_classes, 3)).tolist()
    return dict(classes=tuple(f"class_{i}" for i in range(num_classes)), palette=palette)


def init_model(
    config: str | os.PathLike | Config,
    checkpoint: str | None = None,
    device: str | torch.device = "cpu",
    cfg_options: dict | None = None,
    *,
    strict: bool = True,
    fuse: bool = True,
) -> nn.Module:
    """Build a segmentor from ``config`` and load ``checkpoint`` for inference.

    The backbone's ``pretrained`` / ``init_cfg`` and the model's ``train_cfg`` are dropped (the
    checkpoint holds every weight, loaded with ``strict=True`` so that a checkpoint of another
    architecture fails instead of predicting noise). ``model.dataset_meta`` (``classes``,
    ``palette``) comes from the checkpoint's ``meta['dataset_meta']`` (or the older ``CLASSES`` /
    ``PALETTE``); without them, from the known dataset with the decode head's number of classes
    (with a warning when a checkpoint lacks them).

    Args:
        config: Config file path or ``Config``.
        checkpoint: Checkpoint path or URL (``torchvision://``, ``http(s)://``); ``None`` keeps
            the random initialisation.
        device: Device of the model.
        cfg_options: Overrides merged into the config.
        strict: Refuse a checkpoint whose keys or shapes differ from the model's (``False``
            loads what fits and warns).
        fuse: Fold BatchNorms for inference (``optimize_for_inference``).

    Returns:
        The model in eval mode, with ``model.cfg`` set to the config it was built from.
    """
    config = _read_config(config, cfg_options)
    model_cfg = config.model
    if "pretrained" in model_cfg:
        model_cfg.pretrained = None
    model_cfg.train_cfg = None
    backbone = model_cfg.get("backbone")
    if isinstance(backbone, dict) and "init_cfg" in backbone:
        backbone.init_cfg = None
    scope = config.get("default_scope") or "segmentation"
    config.default_scope = scope
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(model_cfg)
    meta: dict[str, Any] = {}
    if checkpoint is not None:
        meta = load_weights(model, checkpoint, strict=strict)
    if meta.get("dataset_meta"):
        model.dataset_meta = dict(meta["dataset_meta"])
    elif "CLASSES" in meta:
        model.dataset_meta = dict(classes=meta["CLASSES"], palette=meta.get("PALETTE"))
    else:
        if checkpoint is not None:
            warnings.warn(
                f"{checkpoint} stores no dataset_meta; classes and palette are chosen by the "
                "number of classes.",
                stacklevel=2,
            )
        model.dataset_meta = _fallback_metainfo(model.decode_head.num_classes)
    model.cfg = config
    return ready_for_inference(model, device, fuse=fuse)


def _test_pipeline(cfg: Config) -> list[dict]:
    pipeline = cfg.get("test_pipeline")
    if pipeline is None:
        dataloader = cfg.get("test_dataloader") or cfg.get("val_dataloader") or {}
        pipeline = dataloader.get("dataset", {}).get("pipeline")
    if not pipeline:
        raise KeyError(
            "inference_model needs the config's test_pipeline (or test_dataloader.dataset."
            "pipeline) to prepare images."
        )
    steps = [
        dict(step) for step in copy.deepcopy(list(pipeline)) if step["type"] != "LoadAnnotations"
    ]
    if steps[0]["type"] not in _LOADERS:
        raise ValueError(
            f"The test pipeline must start with one of {_LOADERS}, got {steps[0]['type']!r}."
        )
    return steps


def _build_pipelines(cfg: Config) -> dict[str, Any]:
    steps = _test_pipeline(cfg)
    from_array = [dict(type="LoadImageFromNDArray"), *steps[1:]]
    from_file = (
        steps
        if steps[0]["type"] == "LoadImageFromFile"
        else [
            dict(type="LoadImageFromFile"),
            *steps[1:],
        ]
    )
    return dict(
        file=TRANSFORMS.build(dict(type="Compose", transforms=from_file)),
        array=TRANSFORMS.build(dict(type="Compose", transforms=from_array)),
    )


def _prepare(model: nn.Module, images: Sequence[ImageType]) -> dict[str, list]:
    cfg = getattr(model, "cfg", None)
    if not isinstance(cfg, (Config, ConfigDict)):
        raise AttributeError("The model has no cfg; build it with init_model(config, ...).")
    checked: list[str | np.ndarray] = []
    for index, image in enumerate(images):
        if isinstance(image, (str, os.PathLike)):
            path = os.fspath(image)
            if "://" not in path and not Path(path).is_file():
                raise FileNotFoundError(f"Image file not found: {path}")
            checked.append(path)
        else:
            checked.append(check_image(image, what=f"image {index}"))
    with DefaultScope.overwrite_default_scope(cfg.get("default_scope") or "segmentation"):
        pipelines = _build_pipelines(cfg)
        data: dict[str, list] = dict(inputs=[], data_samples=[])
        for image in checked:
            if isinstance(image, str):
                results = pipelines["file"](dict(img_path=image))
            else:
                results = pipelines["array"](dict(img=image))
            data["inputs"].append(results["inputs"])
            data["data_samples"].append(results["data_samples"])
    return data


def inference_model(
    model: nn.Module, img: ImageType | Sequence[ImageType]
) -> SegDataSample | list[SegDataSample]:
    """Segment one image or a list of images.

    Args:
        model: A segmentor from :func:`init_model` (it needs ``model.cfg``).
        img: Image path, (H, W, 3) BGR uint8 array (as OpenCV reads it), or a list of them;
            (H, W) grayscale is expanded, an alpha channel dropped, a channels-first array or a
            tensor refused (:mod:`visionbox.core.apis.inputs`).

    Returns:
        A ``SegDataSample`` (a list for a list input) with ``seg_logits`` (K, H, W) and
        ``pred_sem_seg`` (1, H, W) at each image's original size.
    """
    is_batch = isinstance(img, (list, tuple))
    images = list(img) if is_batch else [img]
    if not images:
        return []
    data = _prepare(model, images)
    with torch.no_grad():
        results = model.test_step(data)
    return results if is_batch else results[0]
