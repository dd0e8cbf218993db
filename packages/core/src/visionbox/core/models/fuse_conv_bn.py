"""Fold BatchNorm into the convolution before it, for inference.

A BatchNorm in eval mode is an affine map per channel, ``y = (x - mean) * s + beta`` with
``s = gamma / sqrt(var + eps)``; after a convolution it folds into the convolution's weights and
bias (``W' = W * s``, ``b' = (b - mean) * s + beta``), which removes one pass over every feature
map. The folded network computes the same function up to float rounding.

Which pairs are folded (only pairs that are certainly applied one after the other):

- a :class:`ConvModule` whose ``order`` puts ``'conv'`` before ``'norm'``;
- consecutive ``(conv, bn)`` children of an ``nn.Sequential`` (ResNet's ``downsample``, HRNet's
  fuse layers, pose deconvolution heads);
- ``conv{k}`` directly followed by ``bn{k}`` / ``norm{k}`` among a module's children, the
  OpenMMLab and torchvision ResNet layout (``conv1``, ``bn1``, ``conv2``, ``bn2``, ...).

A convolution shared by several modules, each with its own BatchNorm (RTMDet's heads share their
tower convs across levels but not their norms), is first copied for each of them, so every copy
takes its own BatchNorm.

A BatchNorm is folded when it is in eval mode (or is torchvision's ``FrozenBatchNorm2d``) and uses
running statistics; one in train mode is left alone, since it normalises with batch statistics.
The folded BatchNorm becomes ``nn.Identity``, so the model is for inference only (its
``state_dict`` keys change and ``train()`` would not bring the BatchNorm back).
"""

from __future__ import annotations

import copy
import re
from collections import Counter

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torchvision.ops import FrozenBatchNorm2d

from .layers import ConvModule

__all__ = ["fuse_conv_bn"]

_CONV_TYPES = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d)
_CONV_NAME = re.compile(r"conv(\d*)")


def _is_foldable_bn(module: nn.Module) -> bool:
    if isinstance(module, FrozenBatchNorm2d):
        return True
    return (
        isinstance(module, _BatchNorm)
        and not module.training
        and module.track_running_stats
        and module.running_mean is not None
    )


def _is_foldable_conv(module: nn.Module) -> bool:
    """A plain conv (or a conv-like layer with ``weight``, ``out_channels`` and ``groups``).

    Spectral-normalised convs are skipped: their weight is recomputed from ``weight_orig``.
    """
    weight = getattr(module, "weight", None)
    if hasattr(module, "weight_orig") or not isinstance(weight, nn.Parameter):
        return False
    if isinstance(module, _CONV_TYPES):
        return True
    return hasattr(module, "out_channels") and hasattr(module, "groups")


@torch.no_grad()
def _fold(conv: nn.Module, bn: nn.Module) -> bool:
    """Fold ``bn`` into ``conv`` in place. Returns False (and changes nothing) on a mismatch."""
    out_channels = conv.out_channels
    if bn.running_var.shape[0] != out_channels:
        return False
    weight = conv.weight
    gamma = bn.weight if bn.weight is not None else torch.ones_like(bn.running_var)
    beta = bn.bias if bn.bias is not None else torch.zeros_like(bn.running_var)
    scale = gamma.double() / torch.sqrt(bn.running_var.double() + bn.eps)  # (C_out,)
    bias = conv.bias.double() if conv.bias is not None else torch.zeros_like(scale)
    new_bias = (bias - bn.running_mean.double()) * scale + beta.double()
    if getattr(conv, "transposed", False):
        # (C_in, C_out / g, k...): output channel o = group * (C_out / g) + j sits at column j.
        groups = conv.groups
        per_group = out_channels // groups
        shape = weight.shape
        grouped = weight.double().reshape(groups, shape[0] // groups, per_group, -1)
        grouped = grouped * scale.reshape(groups, 1, per_group, 1)
        new_weight = grouped.reshape(shape)
    else:
        view = (-1,) + (1,) * (weight.dim() - 1)
        new_weight = weight.double() * scale.reshape(view)
    weight.copy_(new_weight.to(weight.dtype))
    if conv.bias is None:
        conv.bias = nn.Parameter(new_bias.to(weight.dtype), requires_grad=weight.requires_grad)
    else:
        conv.bias.copy_(new_bias.to(conv.bias.dtype))
    return True


def _own_conv(parent: nn.Module, name: str, shared: set[int]) -> nn.Module:
    """``parent``'s child ``name``, replaced by a private copy when other modules share it."""
    conv = getattr(parent, name)
    if id(conv) in shared:
        conv = copy.deepcopy(conv)
        setattr(parent, name, conv)
    return conv


def _fuse_conv_module(module: ConvModule, shared: set[int]) -> int:
    norm_name = module.norm_name
    if norm_name is None or module.order.index("conv") > module.order.index("norm"):
        return 0
    norm = getattr(module, norm_name)
    if not (_is_foldable_bn(norm) and _is_foldable_conv(module.conv)):
        return 0
    if not _fold(_own_conv(module, "conv", shared), norm):
        return 0
    setattr(module, norm_name, nn.Identity())
    module.with_bias = True
    return 1


def _pairs(parent: nn.Module) -> list[tuple[str, str]]:
    """(conv name, bn name) children of ``parent`` that run one directly after the other."""
    children = list(parent.named_children())
    pairs = []
    for (conv_name, conv), (bn_name, bn) in zip(children, children[1:], strict=False):
        if not (_is_foldable_conv(conv) and _is_foldable_bn(bn)):
            continue
        if isinstance(parent, nn.Sequential):
            pairs.append((conv_name, bn_name))
            continue
        match = _CONV_NAME.fullmatch(conv_name)
        if match and bn_name in (f"bn{match.group(1)}", f"norm{match.group(1)}"):
            pairs.append((conv_name, bn_name))
    return pairs


def fuse_conv_bn(model: nn.Module) -> nn.Module:
    """Fold every eval-mode BatchNorm that directly follows a convolution into it, in place.

    See the module docstring for the pairs that are folded. Call ``model.eval()`` first: a
    BatchNorm in train mode is not folded.

    Args:
        model: Any ``nn.Module``; its submodules are changed in place.

    Returns:
        ``model`` itself. ``model.fused_conv_bn`` holds the number of folded pairs.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"fuse_conv_bn expects an nn.Module, got {type(model).__name__}")
    parents = Counter(id(child) for module in model.modules() for child in module.children())
    shared = {key for key, n in parents.items() if n > 1}
    count = 0
    for module in list(model.modules()):
        if isinstance(module, ConvModule):
            count += _fuse_conv_module(module, shared)
            continue
        for conv_name, bn_name in _pairs(module):
            if _fold(_own_conv(module, conv_name, shared), getattr(module, bn_name)):
                setattr(module, bn_name, nn.Identity())
                count += 1
    model.fused_conv_bn = count
    return model
