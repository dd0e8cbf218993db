"""The fast inference path: BatchNorm folding, deploy forms of layers, channels-last memory
format, optional compile.

``optimize_for_inference`` is what ``init_*``, the Inferencers and ``test.py`` apply to a model
before predicting (``--no-fuse`` / ``fuse=False`` turn the folding off). Outputs equal the
unoptimised model's up to float rounding (tests check 1e-4 for every model family).
"""

from __future__ import annotations

import torch
from torch import nn

from .fuse_conv_bn import fuse_conv_bn

__all__ = ["is_conv_net", "optimize_for_inference"]


def is_conv_net(model: nn.Module) -> bool:
    """True when 2-D convolutions hold at least half of the model's parameters.

    Such a network runs faster with channels-last activations (oneDNN on CPU, cuDNN on GPU);
    a transformer with a patch-embedding convolution does not gain from it.
    """
    total = conv = 0
    for module in model.modules():
        for param in module.parameters(recurse=False):
            total += param.numel()
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)) or (
                param.dim() == 4 and hasattr(module, "out_channels")
            ):
                conv += param.numel()
    return total > 0 and 2 * conv >= total


def optimize_for_inference(
    model: nn.Module,
    fuse: bool = True,
    channels_last: bool | None = None,
    compile: bool = False,
) -> nn.Module:
    """Put ``model`` in eval mode and make it faster for inference, in place.

    Args:
        model: The model (any ``nn.Module``; VisionBox task models and plain backbones alike).
        fuse: Fold eval-mode BatchNorm into the preceding convolutions (:func:`fuse_conv_bn`)
            and call ``switch_to_deploy()`` on the modules that have one (OpenMMLab's name
            for switching a layer to its inference form; detection's ``RoIAlign`` then pools
            with weighted row sums on the CPU).
        channels_last: Store 4-D weights in channels-last order so that convolutions produce
            channels-last activations. ``None`` chooses it for conv nets (:func:`is_conv_net`),
            on CPU and GPU alike.
        compile: Wrap the backbone (and neck, when there is one) in ``torch.compile`` with
            static shapes. Each new input size costs a compilation on its first call (seconds
            to a minute; after torch's recompile limit, 8 sizes, a part runs eagerly), so it
            pays for inputs of a fixed size: pose crops, segmentation and detector inputs padded
            to one size, long test sets. On a 2-core CPU it gained a few percent at best over
            the folded, channels-last eager path (``tools/analysis/benchmark_detector.py
            --compile`` measures a detector), and dynamic shapes ran slower than eager.

    Returns:
        ``model`` itself, in eval mode and for inference only (folded BatchNorms are gone).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"optimize_for_inference expects an nn.Module, got {type(model).__name__}")
    if channels_last not in (None, True, False):
        raise ValueError(f"channels_last must be None, True or False, got {channels_last!r}")
    model.eval()
    if fuse:
        fuse_conv_bn(model)
        for module in model.modules():  # layers with a faster inference form (RoIAlign's)
            if callable(getattr(module, "switch_to_deploy", None)):
                module.switch_to_deploy()
    if channels_last is None:
        channels_last = is_conv_net(model)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    if compile:
        for name in ("backbone", "neck"):
            part = getattr(model, name, None)
            if isinstance(part, nn.Module):
                part.forward = torch.compile(part.forward, dynamic=False)
    return model
