"""Top-down pose estimation on an image: a detector finds the objects, a pose model finds their
keypoints, and the skeletons are drawn.

    python tools/pose/demo_topdown.py DET_CONFIG DET_CHECKPOINT POSE_CONFIG POSE_CHECKPOINT \
        --input IMAGE [--output-root DIR] [--det-cat-id 0] [--bbox-thr 0.3] [--device cpu]

The detector is any model whose config names it (e.g. a VisionBox detection config with
default_scope='detection'); it is built through the registry of its scope, so the pose package
never imports the detection package. Without a detector (--det-config none) the whole image is
one box.
"""

from __future__ import annotations

import argparse
import json
import os
import os.path as osp

import cv2
import numpy as np

from visionbox.pose.apis import detect_bboxes, inference_topdown, init_model
from visionbox.pose.structures import merge_data_samples
from visionbox.pose.visualization import PoseLocalVisualizer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("det_config", help="detector config, or 'none' for whole-image boxes")
    parser.add_argument("det_checkpoint", help="detector checkpoint (or 'none')")
    parser.add_argument("pose_config")
    parser.add_argument("pose_checkpoint")
    parser.add_argument("--input", required=True, help="image file")
    parser.add_argument("--output-root", default="demo_out", help="folder of the drawing and JSON")
    parser.add_argument("--det-cat-id", type=int, default=0, help="detector label of the objects")
    parser.add_argument("--bbox-thr", type=float, default=0.3, help="detector score threshold")
    parser.add_argument("--device", default="cpu")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if not osp.isfile(args.input):
        raise FileNotFoundError(f"Image file not found: {args.input}")
    if args.det_config.lower() == "none":
        bboxes = np.zeros((0, 5), np.float32)
    else:
        checkpoint = None if args.det_checkpoint.lower() == "none" else args.det_checkpoint
        detector = init_model(args.det_config, checkpoint, device=args.device)
        bboxes = detect_bboxes(detector, args.input, args.det_cat_id, args.bbox_thr)
    pose_model = init_model(args.pose_config, args.pose_checkpoint, device=args.device)
    samples = inference_topdown(pose_model, args.input, bboxes[:, :4] if len(bboxes) else None)
    merged = merge_data_samples(samples)
    os.makedirs(args.output_root, exist_ok=True)
    stem = osp.splitext(osp.basename(args.input))[0]
    visualizer = PoseLocalVisualizer(name=f"demo_topdown_{stem}_{os.getpid()}")
    visualizer.dataset_meta = pose_model.dataset_meta
    image = cv2.imread(args.input)[..., ::-1]
    visualizer.add_datasample(
        stem,
        image,
        data_sample=merged,
        draw_gt=False,
        out_file=osp.join(args.output_root, f"{stem}.png"),
    )
    pred = merged.pred_instances
    result = dict(
        bboxes=np.asarray(pred.bboxes).tolist() if "bboxes" in pred else [],
        keypoints=np.asarray(pred.keypoints).tolist(),
        keypoint_scores=np.asarray(pred.keypoint_scores).tolist(),
    )
    with open(osp.join(args.output_root, f"{stem}.json"), "w") as f:
        json.dump(result, f)
    print(f"{len(result['keypoints'])} instance(s); drawing and JSON in {args.output_root}")
    return result


if __name__ == "__main__":
    main()
