"""Track the objects of a video (or a folder of frames) and write the video with boxes and ids.

    python tools/tracking/demo_mot.py VIDEO_OR_FOLDER CONFIG --out OUT.mp4 [--checkpoint CKPT]
        [--score-thr 0.3] [--fps 10] [--device cpu] [--no-fuse] [--cfg-options KEY=VALUE ...]

A folder is read in file-name order (``.jpg``, ``.jpeg``, ``.png``, ``.bmp``, ...). ``--out``
ending in ``.mp4``/``.avi`` writes a video, anything else a folder of JPEG frames. A thin wrapper
of :class:`visionbox.tracking.apis.MOTInferencer` (``visionbox track`` writes the frames and a
JSON of the tracks instead).
"""

from __future__ import annotations

import argparse
import sys

from mmengine.config import DictAction

from visionbox.core.apis import check_video_source, video_fps, write_frames
from visionbox.core.cli import run_tool
from visionbox.tracking.apis import MOTInferencer


def main(argv: list[str] | None = None) -> str:
    """Track, write ``--out`` and return its path."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("source", help="video file or folder of frames")
    parser.add_argument("config", help="tracking config")
    parser.add_argument("--out", required=True, help="output video (.mp4/.avi) or folder")
    parser.add_argument("--checkpoint", help="checkpoint of the whole tracking model")
    parser.add_argument("--score-thr", type=float, default=0.3, help="lowest score drawn")
    parser.add_argument("--fps", type=float, help="output frame rate (default: the input's or 10)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-fuse", action="store_true", help="keep BatchNorms unfolded")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, help="config overrides")
    args = parser.parse_args(argv)
    check_video_source(args.source)
    inferencer = MOTInferencer(
        args.config,
        args.checkpoint,
        device=args.device,
        fuse=not args.no_fuse,
        cfg_options=args.cfg_options,
        show_progress=True,
    )
    result = inferencer(args.source, return_vis=True, pred_score_thr=args.score_thr)
    write_frames(result["visualization"], args.out, args.fps or video_fps(args.source) or 10.0)
    ids = {i for pred in result["predictions"] for i in pred["instances_id"]}
    print(f"{len(result['predictions'])} frames, {len(ids)} track ids; written: {args.out}")
    return args.out


if __name__ == "__main__" and (status := run_tool(main)):
    sys.exit(status)
