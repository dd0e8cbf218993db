"""Top-down pose estimation on an image: a detector finds the objects, a pose model finds their
keypoints, and the skeletons are drawn.

    python tools/pose/demo_topdown.py DET_CONFIG DET_CHECKPOINT POSE_CONFIG POSE_CHECKPOINT \
        --input IMAGE [--output-root DIR] [--det-cat-id 0] [--bbox-thr 0.3] [--device cpu] \
        [--no-fuse]

The detector is any model whose config names it (e.g. a VisionBox detection config with
default_scope='detection'); it is built through the registry of its scope, so the pose package
never imports the detection package. Without a detector (--det-config none) the whole image is
one box. Writes ``<image stem>.png`` (the drawing) and ``<image stem>.json`` (``bboxes``,
``keypoints``, ``keypoint_scores``: one entry per instance, image pixels) into --output-root.
A thin wrapper of :class:`visionbox.pose.apis.PoseInferencer` (as ``visionbox predict
POSE_CONFIG POSE_CHECKPOINT IMAGE --det-config ... --det-checkpoint ...``).
"""

from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys

import cv2

from visionbox.core.cli import run_tool
from visionbox.pose.apis import PoseInferencer


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
    parser.add_argument("--no-fuse", action="store_true", help="keep BatchNorms unfolded")
    return parser.parse_args(argv)


def _none(value: str) -> str | None:
    return None if value.lower() == "none" else value


def main(argv: list[str] | None = None) -> dict:
    """Detect, estimate, draw; return (and write) ``bboxes``, ``keypoints``, ``keypoint_scores``."""
    args = parse_args(argv)
    if not osp.isfile(args.input):
        raise FileNotFoundError(f"Image file not found: {args.input}")
    det_config = _none(args.det_config)
    inferencer = PoseInferencer(
        args.pose_config,
        args.pose_checkpoint,
        det_model=det_config,
        det_weights=_none(args.det_checkpoint) if det_config else None,
        det_cat_ids=args.det_cat_id,
        device=args.device,
        fuse=not args.no_fuse,
    )
    out = inferencer(args.input, return_vis=True, bbox_thr=args.bbox_thr)
    instances = out["predictions"][0]
    result = dict(
        bboxes=[i["bbox"][0] for i in instances if i["bbox"]],
        keypoints=[i["keypoints"] for i in instances],
        keypoint_scores=[i["keypoint_scores"] for i in instances],
    )
    os.makedirs(args.output_root, exist_ok=True)
    stem = osp.splitext(osp.basename(args.input))[0]
    cv2.imwrite(osp.join(args.output_root, f"{stem}.png"), out["visualization"][0][..., ::-1])
    with open(osp.join(args.output_root, f"{stem}.json"), "w") as f:
        json.dump(result, f)
    print(f"{len(instances)} instance(s); drawing and JSON in {args.output_root}")
    return result


if __name__ == "__main__" and (status := run_tool(main)):
    sys.exit(status)
