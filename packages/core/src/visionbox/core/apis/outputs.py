"""Drawn frames to a video file or a folder of images, as the demo tools write them."""

from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np

from .inputs import InputError

__all__ = ["VIDEO_WRITERS", "video_fps", "write_frames"]

#: Video containers that :func:`write_frames` writes, and their OpenCV codec.
VIDEO_WRITERS = {".mp4": "mp4v", ".avi": "XVID"}


def video_fps(source: str | os.PathLike) -> float | None:
    """The frame rate of a video file; ``None`` for a folder of frames or when unknown."""
    path = os.fspath(source)
    if os.path.isdir(path):
        return None
    capture = cv2.VideoCapture(path)
    try:
        fps = capture.get(cv2.CAP_PROP_FPS) if capture.isOpened() else 0.0
    finally:
        capture.release()
    return float(fps) if fps and fps > 0 else None


def write_frames(frames: Sequence[np.ndarray], out: str, fps: float = 10.0) -> str:
    """Write ``(H, W, 3)`` RGB ``frames`` (the Inferencers' drawings) to ``out``.

    Args:
        frames: The frames, in order, all of one size.
        out: A ``.mp4`` / ``.avi`` file (a video at ``fps``), or any other path: a folder of
            ``000000.jpg``, ``000001.jpg``, ...
        fps: Frames per second of a video.

    Returns:
        ``out``.
    """
    if len(frames) == 0:
        raise InputError(f"No frames to write to {out}.")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    codec = VIDEO_WRITERS.get(os.path.splitext(out)[1].lower())
    if codec is None:
        os.makedirs(out, exist_ok=True)
        for index, frame in enumerate(frames):
            cv2.imwrite(os.path.join(out, f"{index:06d}.jpg"), frame[..., ::-1])
        return out
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*codec), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write {out} (no {codec} encoder); write a folder instead.")
    try:
        for frame in frames:
            writer.write(np.ascontiguousarray(frame[..., ::-1]))
    finally:
        writer.release()
    return out
