"""Time VisionBox's RTMPose-m beside SimpleBaseline R50 at 256x192 on CPU and print the ratios;
and, as the reference against a peer, SimpleBaseline's ResNet-50 trunk beside torchvision's.

Top-down pose models run on person crops: every model sees the same (B, 3, 256, 192) input
(``--batch``, default 1: one person), random weights and the same thread count. A pose model runs
``TopdownPoseEstimator.predict`` as built from the shipped COCO configs (backbone, head and the
codec's decoding to keypoints in the image; flip test off on both, as deployed, unless
``--flip-test``). torchvision has no pose model, so the peer-timed row sets our ResNet-50 (the
SimpleBaseline backbone, mmpose's layout: 7x7 stem, stride in the 3x3 conv) beside torchvision's
``resnet50`` trunk (everything before the pooling and the classifier): the same network,
multiply-accumulate for multiply-accumulate. Each repeat times the two models of a pair back to
back, alternating which goes first; the medians are compared.

The table prints each model's multiply-accumulates (the conv and linear layers, counted during
the warm-up run) and two ratios: ``time`` (left / right) and ``time/MAC`` (the time per unit of
work). A ratio below 1.0 means the left model is faster.

    python tools/analysis/benchmark_pose.py --threads 2 --repeats 5
    python tools/analysis/benchmark_pose.py --formats fast --batch 8

Settings: ``--formats`` nchw / channels_last (both models converted) / fast (ours through
``optimize_for_inference``, BatchNorm folded and channels-last, as ``init_model`` and ``test.py``
run it by default; torchvision in NCHW as its users run it).
"""

from __future__ import annotations

import argparse
import copy
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torchvision
from mmengine.registry import init_default_scope
from timing import compare, count_macs
from torch import nn

from visionbox.core.engine import load_config
from visionbox.core.models import optimize_for_inference
from visionbox.pose.registry import MODELS
from visionbox.pose.structures import PoseDataSample

CONFIGS = Path(__file__).resolve().parents[2] / "packages/pose/src/visionbox/pose/configs"
RTMPOSE_M = "body_2d_keypoint/rtmpose/coco/rtmpose-m_8xb256-420e_coco-256x192.py"
SIMPLEBASELINE = "body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py"
INPUT_SIZE = (192, 256)  # (w, h), as the configs write it


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads for every model")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per model and setting")
    parser.add_argument("--batch", type=int, default=1, help="person crops per call")
    parser.add_argument("--flip-test", action="store_true", help="keep the configs' flip test")
    parser.add_argument(
        "--formats",
        nargs="+",
        default=["nchw", "channels_last", "fast"],
        choices=["nchw", "channels_last", "fast"],
    )
    return parser.parse_args()


def build_pose(config: str, flip_test: bool) -> nn.Module:
    cfg = load_config(str(CONFIGS / config))
    cfg.model.backbone.pop("init_cfg", None)  # random weights; no download
    cfg.model.test_cfg["flip_test"] = flip_test
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyncBN -> BN in one process
        return MODELS.build(cfg.model).eval()


def resnet50_trunk() -> nn.Module:
    """torchvision's ResNet-50 without its pooling and classifier: (B, 2048, H/32, W/32)."""
    net = torchvision.models.resnet50(weights=None)
    return nn.Sequential(*list(net.children())[:-2]).eval()


def crop_samples(batch: int, flip_indices: list[int]) -> list[PoseDataSample]:
    """Data samples of crops that fill the input: what ``TopdownAffine`` would leave."""
    w, h = INPUT_SIZE
    meta = dict(
        input_size=INPUT_SIZE,
        input_center=np.array([w / 2, h / 2], np.float32),
        input_scale=np.array([w, h], np.float32),
        flip_indices=flip_indices,
    )
    return [PoseDataSample(metainfo=meta) for _ in range(batch)]


def pose_fn(model: nn.Module, x: torch.Tensor, batch: int) -> Callable[[], None]:
    samples = crop_samples(batch, list(range(model.head.out_channels)))

    def run() -> None:
        with torch.inference_mode():
            model.predict(x, copy.deepcopy(samples))

    return run


def trunk_fn(model: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        with torch.inference_mode():
            out = model(x)
            (out[-1] if isinstance(out, tuple) else out).sum()

    return run


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    init_default_scope("pose")
    w, h = INPUT_SIZE
    print(
        f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
        f"{torch.get_num_threads()} threads, input {args.batch}x3x{h}x{w}, random weights, "
        f"flip test {'on' if args.flip_test else 'off'}, {args.repeats} alternating runs, medians"
    )
    rtmpose = build_pose(RTMPOSE_M, args.flip_test)
    baseline = build_pose(SIMPLEBASELINE, args.flip_test)
    trunk = resnet50_trunk()
    for name, model in (
        ("RTMPose-m", rtmpose),
        ("SimpleBaseline R50", baseline),
        ("  its ResNet-50", baseline.backbone),
        ("torchvision resnet50", trunk),
    ):
        print(f"parameters: {name:<22}{sum(p.numel() for p in model.parameters()):>12,}")
    print(
        f"{'format':<15}{'left':<22}{'GMAC':>7}{'ms':>9}   {'right':<22}{'GMAC':>7}{'ms':>9}"
        f"{'time':>7}{'time/MAC':>10}"
    )
    for fmt in args.formats:
        memory_format = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
        x = torch.randn(args.batch, 3, h, w).contiguous(memory_format=memory_format)
        models = [m.to(memory_format=memory_format) for m in (rtmpose, baseline, trunk)]
        ours_rtm, ours_base = models[0], models[1]
        if fmt == "fast":  # folded copies; the plain models stay for the other formats
            ours_rtm = optimize_for_inference(copy.deepcopy(rtmpose))
            ours_base = optimize_for_inference(copy.deepcopy(baseline))
        pairs = [
            (
                ("RTMPose-m", ours_rtm, pose_fn(ours_rtm, x, args.batch)),
                ("SimpleBaseline R50", ours_base, pose_fn(ours_base, x, args.batch)),
            ),
            (
                ("ResNet-50 (ours)", ours_base.backbone, trunk_fn(ours_base.backbone, x)),
                ("torchvision resnet50", trunk, trunk_fn(trunk, x)),
            ),
        ]
        for (left_name, left, run_left), (right_name, right, run_right) in pairs:
            macs_left, macs_right = count_macs(run_left, left), count_macs(run_right, right)
            t_left, t_right = compare(run_left, run_right, args.repeats, warmup=False)
            ratio = t_left / t_right
            per_mac = ratio * macs_right / macs_left
            print(
                f"{fmt:<15}{left_name:<22}{macs_left / 1e9:>7.2f}{t_left * 1e3:>9.1f}"
                f"   {right_name:<22}{macs_right / 1e9:>7.2f}{t_right * 1e3:>9.1f}"
                f"{ratio:>7.2f}{per_mac:>10.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
