"""write_frames: the demo tools' drawings as a folder of JPEGs or a video; video_fps."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from visionbox.core.apis import InputError, video_fps, write_frames


def _frames(count: int = 4) -> list[np.ndarray]:
    """RGB frames, frame i pure red with a brightness that grows with i."""
    frames = []
    for i in range(count):
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[..., 0] = 60 + 40 * i
        frames.append(frame)
    return frames


def test_a_folder_gets_one_bgr_jpeg_per_frame(tmp_path):
    out = tmp_path / "frames"
    assert write_frames(_frames(), str(out)) == str(out)
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"{i:06d}.jpg" for i in range(4)]
    last = cv2.imread(str(out / "000003.jpg"))
    assert last.shape == (48, 64, 3)
    blue, green, red = (float(last[..., c].mean()) for c in range(3))
    assert red == pytest.approx(180, abs=6) and blue < 10 and green < 10
    assert video_fps(str(out)) is None


def test_a_video_has_every_frame_at_its_rate(tmp_path):
    out = tmp_path / "sub" / "clip.avi"
    try:
        write_frames(_frames(5), str(out), fps=7.0)
    except OSError:
        pytest.skip("this OpenCV build writes no XVID .avi")
    capture = cv2.VideoCapture(str(out))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    assert count == 5
    assert video_fps(str(out)) == pytest.approx(7.0)


def test_nothing_to_write_is_named(tmp_path):
    with pytest.raises(InputError, match="No frames to write to"):
        write_frames([], str(tmp_path / "x.mp4"))
    with pytest.raises(ValueError, match="fps must be positive"):
        write_frames(_frames(1), str(tmp_path / "x.mp4"), fps=0)
