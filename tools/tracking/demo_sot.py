"""Track one object through a video (or a folder of frames) and write the video with its box.

    python tools/tracking/demo_sot.py VIDEO_OR_FOLDER CONFIG --init-bbox x,y,w,h --out OUT.mp4
        [--checkpoint CKPT] [--fps 10] [--device cpu] [--no-fuse] [--cfg-options KEY=VALUE ...]

``--init-bbox`` is the target's box in the first frame (top-left corner, width, height, pixels).
A folder is read in file-name order. ``--out`` ending in ``.mp4``/``.avi`` writes a video,
anything else a folder of JPEG frames. A thin wrapper of
:class:`visionbox.tracking.apis.SOTInferencer` (as ``visionbox track ... --init-bbox X1 Y1 X2 Y2``).
"""

from __future__ import annotations

import argparse
import sys

from mmengine.config import DictAction

from visionbox.core.apis import check_video_source, video_fps, write_frames
from visionbox.core.cli import run_tool
from visionbox.tracking.apis import SOTInferencer


def parse_bbox(text: str) -> list[float]:
    """``'x,y,w,h'`` -> x1, y1, x2, y2."""
    try:
        x, y, w, h = (float(v) for v in text.split(","))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"--init-bbox must be x,y,w,h, got {text!r}") from err
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"--init-bbox needs a positive width and height: {text!r}")
    return [x, y, x + w, y + h]


def main(argv: list[str] | None = None) -> list[list[float]]:
    """Track, write ``--out`` and return the box (x1, y1, x2, y2) of every frame."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("source", help="video file or folder of frames")
    parser.add_argument("config", help="single-object tracking config")
    parser.add_argument("--init-bbox", required=True, type=parse_bbox, help="x,y,w,h in frame 0")
    parser.add_argument("--out", required=True, help="output video (.mp4/.avi) or folder")
    parser.add_argument("--checkpoint", help="checkpoint of the tracking model")
    parser.add_argument("--fps", type=float, help="output frame rate (default: the input's or 10)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-fuse", action="store_true", help="keep BatchNorms unfolded")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, help="config overrides")
    args = parser.parse_args(argv)
    check_video_source(args.source)
    inferencer = SOTInferencer(
        args.config,
        args.checkpoint,
        device=args.device,
        fuse=not args.no_fuse,
        cfg_options=args.cfg_options,
        show_progress=True,
    )
    result = inferencer(args.source, init_bbox=args.init_bbox, return_vis=True)
    write_frames(result["visualization"], args.out, args.fps or video_fps(args.source) or 10.0)
    boxes = [pred["bbox"] for pred in result["predictions"]]
    print(f"tracked {len(boxes)} frames -> {args.out}")
    return boxes


if __name__ == "__main__" and (status := run_tool(main)):
    sys.exit(status)
