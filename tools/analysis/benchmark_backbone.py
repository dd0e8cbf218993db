"""Time VisionBox's ResNet-50 against torchvision's resnet50 trunk on CPU and print the ratios.

Both networks run the same input (default 4x3x224x224, random weights) with the same thread count;
each repeat times ours and torchvision's back to back, alternating which goes first, and the
medians are compared. "forward" runs in eval mode under ``torch.no_grad``; "forward+backward" runs
in train mode (BatchNorm with batch statistics in both) and back-propagates the sum of the last
stage. Both memory formats are measured: NCHW and ``channels_last`` (usually much faster on CPU).

Then our inference fast path (``optimize_for_inference``: BatchNorm folded, channels-last) is set
beside torchvision's trunk in NCHW, and its throughput in GFLOP/s (2 x the conv and linear
multiply-accumulates per second) beside the machine's fp32 matmul GFLOP/s (4096 x 4096, the same
threads): the target is >= 55% of the matmul figure.

    python tools/analysis/benchmark_backbone.py --threads 2 --repeats 7

Then Swin-T and ConvNeXt-T are timed beside torchvision's ``swin_t`` / ``convnext_tiny`` trunks,
and MiT-b0 alone, with the attention modules' share of the forward time
(``transformer_backbones.py``; ``--no-transformers`` skips them).

A ratio below 1.0 means VisionBox is faster.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

import torch
import torchvision
import transformer_backbones
from timing import compare, timed
from torch import nn

from visionbox.core.models import optimize_for_inference
from visionbox.core.registry import MODELS


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads for both models")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per model and mode")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument(
        "--formats", nargs="+", default=["nchw", "channels_last"], choices=["nchw", "channels_last"]
    )
    parser.add_argument(
        "--transformers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time Swin-T, ConvNeXt-T (vs torchvision) and MiT-b0 (transformer_backbones.py)",
    )
    return parser.parse_args()


def build_models() -> tuple[nn.Module, nn.Module]:
    ours = MODELS.build(dict(type="ResNet", depth=50, out_indices=(0, 1, 2, 3), norm_eval=False))
    reference = torchvision.models.resnet50()
    trunk = nn.Sequential(*list(reference.children())[:-2])  # without avgpool and fc
    return ours, trunk


def _last(out: torch.Tensor | tuple[torch.Tensor, ...]) -> torch.Tensor:
    return out[-1] if isinstance(out, tuple) else out


def forward_fn(model: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        model.eval()
        with torch.no_grad():
            _last(model(x))

    return run


def forward_backward_fn(model: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        model.train()
        model.zero_grad(set_to_none=True)
        _last(model(x)).sum().backward()

    return run


def matmul_gflops(repeats: int, n: int = 4096) -> float:
    """fp32 GFLOP/s of an n x n matmul (median of ``repeats``)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    times = [timed(lambda: a @ b) for _ in range(repeats)]
    return 2 * n**3 / statistics.median(times) / 1e9


def conv_macs(model: nn.Module, x: torch.Tensor) -> int:
    """Multiply-accumulates of ``model``'s conv layers on ``x`` (one forward pass)."""
    total = 0

    def hook(module: nn.Conv2d, _inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        kh, kw = module.kernel_size
        total += output.numel() * (module.in_channels // module.groups) * kh * kw

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return total


def fast_path(args: argparse.Namespace, ours: nn.Module, theirs: nn.Module) -> None:
    """Our folded, channels-last trunk against torchvision's NCHW one, and its GFLOP/s."""
    ours = optimize_for_inference(ours.to(memory_format=torch.contiguous_format))
    theirs = theirs.to(memory_format=torch.contiguous_format)
    x = torch.randn(args.batch, 3, args.size, args.size)
    t_ours, t_theirs = compare(forward_fn(ours, x), forward_fn(theirs, x), args.repeats)
    ratio = t_ours / t_theirs
    print(f"{'fast path':<14}{'forward':<18}{t_ours:>12.3f}{t_theirs:>15.3f}{ratio:>8.2f}")
    trunk = 2 * conv_macs(ours, x) / t_ours / 1e9
    peak = matmul_gflops(args.repeats)
    print(
        f"ResNet-50 trunk, fast path: {trunk:.0f} GFLOP/s; fp32 matmul 4096^2: {peak:.0f} GFLOP/s; "
        f"trunk / matmul = {trunk / peak:.0%}"
    )


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ours, theirs = build_models()
    n_ours = sum(p.numel() for p in ours.parameters())
    n_theirs = sum(p.numel() for p in theirs.parameters())
    print(
        f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
        f"{args.threads} threads, "
        f"input {args.batch}x3x{args.size}x{args.size}, {args.repeats} alternating runs, medians"
    )
    print(f"parameters: VisionBox {n_ours:,}  torchvision {n_theirs:,}")
    print(f"{'format':<14}{'mode':<18}{'VisionBox s':>12}{'torchvision s':>15}{'ratio':>8}")
    for fmt in args.formats:
        memory_format = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
        ours = ours.to(memory_format=memory_format)
        theirs = theirs.to(memory_format=memory_format)
        x = torch.randn(args.batch, 3, args.size, args.size).contiguous(memory_format=memory_format)
        for mode, make in (("forward", forward_fn), ("forward+backward", forward_backward_fn)):
            t_ours, t_theirs = compare(make(ours, x), make(theirs, x), args.repeats)
            print(f"{fmt:<14}{mode:<18}{t_ours:>12.3f}{t_theirs:>15.3f}{t_ours / t_theirs:>8.2f}")
    fast_path(args, ours, theirs)
    if args.transformers:
        transformer_backbones.run(
            args.batch, args.size, args.repeats, compare, forward_fn, forward_backward_fn
        )


if __name__ == "__main__":
    main()
