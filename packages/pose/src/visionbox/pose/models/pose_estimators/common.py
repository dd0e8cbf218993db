"""What the pose estimators share: building their parts, the dataset metainfo and SyncBN."""

from __future__ import annotations

from typing import Any

import torch
from mmengine.config import Config
from torch import nn

from visionbox.core.models.base import check_channels

from ..builder import build_module, pose_scope

__all__ = ["build_pose_parts", "build_preprocessor", "load_metainfo"]


def load_metainfo(metainfo: dict | None) -> dict | None:
    """Parse ``metainfo`` (``dict(from_file=...)`` or a dataset_info dict) into the pose metainfo
    (``flip_indices``, ``skeleton_links``, ``sigmas``, ...); None stays None."""
    if metainfo is None:
        return None
    from ...datasets.metainfo import parse_pose_metainfo

    if not isinstance(metainfo, dict):
        raise TypeError(f"metainfo must be a dict; got {type(metainfo).__name__}.")
    if "from_file" in metainfo:
        metainfo = Config.fromfile(metainfo["from_file"]).dataset_info
    return parse_pose_metainfo(dict(metainfo))


def build_pose_parts(
    model: Any,
    backbone: dict | nn.Module,
    neck: dict | nn.Module | None,
    head: dict | nn.Module | None,
    train_cfg: dict | None,
    test_cfg: dict | None,
    use_syncbn: bool,
    metainfo: dict | None,
) -> None:
    """Set ``backbone``, ``neck``, ``head``, ``train_cfg``, ``test_cfg`` and ``metainfo`` on an
    estimator (mmpose's ``BasePoseEstimator.__init__``)."""
    model.metainfo = load_metainfo(metainfo)
    model.train_cfg = dict(train_cfg) if train_cfg else {}
    model.test_cfg = dict(test_cfg) if test_cfg else {}
    with pose_scope():
        model.backbone = build_module(backbone)
        if neck is not None:
            model.neck = build_module(neck)
            check_channels(model.backbone, model.neck)
        model.head = build_module(head) if head is not None else None
    if use_syncbn:
        torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)


def build_preprocessor(cfg: dict | nn.Module | None) -> nn.Module | None:
    """Build a data preprocessor config in the pose scope (None stays None)."""
    return None if cfg is None else build_module(cfg)
