"""Image loading: decoded like OpenCV, and bad files fail with their path."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from visionbox.core.datasets.transforms import LoadImageFromFile, LoadImageFromNDArray


@pytest.fixture
def jpeg(tmp_path):
    img = np.random.default_rng(0).integers(0, 255, (24, 32, 3), dtype=np.uint8)
    path = tmp_path / "img.jpg"
    cv2.imwrite(str(path), img)
    return path


def test_load_image_like_opencv(jpeg):
    out = LoadImageFromFile()({"img_path": str(jpeg), "other": 1})
    np.testing.assert_array_equal(out["img"], cv2.imread(str(jpeg)))
    assert out["img_shape"] == out["ori_shape"] == (24, 32) and out["other"] == 1
    gray = LoadImageFromFile(color_type="grayscale", to_float32=True)({"img_path": str(jpeg)})
    assert gray["img"].shape == (24, 32) and gray["img"].dtype == np.float32
    pil = LoadImageFromFile(imdecode_backend="pillow")({"img_path": str(jpeg)})
    assert pil["img"].shape == (24, 32, 3)
    assert np.abs(pil["img"].astype(int) - out["img"].astype(int)).mean() < 3


def test_missing_image_names_its_path(tmp_path):
    path = tmp_path / "nowhere" / "missing.jpg"
    with pytest.raises(FileNotFoundError, match="missing.jpg") as err:
        LoadImageFromFile()({"img_path": str(path)})
    assert str(path) in str(err.value)
    assert LoadImageFromFile(ignore_empty=True)({"img_path": str(path)}) is None


def test_truncated_jpeg_names_its_path(jpeg, tmp_path):
    data = jpeg.read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) * 2 // 3])
    for backend in ("cv2", "pillow"):
        with pytest.raises(OSError, match="Truncated JPEG") as err:
            LoadImageFromFile(imdecode_backend=backend)({"img_path": str(cut)})
        assert str(cut) in str(err.value)


def test_garbage_file_names_its_path(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(OSError, match="bad.png"):
        LoadImageFromFile()({"img_path": str(bad)})


def test_bad_arguments():
    with pytest.raises(ValueError, match="color_type"):
        LoadImageFromFile(color_type="colour")
    with pytest.raises(TypeError, match="numpy array"):
        LoadImageFromNDArray()({"img": "x"})
