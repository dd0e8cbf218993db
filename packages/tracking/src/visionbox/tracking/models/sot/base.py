"""``BaseSingleObjectTracker``: the base of single-object trackers (SOT).

Data: training batches are template/search pairs, ``inputs`` (N, 2, C, H, W) from
``TrackDataPreprocessor`` (the template padded to the search size; each frame's ``img_shape``
gives its real size) and N ``TrackDataSample`` of two frames. Testing runs one frame at a time,
``inputs`` (1, 1, C, H, W); frame 0 of a video carries the initial box in ``gt_instances``; every
frame's sample receives ``pred_track_instances`` (``bboxes`` (1, 4) x1y1x2y2, ``scores`` (1,)).

A user tracker subclasses this class and implements :meth:`loss` and :meth:`predict`; its parts
are built from configs with :meth:`build_part` (``backbone=``, ``neck=``, ``head=`` /
``track_head=``), so that user modules registered through ``custom_imports`` plug in.
"""

from __future__ import annotations

import inspect
from abc import ABCMeta, abstractmethod
from typing import Any

from torch import Tensor, nn

from visionbox.core.models import BaseTaskModel
from visionbox.tracking.registry import MODELS

__all__ = ["BaseSingleObjectTracker"]


class BaseSingleObjectTracker(BaseTaskModel, metaclass=ABCMeta):
    """Base of SOT models: ``forward(inputs, data_samples, mode)`` with modes ``'loss'``,
    ``'predict'`` and ``'tensor'``.

    Args:
        data_preprocessor: ``TrackDataPreprocessor`` config or module.
        init_cfg: Initialisation config.
    """

    default_mode = "predict"  # as mmdetection's trackers

    def __init__(
        self, data_preprocessor: dict | nn.Module | None = None, init_cfg: dict | list | None = None
    ) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type="TrackDataPreprocessor")
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.memo: dict[str, Any] = {}

    @staticmethod
    def build_part(cfg: dict | nn.Module | None, **extra: Any) -> nn.Module | None:
        """Build a backbone, neck or head from a config, passing each ``extra`` keyword that the
        registered class accepts (e.g. a head's ``train_cfg``); a module is returned as it is."""
        if cfg is None or isinstance(cfg, nn.Module):
            return cfg
        cfg = dict(cfg)
        cls = MODELS.get(cfg["type"]) if isinstance(cfg["type"], str) else cfg["type"]
        if cls is not None:
            params = inspect.signature(cls).parameters
            for key, value in extra.items():
                if key in params and key not in cfg and value is not None:
                    cfg[key] = value
        return MODELS.build(cfg)

    @property
    def with_backbone(self) -> bool:
        return getattr(self, "backbone", None) is not None

    @property
    def with_neck(self) -> bool:
        return getattr(self, "neck", None) is not None

    @property
    def with_head(self) -> bool:
        return getattr(self, "head", None) is not None

    @abstractmethod
    def loss(self, inputs: Tensor, data_samples: list[Any]) -> dict:
        """Losses of a batch of template/search pairs."""

    @abstractmethod
    def predict(self, inputs: Tensor, data_samples: list[Any]) -> list:
        """Track one frame; returns the data samples with ``pred_track_instances``."""

    @abstractmethod
    def _forward(self, inputs: Tensor, data_samples: list[Any] | None = None) -> Any:
        """Raw head outputs of a batch of pairs."""

    @staticmethod
    def split_pairs(inputs: Tensor, data_samples: list[Any]) -> tuple[Tensor, Tensor]:
        """(N, 2, C, H, W) padded pairs -> templates (N, C, h, w) and searches (N, C, H', W'),
        cut to the frames' ``img_shape``."""
        if inputs.dim() != 5 or inputs.shape[1] < 2:
            raise ValueError(
                f"SOT training inputs must be (N, 2, C, H, W) pairs, got {tuple(inputs.shape)}"
            )
        frames = data_samples[0].video_data_samples
        zh, zw = frames[0].metainfo.get("img_shape", inputs.shape[-2:])
        xh, xw = frames[-1].metainfo.get("img_shape", inputs.shape[-2:])
        return inputs[:, 0, :, :zh, :zw], inputs[:, -1, :, :xh, :xw]
