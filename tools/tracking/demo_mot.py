"""Track the objects of a video (or a folder of frames) and write the video with boxes and ids.

    python tools/tracking/demo_mot.py VIDEO_OR_FOLDER CONFIG --out OUT.mp4 [--checkpoint CKPT]
        [--score-thr 0.3] [--fps 10] [--device cpu] [--cfg-options KEY=VALUE ...]

A folder is read in file-name order (``.jpg``, ``.jpeg``, ``.png``, ``.bmp``). ``--out`` ending in
``.mp4``/``.avi`` writes a video, anything else a folder of JPEG frames.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator

import cv2
import numpy as np
from mmengine.config import DictAction

from visionbox.tracking.apis import inference_mot, init_track_model
from visionbox.tracking.visualization import TrackLocalVisualizer

_IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


def read_frames(source: str) -> tuple[Iterator[np.ndarray], int, float | None]:
    """(frames as BGR arrays, number of frames, frame rate or ``None``) of a video or folder."""
    if os.path.isdir(source):
        names = sorted(n for n in os.listdir(source) if n.lower().endswith(_IMAGE_EXTS))
        if not names:
            raise FileNotFoundError(f"no images ({', '.join(_IMAGE_EXTS)}) in {source!r}")

        def frames() -> Iterator[np.ndarray]:
            for name in names:
                img = cv2.imread(os.path.join(source, name))
                if img is None:
                    raise FileNotFoundError(f"unreadable image: {os.path.join(source, name)!r}")
                yield img

        return frames(), len(names), None
    if not os.path.isfile(source):
        raise FileNotFoundError(f"video or folder not found: {source!r}")
    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        raise OSError(f"cannot open the video {source!r}")
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    fps = cap.get(cv2.CAP_PROP_FPS) or None

    def video() -> Iterator[np.ndarray]:
        while True:
            ok, img = cap.read()
            if not ok:
                break
            yield img
        cap.release()

    return video(), count, fps


def main(argv: list[str] | None = None) -> str:
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
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, help="config overrides")
    args = parser.parse_args(argv)
    model = init_track_model(args.config, args.checkpoint, args.device, args.cfg_options)
    frames, count, fps = read_frames(args.source)
    visualizer = TrackLocalVisualizer(name="demo_mot")
    visualizer.dataset_meta = dict(
        model.cfg.get("test_dataloader", {}).get("dataset", {}).get("metainfo") or {}
    )
    as_video = args.out.lower().endswith((".mp4", ".avi"))
    writer = None
    for t, img in enumerate(frames):
        sample = inference_mot(model, img, frame_id=t, video_len=count)
        drawn = visualizer.add_datasample(
            "frame", img[..., ::-1], sample, draw_gt=False, pred_score_thr=args.score_thr
        )[..., ::-1]
        if as_video:
            if writer is None:
                os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
                fourcc = cv2.VideoWriter_fourcc(
                    *("mp4v" if args.out.lower().endswith(".mp4") else "XVID")
                )
                h, w = drawn.shape[:2]
                writer = cv2.VideoWriter(args.out, fourcc, args.fps or fps or 10.0, (w, h))
            writer.write(np.ascontiguousarray(drawn))
        else:
            os.makedirs(args.out, exist_ok=True)
            cv2.imwrite(os.path.join(args.out, f"{t:06d}.jpg"), drawn)
        if t % 50 == 0:
            print(
                f"frame {t + 1}/{count}: {len(sample[0].pred_track_instances)} tracks", flush=True
            )
    if writer is not None:
        writer.release()
    print(f"written: {args.out}")
    return args.out


if __name__ == "__main__":
    main()
