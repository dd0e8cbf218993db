"""Detect objects in one image and save the drawing.

    python tools/detection/demo.py IMAGE CONFIG [CHECKPOINT] [--out-file OUT.png]
        [--device cpu] [--score-thr 0.3]

Without CHECKPOINT the model keeps its initial weights (useful to check a config).
"""

from __future__ import annotations

import argparse
import os

import cv2

from visionbox.detection.apis import inference_detector, init_detector
from visionbox.detection.visualization import DetLocalVisualizer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="VisionBox detection demo on one image.")
    parser.add_argument("image", help="image file")
    parser.add_argument("config", help="config file")
    parser.add_argument("checkpoint", nargs="?", default=None, help="checkpoint file")
    parser.add_argument("--out-file", default="result.png", help="where to save the drawing")
    parser.add_argument("--device", default="cpu", help="device, e.g. cpu or cuda:0")
    parser.add_argument("--score-thr", type=float, default=0.3, help="lowest score drawn")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    img = cv2.imread(args.image)
    if img is None:
        raise FileNotFoundError(f"Cannot read the image: {args.image}")
    model = init_detector(args.config, args.checkpoint, device=args.device)
    result = inference_detector(model, args.image)
    visualizer = DetLocalVisualizer(name=f"demo-{os.getpid()}")
    visualizer.dataset_meta = model.dataset_meta
    visualizer.add_datasample(
        "result",
        img[..., ::-1],
        data_sample=result,
        draw_gt=False,
        out_file=args.out_file,
        pred_score_thr=args.score_thr,
    )
    kept = int((result.pred_instances.scores >= args.score_thr).sum())
    print(f"{kept} objects above score {args.score_thr}; drawing saved to {args.out_file}")


if __name__ == "__main__":
    main()
