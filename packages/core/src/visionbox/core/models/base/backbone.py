"""``BaseBackbone``, ``BaseNeck`` and the channel check between them."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod

from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

__all__ = ["BaseBackbone", "BaseNeck", "check_channels"]


class BaseBackbone(BaseModule, metaclass=ABCMeta):
    """A feature extractor: image batch (N, C, H, W) -> tuple of feature maps (N, C_i, H_i, W_i).

    Subclasses set ``self.out_channels`` to the list of C_i of the maps ``forward`` returns, in
    order, so that a neck's ``in_channels`` can be checked at build time (:func:`check_channels`).
    """

    out_channels: list[int]

    @abstractmethod
    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        """Return the feature maps selected by ``out_indices``, highest resolution first."""

    def _set_norm_eval(self, mode: bool, norm_eval: bool) -> None:
        """Keep BatchNorm layers in eval mode (frozen statistics) while training, if asked."""
        if mode and norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()

    @staticmethod
    def _freeze(*modules: nn.Module) -> None:
        """Put modules in eval mode and stop their parameters' gradients."""
        for module in modules:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False


class BaseNeck(BaseModule, metaclass=ABCMeta):
    """Transforms a tuple of backbone maps into another tuple of maps.

    Subclasses set ``self.in_channels`` (a list, one entry per input map) and ``self.out_channels``.
    """

    in_channels: list[int]

    @abstractmethod
    def forward(self, inputs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        """Map (N, in_channels[i], H_i, W_i) inputs to the neck's outputs."""


def check_channels(backbone: nn.Module, neck: nn.Module) -> None:
    """Fail when the neck's ``in_channels`` do not match the backbone's ``out_channels``.

    Modules that do not report their channels (user modules without the attributes) pass.

    Raises:
        ValueError: naming both lists.
    """
    produced = getattr(backbone, "out_channels", None)
    expected = getattr(neck, "in_channels", None)
    if produced is None or expected is None:
        return
    produced = [produced] if isinstance(produced, int) else list(produced)
    expected = [expected] if isinstance(expected, int) else list(expected)
    if produced != expected:
        raise ValueError(
            f"The neck {type(neck).__name__} expects in_channels={expected}, but the backbone "
            f"{type(backbone).__name__} outputs out_channels={produced} (check out_indices, "
            "widen_factor or the neck's in_channels)."
        )
