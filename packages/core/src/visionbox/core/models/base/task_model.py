"""``BaseTaskModel``: the mmengine ``BaseModel`` of every VisionBox detector, segmentor and pose
estimator, with the ``mode`` dispatch in one place."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, Literal

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import Tensor, nn

from .backbone import check_channels
from .build import build_component

__all__ = ["FORWARD_MODES", "BaseTaskModel"]

#: The modes ``BaseTaskModel.forward`` accepts.
FORWARD_MODES = ("tensor", "loss", "predict")


class BaseTaskModel(BaseModel, metaclass=ABCMeta):
    """Base of task models: ``forward(inputs, data_samples, mode)`` dispatches to

    * ``'loss'``: :meth:`loss` -> dict of losses (the runner's ``train_step`` parses them);
    * ``'predict'``: :meth:`predict` -> list of data samples carrying predictions;
    * ``'tensor'``: :meth:`_forward` -> raw network outputs (for export and debugging).

    Without ``mode``, ``forward`` runs :attr:`default_mode` (``'tensor'``, as mmengine's
    ``BaseModel``; trackers set ``'predict'``, as mmdetection's).

    ``inputs`` is the (N, C, H, W) batch produced by the data preprocessor and ``data_samples`` a
    list of N task data samples.

    Args:
        data_preprocessor: Config of the data preprocessor (built through VisionBox's ``MODELS``
            in the current scope, so ``type='DetDataPreprocessor'`` resolves in a detection
            config), a built module, or ``None`` for mmengine's ``BaseDataPreprocessor``.
        init_cfg: Weight initialisation config.
    """

    default_mode: str = "tensor"

    def __init__(
        self,
        data_preprocessor: dict | nn.Module | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type="BaseDataPreprocessor")
        super().__init__(data_preprocessor=build_component(data_preprocessor), init_cfg=init_cfg)

    # Sub-components --------------------------------------------------------------------------

    def build_trunk(self, backbone: dict | nn.Module, neck: dict | nn.Module | None = None) -> None:
        """Build ``self.backbone`` and the optional ``self.neck``; check that their channels agree.

        Raises:
            ValueError: when the neck's ``in_channels`` differ from the backbone's
                ``out_channels`` (both lists in the message).
        """
        self.backbone = build_component(backbone)
        if neck is not None:
            self.neck = build_component(neck)
            check_channels(self.backbone, self.neck)

    @property
    def with_neck(self) -> bool:
        """Whether the model has a neck."""
        return getattr(self, "neck", None) is not None

    def freeze_module(self, module: str | list[str]) -> None:
        """Put the named sub-modules in eval mode and stop their gradients."""
        for name in [module] if isinstance(module, str) else module:
            part = getattr(self, name)
            part.eval()
            for param in part.parameters():
                param.requires_grad = False

    def extract_feat(self, inputs: Tensor) -> tuple[Tensor, ...]:
        """Backbone then (optional) neck: (N, C, H, W) -> tuple of (N, C_i, H_i, W_i)."""
        feats = self.backbone(inputs)
        if self.with_neck:
            feats = self.neck(feats)
        return tuple(feats) if isinstance(feats, (list, tuple)) else (feats,)

    # The mode dispatch -----------------------------------------------------------------------

    def forward(
        self,
        inputs: Tensor,
        data_samples: list[Any] | None = None,
        mode: Literal["tensor", "loss", "predict"] | None = None,
    ) -> Any:
        mode = self.default_mode if mode is None else mode
        if mode == "loss":
            return self.loss(self._safe_layout(inputs), data_samples)
        if mode == "predict":
            return self.predict(inputs, data_samples)
        if mode == "tensor":
            return self._forward(inputs, data_samples)
        raise ValueError(
            f"{type(self).__name__}.forward got mode={mode!r}; the allowed modes are "
            f"{', '.join(repr(m) for m in FORWARD_MODES)}."
        )

    def _safe_layout(self, inputs: Tensor) -> Tensor:
        """``inputs`` in NCHW order when they are channels-last on the CPU and the model has a
        1x1 strided convolution with fewer than 16 channels: oneDNN's channels-last backward
        of those crashes the process (PyTorch 2.x), so such a model trains in NCHW order."""
        if not (
            isinstance(inputs, Tensor)
            and inputs.device.type == "cpu"
            and inputs.dim() == 4
            and not inputs.is_contiguous()
            and inputs.is_contiguous(memory_format=torch.channels_last)
        ):
            return inputs
        if not hasattr(self, "_narrow_strided_convs"):
            self._narrow_strided_convs = [
                name
                for name, m in self.named_modules()
                if isinstance(m, nn.Conv2d)
                and m.kernel_size == (1, 1)
                and max(m.stride) > 1
                and min(m.in_channels, m.out_channels) < 16
            ]
            if self._narrow_strided_convs:
                print_log(
                    "channels_last training batches are used in NCHW order: this model's "
                    f"{self._narrow_strided_convs[0]} is a 1x1 strided convolution with fewer "
                    "than 16 channels, whose channels-last backward crashes on the CPU.",
                    logger="current",
                    level=30,
                )
        return inputs.contiguous() if self._narrow_strided_convs else inputs

    @abstractmethod
    def loss(self, inputs: Tensor, data_samples: list[Any] | None) -> dict:
        """Losses of a batch (N, C, H, W) with its ground truth."""

    @abstractmethod
    def predict(self, inputs: Tensor, data_samples: list[Any] | None) -> list:
        """Data samples with predictions, one per image."""

    @abstractmethod
    def _forward(self, inputs: Tensor, data_samples: list[Any] | None = None) -> Any:
        """Raw network outputs without post-processing."""
