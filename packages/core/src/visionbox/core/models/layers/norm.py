"""Normalization layers under their OpenMMLab names and ``build_norm_layer``.

Registered names: BN (= BN2d), BN1d, BN2d, BN3d, SyncBN, GN, LN, IN (= IN2d), IN1d, IN2d, IN3d.
``build_norm_layer`` returns ``(name, layer)`` like mmcv, the name being the abbreviation plus a
postfix (``bn1``, ``gn``), which is what ``state_dict`` keys of OpenMMLab models contain.
"""

from __future__ import annotations

import warnings

import torch.distributed as dist
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from ...registry import MODELS
from ...utils import check_kwargs
from ._build import resolve_layer_type

__all__ = ["NORM_TYPES", "build_norm_layer", "infer_abbr", "is_norm"]

MODELS.register_module("BN", module=nn.BatchNorm2d)
MODELS.register_module("BN1d", module=nn.BatchNorm1d)
MODELS.register_module("BN2d", module=nn.BatchNorm2d)
MODELS.register_module("BN3d", module=nn.BatchNorm3d)
MODELS.register_module("SyncBN", module=nn.SyncBatchNorm)
MODELS.register_module("GN", module=nn.GroupNorm)
MODELS.register_module("LN", module=nn.LayerNorm)
MODELS.register_module("IN", module=nn.InstanceNorm2d)
MODELS.register_module("IN1d", module=nn.InstanceNorm1d)
MODELS.register_module("IN2d", module=nn.InstanceNorm2d)
MODELS.register_module("IN3d", module=nn.InstanceNorm3d)

#: Norm type names that ``build_norm_layer`` knows.
NORM_TYPES = ("BN", "BN1d", "BN2d", "BN3d", "SyncBN", "GN", "LN", "IN", "IN1d", "IN2d", "IN3d")

_warned_sync_bn = False


def infer_abbr(layer_cls: type) -> str:
    """Return the attribute-name abbreviation of a norm class: bn, gn, ln, in or norm_layer.

    A class may set ``_abbr_`` to choose its own.
    """
    if not isinstance(layer_cls, type):
        raise TypeError(f"layer_cls must be a class, got {type(layer_cls).__name__}")
    if hasattr(layer_cls, "_abbr_"):
        return layer_cls._abbr_
    if issubclass(layer_cls, _InstanceNorm):  # an InstanceNorm is also a _NormBase
        return "in"
    if issubclass(layer_cls, _BatchNorm):
        return "bn"
    if issubclass(layer_cls, nn.GroupNorm):
        return "gn"
    if issubclass(layer_cls, nn.LayerNorm):
        return "ln"
    lowered = layer_cls.__name__.lower()
    for word, abbr in (("batch", "bn"), ("group", "gn"), ("layer", "ln"), ("instance", "in")):
        if word in lowered:
            return abbr
    return "norm_layer"


def _sync_bn_usable() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_backend() == "nccl"


def build_norm_layer(
    cfg: dict, num_features: int, postfix: int | str = ""
) -> tuple[str, nn.Module]:
    """Build a normalization layer.

    Args:
        cfg: ``dict(type=..., requires_grad=True, **layer_args)``. ``requires_grad=False`` freezes
            the affine parameters. GN needs ``num_groups``.
        num_features: Channels C of the (N, C, ...) input.
        postfix: Appended to the abbreviation to form the returned name (``bn`` + ``1``).

    Returns:
        ``(name, layer)``, e.g. ``('bn1', BatchNorm2d(64))``.

    SyncBN needs a NCCL process group. Without one (a single-process or CPU run) it falls back to
    BN, with one warning per process, so that the same config trains on a laptop.
    """
    global _warned_sync_bn
    layer_cls, layer_type, args = resolve_layer_type(cfg, "norm", NORM_TYPES)
    requires_grad = args.pop("requires_grad", True)
    args.setdefault("eps", 1e-5)
    if layer_cls is nn.SyncBatchNorm and not _sync_bn_usable():
        if not _warned_sync_bn:
            warnings.warn(
                "SyncBN needs an initialised NCCL process group; falling back to BN "
                "(nn.BatchNorm2d) in this run.",
                stacklevel=2,
            )
            _warned_sync_bn = True
        layer_cls = nn.BatchNorm2d
    name = infer_abbr(layer_cls) + str(postfix)
    check_kwargs(layer_cls, args.keys(), extra=("num_features", "num_channels"), where=layer_type)
    if issubclass(layer_cls, nn.GroupNorm):
        if "num_groups" not in args:
            raise KeyError(f"The GN config needs 'num_groups', got {cfg!r}")
        layer = layer_cls(num_channels=num_features, **args)
    else:
        layer = layer_cls(num_features, **args)
    for param in layer.parameters():
        param.requires_grad = requires_grad
    return name, layer


def is_norm(layer: nn.Module, exclude: type | tuple[type, ...] | None = None) -> bool:
    """Whether ``layer`` is a Batch-, Instance-, Group- or LayerNorm (and not an ``exclude``)."""
    if exclude is not None and isinstance(layer, exclude):
        return False
    return isinstance(layer, (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm))
