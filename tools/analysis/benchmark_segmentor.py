"""Time VisionBox's PSPNet / DeepLabV3 / FCN R50-D8 inference against torchvision's segmentation
models on CPU and print the ratios.

Every model gets the same (1, 3, 512, 1024) input, random weights, the same thread count and
19 classes. A VisionBox model runs ``EncoderDecoder.predict`` (logits resized to the input, then
the argmax) as built from the shipped Cityscapes configs; torchvision's ``fcn_resnet50`` and
``deeplabv3_resnet50`` (the same dilated ResNet-50 trunk, output stride 8) run ``forward`` plus the
same argmax. Each repeat times the two models of a pair back to back, alternating which goes
first; the medians are compared. PSPNet has no torchvision twin and is set beside
``fcn_resnet50``.

The mmseg configs do more arithmetic than torchvision's models (a three-conv ResNet-C stem
against one 7x7 conv; FCN: three 3x3 convs of 512 channels against one; ASPP: 512 channels and a
3x3 bottleneck against 256 and a 1x1 projection). So two more rows build VisionBox models from the
same registered components laid out as torchvision's (``tv layout``): ``ResNet`` with the 7x7
stem, FCN with one 3x3 conv (``num_convs=1``, ``concat_input=False``), ASPP with 256 channels
(whose 3x3 bottleneck still does about 5% more work than torchvision's 1x1 projection plus 3x3
conv). The FCN pair is then the same network, multiply-accumulate for multiply-accumulate. The table
prints each model's multiply-accumulates (counted on the conv layers during the warm-up run) and two
ratios: ``time`` (VisionBox / torchvision) and ``time/MAC`` (the time per unit of work). Target:
<= 1.0 on the same-architecture rows.

    python tools/analysis/benchmark_segmentor.py --threads 2 --repeats 5
    python tools/analysis/benchmark_segmentor.py --formats channels_last --grad-modes inference_mode

Settings: ``--formats`` nchw / channels_last (both models converted) / fast (ours through
``optimize_for_inference``, BatchNorm folded and channels-last, as ``init_model`` and ``test.py``
run it by default, against torchvision in NCHW as its users run it), ``--grad-modes`` no_grad /
inference_mode.
"""

from __future__ import annotations

import argparse
import copy
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import torch
import torchvision
from timing import compare, count_macs
from torch import nn
from torchvision.models import segmentation as tv_seg

from visionbox.core.engine import load_config
from visionbox.core.models import optimize_for_inference
from visionbox.segmentation.registry import MODELS

CONFIGS = (
    Path(__file__).resolve().parents[2] / "packages/segmentation/src/visionbox/segmentation/configs"
)
FCN_CONFIG = "fcn/fcn_r50-d8_4xb2-40k_cityscapes-512x1024.py"
DEEPLAB_CONFIG = "deeplabv3/deeplabv3_r50-d8_4xb2-40k_cityscapes-512x1024.py"
#: Torchvision's trunk: the 7x7 stem, dilations 2 and 4 in the last two stages.
TV_TRUNK = dict(type="ResNet")
#: Each model: (config, overrides of ``model.backbone`` / ``model.decode_head``).
OURS: dict[str, tuple[str, dict]] = {
    "FCN R50-D8": (FCN_CONFIG, {}),
    "DeepLabV3 R50-D8": (DEEPLAB_CONFIG, {}),
    "PSPNet R50-D8": ("pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py", {}),
    "FCN tv layout": (
        FCN_CONFIG,
        dict(backbone=TV_TRUNK, decode_head=dict(num_convs=1, concat_input=False)),
    ),
    "DeepLabV3 tv layout": (
        DEEPLAB_CONFIG,
        dict(backbone=TV_TRUNK, decode_head=dict(channels=256)),
    ),
}
PEER_OF = {
    "FCN R50-D8": "fcn_resnet50",
    "DeepLabV3 R50-D8": "deeplabv3_resnet50",
    "PSPNet R50-D8": "fcn_resnet50",
    "FCN tv layout": "fcn_resnet50",
    "DeepLabV3 tv layout": "deeplabv3_resnet50",
}
GRAD_MODES: dict[str, Callable[[], AbstractContextManager]] = {
    "no_grad": torch.no_grad,
    "inference_mode": torch.inference_mode,
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads for every model")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per model and setting")
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument(
        "--models", nargs="+", default=list(OURS), choices=list(OURS), metavar="NAME"
    )
    parser.add_argument(
        "--formats",
        nargs="+",
        default=["nchw", "channels_last", "fast"],
        choices=["nchw", "channels_last", "fast"],
    )
    parser.add_argument(
        "--grad-modes", nargs="+", default=["inference_mode"], choices=list(GRAD_MODES)
    )
    return parser.parse_args()


