"""The ResNet family with mmseg's ``contract_dilation`` and ``multi_grid`` (dilated ResNets).

The trunk (and its ``state_dict`` keys) is core's; these classes, registered in the
segmentation scope under the same names, only change the dilation of the 3x3 convs of the
dilated stages, as mmseg 1.x does:

* ``contract_dilation=True``: the first block of a stage with dilation d > 1 uses d // 2;
* ``multi_grid=(g_0, g_1, ...)``: block j of the last stage uses ``dilation * g_j``.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from torch import nn

from visionbox.core.models.backbones import ResNet as CoreResNet
from visionbox.core.models.backbones import ResNetV1c as CoreResNetV1c
from visionbox.core.models.backbones import ResNetV1d as CoreResNetV1d

from ...registry import MODELS

__all__ = ["ResNet", "ResNetV1c", "ResNetV1d", "set_block_dilation"]


def set_block_dilation(block: nn.Module, dilation: int) -> None:
    """Set the dilation (and the 'same' padding) of a residual block's 3x3 conv."""
    conv = block.conv2 if hasattr(block, "conv3") else block.conv1
    conv.dilation = (dilation, dilation)
    conv.padding = (dilation, dilation)


def _apply_dilation(
    model: CoreResNet, contract_dilation: bool, multi_grid: Sequence[int] | None
) -> None:
    num_stages = len(model.res_layers)
    for i, name in enumerate(model.res_layers):
        layer = getattr(model, name)
        dilation = model.dilations[i]
        if multi_grid is not None and i == num_stages - 1:
            if len(multi_grid) != len(layer):
                raise ValueError(
                    f"multi_grid {tuple(multi_grid)} needs one entry per block of the last stage "
                    f"({len(layer)} blocks)."
                )
            for block, grid in zip(layer, multi_grid):
                set_block_dilation(block, dilation * grid)
        elif contract_dilation and dilation > 1:
            set_block_dilation(layer[0], dilation // 2)


def _signature(base: type) -> inspect.Signature:
    signature = inspect.signature(base.__init__)
    extra = [
        inspect.Parameter("contract_dilation", inspect.Parameter.KEYWORD_ONLY, default=False),
        inspect.Parameter("multi_grid", inspect.Parameter.KEYWORD_ONLY, default=None),
    ]
    params = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    params = [p.replace(kind=p.KEYWORD_ONLY) if p.name != "self" else p for p in params]
    return signature.replace(parameters=params + extra)


@MODELS.register_module()
class ResNet(CoreResNet):
    """Core's :class:`~visionbox.core.models.ResNet` plus ``contract_dilation`` and
    ``multi_grid`` (see the module docstring)."""

    def __init__(
        self,
        depth: int,
        *,
        contract_dilation: bool = False,
        multi_grid: Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(depth, **kwargs)
        _apply_dilation(self, contract_dilation, multi_grid)

    __init__.__signature__ = _signature(CoreResNet)  # type: ignore[attr-defined]


@MODELS.register_module()
class ResNetV1c(CoreResNetV1c):
    """Core's :class:`~visionbox.core.models.ResNetV1c` (deep stem) plus ``contract_dilation``
    and ``multi_grid``."""

    def __init__(
        self,
        depth: int,
        *,
        contract_dilation: bool = False,
        multi_grid: Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(depth, **kwargs)
        _apply_dilation(self, contract_dilation, multi_grid)

    __init__.__signature__ = _signature(CoreResNetV1c)  # type: ignore[attr-defined]


@MODELS.register_module()
class ResNetV1d(CoreResNetV1d):
    """Core's :class:`~visionbox.core.models.ResNetV1d` (deep stem, average-pool shortcuts) plus
    ``contract_dilation`` and ``multi_grid``."""

    def __init__(
        self,
        depth: int,
        *,
        contract_dilation: bool = False,
        multi_grid: Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(depth, **kwargs)
        _apply_dilation(self, contract_dilation, multi_grid)

    __init__.__signature__ = _signature(CoreResNetV1d)  # type: ignore[attr-defined]
