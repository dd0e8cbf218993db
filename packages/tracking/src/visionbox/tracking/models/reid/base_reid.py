"""``BaseReID``: backbone -> neck (pooling) -> ``LinearReIDHead``, the appearance model of
DeepSORT and StrongSORT.

Shapes: N crops (or N x T crops of N identities), C channels, (H, W) crop size, D embedding size.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from visionbox.core.models import BaseTaskModel
from visionbox.tracking.registry import MODELS

__all__ = ["BaseReID"]


def _build(cfg: dict | nn.Module | None) -> nn.Module | None:
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    return MODELS.build(cfg)


@MODELS.register_module()
class BaseReID(BaseTaskModel):
    """Re-identification model.

    ``forward(inputs, data_samples, mode)`` with inputs (N, C, H, W) or (N, T, C, H, W) (flattened
    to N * T crops): ``'tensor'`` -> (N, D) embeddings; ``'loss'`` -> losses from the samples'
    ``gt_label``; ``'predict'`` -> samples with ``pred_feature``.

    Args:
        backbone: Backbone config (core's ``ResNet``).
        neck: Neck config (``GlobalAveragePooling``).
        head: Head config (``LinearReIDHead``).
        pretrained: Unused (kept for configs; use ``init_cfg``).
        train_cfg: Unused (kept for configs).
        data_preprocessor: ``ReIDDataPreprocessor`` config.
        init_cfg: Initialisation config.
    """

    def __init__(
        self,
        backbone: dict | nn.Module,
        neck: dict | nn.Module | None = None,
        head: dict | nn.Module | None = None,
        pretrained: str | None = None,
        train_cfg: dict | None = None,
        data_preprocessor: dict | nn.Module | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = _build(backbone)
        self.neck = _build(neck)
        self.head = _build(head)

    @staticmethod
    def _flatten(inputs: Tensor) -> Tensor:
        return inputs.flatten(0, 1) if inputs.dim() == 5 else inputs

    def extract_feat(self, inputs: Tensor) -> tuple[Tensor, ...]:
        feats = self.backbone(self._flatten(inputs))
        feats = tuple(feats) if isinstance(feats, (list, tuple)) else (feats,)
        if self.neck is not None:
            feats = self.neck(feats)
        return feats

    def _forward(self, inputs: Tensor, data_samples: list[Any] | None = None) -> Tensor:
        feats = self.extract_feat(inputs)
        return self.head(feats) if self.head is not None else feats[-1]

    def loss(self, inputs: Tensor, data_samples: list[Any] | None) -> dict:
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs: Tensor, data_samples: list[Any] | None) -> list:
        return self.head.predict(self.extract_feat(inputs), data_samples)
