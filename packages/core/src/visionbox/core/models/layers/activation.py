"""Activation layers under their OpenMMLab names and ``build_activation_layer``.

Registered names: ReLU, LeakyReLU, PReLU, RReLU, ReLU6, ELU, Sigmoid, Tanh, SiLU, Swish, GELU,
HSwish, HSigmoid, Clamp (alias Clip).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ...registry import MODELS
from ._build import build_from_registry

__all__ = ["Swish", "HSigmoid", "Clamp", "ACTIVATION_TYPES", "build_activation_layer"]

for _module in (nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ReLU6, nn.ELU, nn.Sigmoid, nn.Tanh):
    MODELS.register_module(module=_module)
MODELS.register_module("SiLU", module=nn.SiLU)
MODELS.register_module("GELU", module=nn.GELU)
MODELS.register_module("HSwish", module=nn.Hardswish)


@MODELS.register_module()
class Swish(nn.Module):
    """``x * sigmoid(x)`` (the same function as SiLU, kept under its OpenMMLab name)."""

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.sigmoid(x)


@MODELS.register_module()
class HSigmoid(nn.Module):
    """Hard sigmoid: ``clamp((x + bias) / divisor, min_value, max_value)``.

    The defaults equal PyTorch's ``Hardsigmoid`` (``bias=3``, ``divisor=6``).
    """

    def __init__(
        self,
        bias: float = 3.0,
        divisor: float = 6.0,
        min_value: float = 0.0,
        max_value: float = 1.0,
    ) -> None:
        super().__init__()
        if divisor == 0:
            raise ValueError("HSigmoid: divisor must not be 0.")
        self.bias = bias
        self.divisor = divisor
        self.min_value = min_value
        self.max_value = max_value

    def forward(self, x: Tensor) -> Tensor:
        return ((x + self.bias) / self.divisor).clamp(self.min_value, self.max_value)


@MODELS.register_module(name="Clip")
@MODELS.register_module()
class Clamp(nn.Module):
    """Clamp the input into ``[min, max]``."""

    def __init__(self, min: float = -1.0, max: float = 1.0) -> None:  # noqa: A002
        super().__init__()
        self.min = min
        self.max = max

    def forward(self, x: Tensor) -> Tensor:
        return torch.clamp(x, min=self.min, max=self.max)


#: Activation type names that ``build_activation_layer`` knows.
ACTIVATION_TYPES = (
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "RReLU",
    "ReLU6",
    "ELU",
    "Sigmoid",
    "Tanh",
    "SiLU",
    "Swish",
    "GELU",
    "HSwish",
    "HSigmoid",
    "Clamp",
    "Clip",
)


def build_activation_layer(cfg: dict) -> nn.Module:
    """Build an activation layer from ``dict(type=..., **args)``.

    Raises:
        KeyError: for an unknown type, naming the activation types and the closest one.
    """
    return build_from_registry(cfg, "activation", ACTIVATION_TYPES)
