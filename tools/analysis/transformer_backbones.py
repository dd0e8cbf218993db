"""Transformer-era backbone rows of ``benchmark_backbone.py``: VisionBox's Swin-T and ConvNeXt-T
beside torchvision's ``swin_t`` / ``convnext_tiny`` trunks, and MiT-b0 (no torchvision
counterpart) alone.

Each pair runs the same input with the same threads, alternating which goes first; the trunks do
the same work (random weights, last stage only: our ``out_indices=(3,)``, torchvision's
``features`` plus Swin's final norm). "attention" is the share of the forward time spent inside
the windowed / spatial-reduction attention modules (timed with forward hooks, eval mode).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
import torchvision
from torch import nn

from visionbox.core.registry import MODELS

#: (row name, our backbone config, torchvision builder, attention module class names)
PAIRS = (
    (
        "Swin-T",
        dict(type="SwinTransformer", out_indices=(3,), drop_path_rate=0.2),
        lambda: torchvision.models.swin_t(),
        ("ShiftWindowMSA", "ShiftedWindowAttention"),
    ),
    (
        "ConvNeXt-T",
        dict(type="ConvNeXt", arch="tiny", out_indices=[3], gap_before_final_norm=False),
        lambda: torchvision.models.convnext_tiny(),
        (),
    ),
    (
        "MiT-b0",
        dict(
            type="MixVisionTransformer",
            embed_dims=32,
            num_layers=[2, 2, 2, 2],
            num_heads=[1, 2, 5, 8],
            out_indices=(3,),
        ),
        None,
        ("EfficientMultiheadAttention",),
    ),
)


class _Trunk(nn.Module):
    """torchvision classifier without its pooling and head: ``features`` (+ ``norm`` for Swin)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.features = model.features
        self.norm = getattr(model, "norm", nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.features(x))


def attention_share(model: nn.Module, x: torch.Tensor, names: tuple[str, ...]) -> float | None:
    """Fraction of one eval forward spent inside modules whose class name is in ``names``."""
    modules = [m for m in model.modules() if type(m).__name__ in names]
    if not modules:
        return None
    spent, starts = 0.0, {}

    def pre(module: nn.Module, _args: tuple) -> None:
        starts[id(module)] = time.perf_counter()

    def post(module: nn.Module, _args: tuple, _out: object) -> None:
        nonlocal spent
        spent += time.perf_counter() - starts.pop(id(module))

    handles = [m.register_forward_pre_hook(pre) for m in modules]
    handles += [m.register_forward_hook(post) for m in modules]
    model.eval()
    with torch.no_grad():
        start = time.perf_counter()
        model(x)
        total = time.perf_counter() - start
    for handle in handles:
        handle.remove()
    return spent / total


def run(
    batch: int,
    size: int,
    repeats: int,
    compare: Callable[[Callable[[], None], Callable[[], None], int], tuple[float, float]],
    forward_fn: Callable[[nn.Module, torch.Tensor], Callable[[], None]],
    forward_backward_fn: Callable[[nn.Module, torch.Tensor], Callable[[], None]],
) -> None:
    """Print one row per backbone and mode (the timing helpers come from benchmark_backbone)."""
    x = torch.randn(batch, 3, size, size)
    print(
        f"\n{'backbone':<12}{'mode':<18}{'VisionBox s':>12}{'torchvision s':>15}{'ratio':>8}"
        f"{'attention':>11}"
    )
    for name, cfg, reference, attention in PAIRS:
        if MODELS.get(cfg["type"]) is None:
            print(f"{name:<12}(not available: {cfg['type']} is not registered)")
            continue
        ours = MODELS.build(cfg)
        theirs = _Trunk(reference()) if reference is not None else None
        share = attention_share(ours, x, attention)
        their_share = attention_share(theirs, x, attention) if theirs is not None else None
        for mode, make in (("forward", forward_fn), ("forward+backward", forward_backward_fn)):
            if theirs is None:
                t_ours, _ = compare(make(ours, x), make(ours, x), repeats)
                cells = f"{t_ours:>12.3f}{'-':>15}{'-':>8}"
            else:
                t_ours, t_theirs = compare(make(ours, x), make(theirs, x), repeats)
                cells = f"{t_ours:>12.3f}{t_theirs:>15.3f}{t_ours / t_theirs:>8.2f}"
            attn = "" if share is None or mode != "forward" else f"{share:>10.0%}"
            if attn and their_share is not None:
                attn += f" (tv {their_share:.0%})"
            print(f"{name:<12}{mode:<18}{cells}{attn}")
