"""Image loading: ``LoadImageFromFile`` (OpenCV or Pillow decode) and ``LoadImageFromNDArray``.

A missing file fails with ``FileNotFoundError`` naming its path; a file that cannot be decoded, or a
JPEG that ends before its end-of-image marker (a truncated download), fails with ``OSError`` naming
its path. OpenCV alone would return a partly grey image for a truncated JPEG.
"""

from __future__ import annotations

import io
from typing import Literal

import cv2
import numpy as np
from mmengine import fileio

from ...registry import TRANSFORMS
from .base import BaseTransform

__all__ = ["LoadImageFromFile", "LoadImageFromNDArray", "imfrombytes", "check_image_bytes"]

ColorType = Literal[
    "color", "grayscale", "unchanged", "color_ignore_orientation", "grayscale_ignore_orientation"
]
_CV2_FLAGS = {
    "color": cv2.IMREAD_COLOR,
    "grayscale": cv2.IMREAD_GRAYSCALE,
    "unchanged": cv2.IMREAD_UNCHANGED,
    "color_ignore_orientation": cv2.IMREAD_IGNORE_ORIENTATION | cv2.IMREAD_COLOR,
    "grayscale_ignore_orientation": cv2.IMREAD_IGNORE_ORIENTATION | cv2.IMREAD_GRAYSCALE,
}
_BACKENDS = ("cv2", "pillow")


def check_image_bytes(data: bytes, path: str) -> None:
    """Raise ``OSError`` naming ``path`` when ``data`` is empty or a truncated JPEG."""
    if not data:
        raise OSError(f"Image file is empty: {path}")
    # Entropy-coded data never contains 0xFFD9/0xFFDA, so a JPEG's end-of-image marker must follow
    # its last start-of-scan marker.
    if data[:2] == b"\xff\xd8" and data.rfind(b"\xff\xd9") < data.rfind(b"\xff\xda"):
        raise OSError(f"Truncated JPEG file (no end-of-image marker): {path}")


def imfrombytes(
    data: bytes, path: str, color_type: str = "color", backend: str = "cv2"
) -> np.ndarray:
    """Decode image bytes to a BGR (or grayscale) array; errors name ``path``."""
    check_image_bytes(data, path)
    if backend == "cv2":
        img = cv2.imdecode(np.frombuffer(data, np.uint8), _CV2_FLAGS[color_type])
        if img is None:
            raise OSError(f"Cannot decode image file (corrupt or unsupported format): {path}")
        return img
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as pil:
            if not color_type.endswith("ignore_orientation"):
                pil = ImageOps.exif_transpose(pil)
            if color_type.startswith("grayscale"):
                return np.asarray(pil.convert("L"))
            if color_type == "unchanged":
                arr = np.asarray(pil)
                return arr[..., ::-1].copy() if arr.ndim == 3 and arr.shape[2] == 3 else arr
            return np.asarray(pil.convert("RGB"))[..., ::-1].copy()
    except OSError as err:
        raise OSError(f"Cannot decode image file ({err}): {path}") from err


@TRANSFORMS.register_module()
class LoadImageFromFile(BaseTransform):
    """Load ``results['img_path']`` into ``img`` and set ``img_shape`` and ``ori_shape``.

    Args:
        to_float32: Convert the image to float32 (otherwise uint8).
        color_type: Decode flag, as in mmcv.
        imdecode_backend: ``'cv2'`` or ``'pillow'``.
        file_client_args: Deprecated mmcv argument; use ``backend_args``.
        ignore_empty: Return ``None`` for a missing file instead of raising.
        backend_args: Arguments of the mmengine file backend (local disk when ``None``).
    """

    def __init__(
        self,
        to_float32: bool = False,
        color_type: ColorType = "color",
        imdecode_backend: Literal["cv2", "pillow"] = "cv2",
        file_client_args: dict | None = None,
        ignore_empty: bool = False,
        *,
        backend_args: dict | None = None,
    ) -> None:
        if color_type not in _CV2_FLAGS:
            raise ValueError(f"color_type must be one of {list(_CV2_FLAGS)}, got {color_type!r}.")
        if imdecode_backend not in _BACKENDS:
            raise ValueError(
                f"imdecode_backend must be one of {_BACKENDS}, got {imdecode_backend!r}."
            )
        if file_client_args is not None and backend_args is not None:
            raise ValueError("Give either file_client_args (deprecated) or backend_args, not both.")
        self.to_float32 = to_float32
        self.color_type = color_type
        self.imdecode_backend = imdecode_backend
        self.ignore_empty = ignore_empty
        self.backend_args = backend_args if backend_args is not None else file_client_args

    def transform(self, results: dict) -> dict | None:
        path = results.get("img_path")
        if path is None:
            raise KeyError(
                f"LoadImageFromFile needs results['img_path']; got keys {list(results)}."
            )
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError as err:
            if self.ignore_empty:
                return None
            raise FileNotFoundError(f"Image file not found: {path}") from err
        img = imfrombytes(data, str(path), self.color_type, self.imdecode_backend)
        if self.to_float32:
            img = img.astype(np.float32)
        results["img"] = img
        results["img_shape"] = img.shape[:2]
        results["ori_shape"] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadImageFromNDArray(BaseTransform):
    """Take an image already in ``results['img']`` (e.g. from a webcam) like a loaded file.

    Args:
        to_float32: Convert the image to float32.
    """

    def __init__(self, to_float32: bool = False) -> None:
        self.to_float32 = to_float32

    def transform(self, results: dict) -> dict:
        img = results.get("img")
        if not isinstance(img, np.ndarray):
            raise TypeError(
                f"LoadImageFromNDArray needs a numpy array in results['img'], got {type(img)}."
            )
        if self.to_float32:
            img = img.astype(np.float32)
        results["img"] = img
        results.setdefault("img_path", None)
        results["img_shape"] = img.shape[:2]
        results["ori_shape"] = img.shape[:2]
        return results
