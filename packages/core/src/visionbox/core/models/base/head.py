"""``BaseHead``: the ``loss`` / ``predict`` contract of every task head."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from mmengine.model import BaseModule
from torch import Tensor

__all__ = ["BaseHead"]


class BaseHead(BaseModule, metaclass=ABCMeta):
    """A head turns features into task outputs and computes its losses.

    Contract (the same for detection, segmentation and pose heads):

    * ``forward(feats)`` -> raw outputs (tensors), no post-processing.
    * ``loss(feats, batch_data_samples)`` -> ``dict`` of named losses (tensors or lists of tensors),
      read from the ground truth in ``batch_data_samples``.
    * ``predict(feats, batch_data_samples, ...)`` -> one result per image, post-processed, in the
      form the task's data samples carry (e.g. ``InstanceData`` with ``bboxes``, ``scores``,
      ``labels``).

    ``feats`` is the tuple of (N, C, H_i, W_i) maps from the backbone or neck; N equals
    ``len(batch_data_samples)``.

    ``switch_to_deploy()`` (called by ``optimize_for_inference``) sets :attr:`deploy`; heads
    whose post-processing has a faster form that may differ from the reference one only in the
    order of equal scores use it then.
    """

    #: Whether the head runs its inference form (see :meth:`switch_to_deploy`).
    deploy: bool = False

    def switch_to_deploy(self) -> None:
        """Switch the head to its inference form."""
        self.deploy = True

    @abstractmethod
    def forward(self, feats: tuple[Tensor, ...]) -> Any:
        """Raw head outputs."""

    @abstractmethod
    def loss(self, feats: tuple[Tensor, ...], batch_data_samples: list[Any]) -> dict:
        """Losses of one batch as a dict of name -> tensor."""

    @abstractmethod
    def predict(
        self, feats: tuple[Tensor, ...], batch_data_samples: list[Any], **kwargs: Any
    ) -> list:
        """Post-processed predictions, one per image of the batch."""