def build_ours(name: str) -> nn.Module:
    config, overrides = OURS[name]
    cfg = load_config(str(CONFIGS / config))
    for part, values in overrides.items():
        cfg.model[part].update(values)
    cfg.model.auxiliary_head = None  # not run at inference; torchvision's is off too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyncBN -> BN in one process
        return MODELS.build(cfg.model).eval()


def build_peer(name: str) -> nn.Module:
    builder = getattr(tv_seg, name)
    return builder(weights=None, weights_backbone=None, num_classes=19, aux_loss=False).eval()


def ours_fn(model: nn.Module, x: torch.Tensor, grad_mode: str) -> Callable[[], None]:
    def run() -> None:
        with GRAD_MODES[grad_mode]():
            model.predict(x)

    return run


def peer_fn(model: nn.Module, x: torch.Tensor, grad_mode: str) -> Callable[[], None]:
    def run() -> None:
        with GRAD_MODES[grad_mode]():
            model(x)["out"].argmax(dim=1, keepdim=True)

    return run


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    size = (args.height, args.width)
    print(
        f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
        f"{torch.get_num_threads()} threads, input 1x3x{size[0]}x{size[1]}, 19 classes, "
        f"random weights, {args.repeats} alternating runs, medians"
    )
    ours = {name: build_ours(name) for name in args.models}
    peers = {name: build_peer(name) for name in sorted({PEER_OF[n] for n in args.models})}
    for name, model in (*ours.items(), *peers.items()):
        print(f"parameters: {name:<20}{sum(p.numel() for p in model.parameters()):>12,}")
    header = (
        f"{'format':<14}{'grad mode':<16}{'VisionBox':<21}{'GMAC':>7}{'s':>8}"
        f"   {'torchvision':<20}{'GMAC':>7}{'s':>8}{'time':>7}{'time/MAC':>10}"
    )
    print(header)
    for fmt in args.formats:
        memory_format = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
        x = torch.randn(1, 3, *size).contiguous(memory_format=memory_format)
        for model in (*ours.values(), *peers.values()):
            model.to(memory_format=memory_format)
        models = ours
        if fmt == "fast":  # folded copies; our plain models stay for the other formats
            models = {name: optimize_for_inference(copy.deepcopy(m)) for name, m in ours.items()}
        for grad_mode in args.grad_modes:
            peer_macs: dict[str, int] = {}
            for name, model in models.items():
                peer_name = PEER_OF[name]
                run_ours = ours_fn(model, x, grad_mode)
                run_peer = peer_fn(peers[peer_name], x, grad_mode)
                macs = count_macs(run_ours, model)
                if peer_name not in peer_macs:
                    peer_macs[peer_name] = count_macs(run_peer, peers[peer_name])
                t_ours, t_peer = compare(run_ours, run_peer, args.repeats, warmup=False)
                ratio = t_ours / t_peer
                per_mac = ratio * peer_macs[peer_name] / macs
                print(
                    f"{fmt:<14}{grad_mode:<16}{name:<21}{macs / 1e9:>7.0f}{t_ours:>8.2f}"
                    f"   {peer_name:<20}{peer_macs[peer_name] / 1e9:>7.0f}{t_peer:>8.2f}"
                    f"{ratio:>7.2f}{per_mac:>10.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
