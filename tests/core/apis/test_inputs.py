"""Inputs checked at the door: layouts, sizes, files, folders and videos, each named when wrong."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
import torch

from visionbox.core.apis import (
    InputError,
    InputTypeError,
    check_image,
    check_video_source,
    collect_images,
    collect_video,
    iter_images,
    read_image,
)
from visionbox.core.utils.errors import UserError


def _bgr(h: int = 6, w: int = 8, value: int = 7) -> np.ndarray:
    return np.full((h, w, 3), value, np.uint8)


def test_layouts_are_normalised_to_hwc_bgr():
    gray = np.arange(48, dtype=np.uint8).reshape(6, 8)
    out = check_image(gray)
    assert out.shape == (6, 8, 3) and (out[..., 0] == gray).all() and (out[..., 2] == gray).all()
    img = _bgr()
    assert check_image(img) is img
    rgba = np.dstack([_bgr(value=3), np.full((6, 8), 255, np.uint8)])
    with pytest.warns(UserWarning, match="alpha"):
        out = check_image(rgba)
    assert out.shape == (6, 8, 3) and (out == 3).all()
    assert check_image(np.zeros((6, 8, 1), np.uint8)).shape == (6, 8, 3)


@pytest.mark.parametrize("shape", [(3, 128, 128), (4, 64, 48), (1, 20, 30)])
def test_channels_first_arrays_are_refused_with_the_fix(shape):
    with pytest.raises(ValueError, match=r"channels-first.*transpose\(1, 2, 0\)") as info:
        check_image(np.zeros(shape, np.uint8))
    assert isinstance(info.value, UserError) and str(shape) in str(info.value)


def test_tensors_numbers_and_bad_arrays_are_named():
    with pytest.raises(TypeError, match=r"torch.Tensor of shape \(3, 8, 8\)") as info:
        check_image(torch.zeros(3, 8, 8))
    assert isinstance(info.value, InputTypeError)
    with pytest.raises(InputTypeError, match="got int"):
        check_image(3)
    with pytest.raises(InputError, match="empty"):
        check_image(np.zeros((0, 8, 3), np.uint8))
    with pytest.raises(InputError, match="expected \\(H, W\\)"):
        check_image(np.zeros((2, 6, 8, 3), np.uint8))
    with pytest.raises(InputError, match="5 channels"):
        check_image(np.zeros((6, 8, 5), np.uint8))
    with pytest.raises(InputError, match="dtype"):
        check_image(np.zeros((6, 8, 3), object))


def test_files_folders_and_lists_are_collected_in_order(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for name, value in (("b.png", 2), ("a.jpg", 1)):
        cv2.imwrite(str(folder / name), _bgr(value=value * 50))
    (folder / "notes.txt").write_text("not an image")
    array = _bgr(value=9)
    items = collect_images([str(folder), array])
    assert items[:2] == [str(folder / "a.jpg"), str(folder / "b.png")] and items[2] is array
    read = list(iter_images(items))
    assert [r.name for r in read] == ["a.jpg", "b.png", "00000002.jpg"]
    assert read[1].path == str(folder / "b.png") and read[2].path is None
    assert abs(int(read[0].img.mean()) - 50) <= 2 and read[1].img.shape == (6, 8, 3)


def test_missing_empty_and_unreadable_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.jpg"):
        collect_images(str(tmp_path / "nowhere.jpg"))
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty.jpg"):
        collect_images(str(empty))
    junk = tmp_path / "junk.png"
    junk.write_text("this is text")
    with pytest.raises(InputError, match="Cannot read .*junk.png"):
        collect_images([str(junk)])
    with pytest.raises(InputError, match="Cannot read .*junk.png"):
        read_image(junk)
    (tmp_path / "none").mkdir()
    with pytest.raises(InputError, match="No images .* in the folder .*none"):
        collect_images(str(tmp_path / "none"))
    with pytest.raises(InputError, match="list is empty"):
        collect_images([])
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"x")
    with pytest.raises(InputError, match="clip.mp4 is a video"):
        collect_images(str(video))


def _write_video(path: str, frames: int = 4) -> bool:
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 5, (32, 24))
    if not writer.isOpened():
        return False
    for i in range(frames):
        writer.write(np.full((24, 32, 3), 40 * i, np.uint8))
    writer.release()
    return os.path.getsize(path) > 0


def test_videos_frame_folders_and_frame_lists(tmp_path):
    path = str(tmp_path / "clip.avi")
    if not _write_video(path):
        pytest.skip("this OpenCV build writes no MJPG .avi")
    frames, name = collect_video(path)
    assert name == "clip" and len(frames) == 4 and frames[0].shape == (24, 32, 3)
    assert abs(float(frames[3].mean()) - 120) < 8  # MJPG is lossy
    seq = tmp_path / "SEQ-01" / "img1"
    seq.mkdir(parents=True)
    for i in range(3):
        cv2.imwrite(str(seq / f"{i + 1:06d}.jpg"), _bgr(value=10 * i))
    frames, name = collect_video(str(seq))
    assert name == "SEQ-01" and len(frames) == 3  # MOTChallenge's <sequence>/img1
    frames, name = collect_video([_bgr(), np.zeros((6, 8), np.uint8)])
    assert name == "video" and frames[1].shape == (6, 8, 3)


def test_bad_videos_are_named_before_decoding(tmp_path):
    with pytest.raises(FileNotFoundError, match="gone.mp4"):
        check_video_source(str(tmp_path / "gone.mp4"))
    image = tmp_path / "frame.jpg"
    cv2.imwrite(str(image), _bgr())
    with pytest.raises(InputError, match="frame.jpg is not a supported video"):
        collect_video(str(image))
    broken = tmp_path / "broken.avi"
    broken.write_bytes(b"\x00" * 64)
    with pytest.raises(InputError, match="broken.avi"):
        collect_video(str(broken))
    with pytest.raises(InputTypeError, match="one ndarray of shape"):
        collect_video(np.zeros((4, 6, 8, 3), np.uint8))
