"""Detect objects in one image and save the drawing.

    python tools/detection/demo.py IMAGE CONFIG [CHECKPOINT] [--out-file OUT.png]
        [--device cpu] [--score-thr 0.3] [--no-fuse]

Without CHECKPOINT the model keeps its initial weights (useful to check a config). A thin wrapper
of :class:`visionbox.detection.apis.DetInferencer`; ``visionbox predict`` does the same on many
images, folders and videos.
"""

from __future__ import annotations

import argparse
import os
import os.path as osp
import sys

import cv2

from visionbox.core.cli import run_tool
from visionbox.detection.apis import DetInferencer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="VisionBox detection demo on one image.")
    parser.add_argument("image", help="image file")
    parser.add_argument("config", help="config file or 'detection::relative/path.py'")
    parser.add_argument("checkpoint", nargs="?", default=None, help="checkpoint file")
    parser.add_argument("--out-file", default="result.png", help="where to save the drawing")
    parser.add_argument("--device", default="cpu", help="device, e.g. cpu or cuda:0")
    parser.add_argument("--score-thr", type=float, default=0.3, help="lowest score drawn")
    parser.add_argument("--no-fuse", action="store_true", help="keep BatchNorms unfolded")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Detect, draw into ``--out-file`` and return the prediction (lists and numbers)."""
    args = parse_args(argv)
    if not osp.isfile(args.image):
        raise FileNotFoundError(f"Image file not found: {args.image}")
    inferencer = DetInferencer(
        args.config, args.checkpoint, device=args.device, fuse=not args.no_fuse
    )
    result = inferencer(args.image, return_vis=True, pred_score_thr=args.score_thr)
    os.makedirs(osp.dirname(osp.abspath(args.out_file)), exist_ok=True)
    cv2.imwrite(args.out_file, result["visualization"][0][..., ::-1])
    pred = result["predictions"][0]
    kept = sum(score >= args.score_thr for score in pred["scores"])
    print(f"{kept} objects above score {args.score_thr}; drawing saved to {args.out_file}")
    return pred


if __name__ == "__main__" and (status := run_tool(main)):
    sys.exit(status)
