"""Random BatchNorm statistics, so that folding BatchNorm into convolutions is tested on more than
the identity map of freshly initialised layers."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

__all__ = ["count_batchnorms", "randomize_batchnorm"]


@torch.no_grad()
def randomize_batchnorm(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give every BatchNorm of ``model`` random running statistics and affine parameters.

    Means ~ N(0, 0.1), variances ~ U(0.5, 1.5), weights ~ U(0.5, 1.5), biases ~ N(0, 0.1): a
    non-trivial affine map that keeps activations of deep networks in a sane range.
    """
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if not isinstance(module, _BatchNorm) or module.running_mean is None:
            continue
        n = module.num_features
        module.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
        module.running_var.copy_(0.5 + torch.rand(n, generator=generator))
        if module.affine:
            module.weight.copy_(0.5 + torch.rand(n, generator=generator))
            module.bias.copy_(0.1 * torch.randn(n, generator=generator))
    return model


def count_batchnorms(model: nn.Module) -> int:
    """The number of BatchNorm layers left in ``model``."""
    return sum(isinstance(m, _BatchNorm) for m in model.modules())
