"""Track one object through a video (or a folder of frames) and write the video with its box.

    python tools/tracking/demo_sot.py VIDEO_OR_FOLDER CONFIG --init-bbox x,y,w,h --out OUT.mp4
        [--checkpoint CKPT] [--fps 10] [--device cpu] [--cfg-options KEY=VALUE ...]

``--init-bbox`` is the target's box in the first frame (top-left corner, width, height, pixels).
A folder is read in file-name order. ``--out`` ending in ``.mp4``/``.avi`` writes a video,
anything else a folder of JPEG frames.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator

import cv2
import numpy as np
from mmengine.config import DictAction

from visionbox.tracking.apis import inference_sot, init_track_model

_IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


def read_frames(source: str) -> tuple[Iterator[np.ndarray], float | None]:
    """Frames (BGR arrays) of a video file or a folder of images, and the frame rate if known."""
    if os.path.isdir(source):
        names = sorted(n for n in os.listdir(source) if n.lower().endswith(_IMAGE_EXTS))
        if not names:
            raise FileNotFoundError(f"no images ({', '.join(_IMAGE_EXTS)}) in {source!r}")

        def images() -> Iterator[np.ndarray]:
            for name in names:
                img = cv2.imread(os.path.join(source, name))
                if img is None:
                    raise FileNotFoundError(f"unreadable image: {os.path.join(source, name)!r}")
                yield img

        return images(), None
    if not os.path.isfile(source):
        raise FileNotFoundError(f"video or folder not found: {source!r}")
    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        raise OSError(f"cannot open the video {source!r}")
    fps = cap.get(cv2.CAP_PROP_FPS) or None

    def video() -> Iterator[np.ndarray]:
        while True:
            ok, img = cap.read()
            if not ok:
                break
            yield img
        cap.release()

    return video(), fps


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
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, help="config overrides")
    args = parser.parse_args(argv)
    model = init_track_model(args.config, args.checkpoint, args.device, args.cfg_options)
    frames, fps = read_frames(args.source)
    as_video = args.out.lower().endswith((".mp4", ".avi"))
    if not as_video:
        os.makedirs(args.out, exist_ok=True)
    elif os.path.dirname(os.path.abspath(args.out)):
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    writer, boxes = None, []
    for frame_id, img in enumerate(frames):
        sample = inference_sot(model, img, args.init_bbox, frame_id)
        pred = sample[0].pred_track_instances
        box = pred.bboxes[0].cpu().numpy()
        boxes.append([float(v) for v in box])
        drawn = img.copy()
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(drawn, (x1, y1), (x2, y2), (0, 255, 0), 2)
        score = float(pred.scores[0])
        if score >= 0:
            cv2.putText(
                drawn,
                f"{score:.2f}",
                (x1, max(y1 - 4, 10)),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.4,
                (0, 255, 0),
                1,
            )
        if not as_video:
            cv2.imwrite(os.path.join(args.out, f"{frame_id:06d}.jpg"), drawn)
            continue
        if writer is None:
            fourcc = cv2.VideoWriter_fourcc(
                *("mp4v" if args.out.lower().endswith(".mp4") else "XVID")
            )
            writer = cv2.VideoWriter(args.out, fourcc, args.fps or fps or 10.0, drawn.shape[1::-1])
        writer.write(drawn)
    if writer is not None:
        writer.release()
    if not boxes:
        raise ValueError(f"no frames read from {args.source!r}")
    print(f"tracked {len(boxes)} frames -> {args.out}")
    return boxes


if __name__ == "__main__":
    main()
