"""Stochastic depth (``DropPath``, https://arxiv.org/abs/1603.09382) and ``Dropout`` under mmcv's
names: both are registered in ``MODELS`` and take ``drop_prob``, so that a transformer brick's
``dropout_layer=dict(type='DropPath', drop_prob=0.1)`` builds either.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ...registry import MODELS
from ._build import build_from_registry

__all__ = ["DROPOUT_TYPES", "DropPath", "Dropout", "build_dropout", "drop_path"]

#: Dropout type names that ``build_dropout`` knows.
DROPOUT_TYPES = ("DropPath", "Dropout")


def drop_path(x: Tensor, drop_prob: float = 0.0, training: bool = False) -> Tensor:
    """Zero whole samples of ``x`` with probability ``drop_prob`` and rescale the others.

    Args:
        x: (N, ...) any layout whose first dimension is the batch.
        drop_prob: Probability that a sample's path is dropped.
        training: Identity when False.

    Returns:
        (N, ...) ``x / keep_prob`` for kept samples, zeros for dropped ones.
    """
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1.0 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    keep = (keep_prob + torch.rand(shape, dtype=x.dtype, device=x.device)).floor_()
    return x.div(keep_prob) * keep


@MODELS.register_module()
class DropPath(nn.Module):
    """Drop the residual path of whole samples (stochastic depth); identity in eval mode.

    Shapes: (N, ...) -> (N, ...).

    Args:
        drop_prob: Probability that a sample's path is zeroed.
    """

    def __init__(self, drop_prob: float = 0.1) -> None:
        super().__init__()
        if not 0.0 <= drop_prob < 1.0:
            raise ValueError(f"DropPath drop_prob must be in [0, 1); got {drop_prob!r}.")
        self.drop_prob = drop_prob

    def forward(self, x: Tensor) -> Tensor:
        return drop_path(x, self.drop_prob, self.training)

    def extra_repr(self) -> str:
        return f"drop_prob={self.drop_prob}"


@MODELS.register_module()
class Dropout(nn.Dropout):
    """``torch.nn.Dropout`` whose probability is named ``drop_prob`` (mmcv's, like ``DropPath``)."""

    def __init__(self, drop_prob: float = 0.5, inplace: bool = False) -> None:
        super().__init__(p=drop_prob, inplace=inplace)


def build_dropout(cfg: dict | None) -> nn.Module:
    """Build ``dict(type='DropPath' | 'Dropout' | any registered layer, drop_prob=...)``.

    ``None`` gives ``nn.Identity``.
    """
    if cfg is None:
        return nn.Identity()
    return build_from_registry(cfg, "dropout", DROPOUT_TYPES)
