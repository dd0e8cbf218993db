"""Random BatchNorm statistics, so that folding BatchNorm into convolutions is tested on more than
the identity map of freshly initialised layers, and the check that an optimised model computes
what the plain one does."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

__all__ = ["assert_optimized_model_matches", "count_batchnorms", "randomize_batchnorm"]


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


def _flatten(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        return [t for key in sorted(out) for t in _flatten(out[key])]
    if isinstance(out, (list, tuple)):
        return [t for item in out for t in _flatten(item)]
    return []


def assert_optimized_model_matches(
    model: nn.Module, run: Callable[[nn.Module], Any], atol: float = 1e-4
) -> nn.Module:
    """Check that ``optimize_for_inference`` keeps what ``run(model)`` computes.

    ``run`` takes a model and returns tensors (nested in tuples, lists or dicts), e.g.
    ``lambda m: m(inputs, data_samples, mode='tensor')``; it runs under ``torch.no_grad``. Keep
    data-dependent selections (top-k proposals) out of it: float rounding may reorder near-ties.

    The model gets random BatchNorm statistics first; the optimised copy must have folded every
    BatchNorm and produce the same tensors: ``max |out - ref| <= atol * max(1, max |ref|)`` per
    tensor (randomly initialised deep nets reach activations in the thousands, where float32
    rounding alone is above 1e-4). Returns the copy.
    """
    from visionbox.core.models import optimize_for_inference

    randomize_batchnorm(model).eval()
    with torch.no_grad():
        expected = _flatten(run(model))
    optimized = optimize_for_inference(copy.deepcopy(model))
    assert count_batchnorms(optimized) == 0, "BatchNorm layers left after folding"
    assert optimized.fused_conv_bn == count_batchnorms(model) > 0
    with torch.no_grad():
        actual = _flatten(run(optimized))
    assert len(actual) == len(expected) > 0
    for i, (ref, out) in enumerate(zip(expected, actual, strict=True)):
        assert out.shape == ref.shape, f"output {i}: shape {tuple(out.shape)} != {tuple(ref.shape)}"
        scale = max(1.0, ref.abs().max().item())
        error = (out - ref).abs().max().item()
        assert error <= atol * scale, f"output {i}: max error {error:.3g} > {atol} * {scale:.3g}"
    return optimized
