"""Inputs checked at the door: images and videos as every VisionBox inference entry takes them.

An image is a path or a BGR NumPy array as OpenCV reads it:

* ``(H, W)`` grayscale: expanded to ``(H, W, 3)``;
* ``(H, W, 3)``: taken as BGR;
* ``(H, W, 4)``: the alpha channel is dropped, with a warning;
* ``(3, H, W)`` / ``(4, H, W)`` (or ``(1, H, W)``): refused, it looks channels-first; the message
  says how to fix it (``array.transpose(1, 2, 0)``);
* a ``torch.Tensor``: refused by name (inference takes images as NumPy arrays, the model's data
  preprocessor makes the tensors);
* empty or zero-size arrays, missing or unreadable files, folders without images and videos of an
  unsupported format are refused with the thing's name.

A collection of inputs (a path, a folder, an array, or a list of any of them) becomes a list of
:class:`ImageInput`; a video (a file, a folder of frames, or a list of arrays) becomes a list of
frames through :func:`collect_video`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ..utils.errors import UserError

__all__ = [
    "IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "ImageInput",
    "InputError",
    "InputTypeError",
    "check_image",
    "check_video_source",
    "collect_images",
    "collect_video",
    "iter_images",
    "read_image",
]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")


class InputError(UserError, ValueError):
    """An input image or video that cannot be used (layout, size, unreadable file)."""


class InputTypeError(UserError, TypeError):
    """An input of a kind that inference does not take (a tensor, a number, ...)."""


@dataclass
class ImageInput:
    """One image to predict on.

    Attributes:
        img: ``(H, W, 3)`` BGR uint8 (or float) array.
        name: File name of its outputs: the file's own name, else ``{index:08d}.jpg``.
        path: The file it was read from, or ``None`` for an array.
    """

    img: np.ndarray
    name: str
    path: str | None = None


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def check_image(img: Any, what: str = "image") -> np.ndarray:
    """Return ``img`` as an ``(H, W, 3)`` array, or raise naming what is wrong.

    Args:
        img: A NumPy array, ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``, BGR.
        what: How the messages name the input (``'image 2'``, a path, ...).

    Raises:
        InputTypeError: not a NumPy array (a tensor is refused by name).
        InputError: channels-first, empty, of another rank or of a non-numeric dtype.
    """
    if _is_tensor(img):
        raise InputTypeError(
            f"The {what} is a torch.Tensor of shape {tuple(img.shape)}; inference takes images as "
            "NumPy arrays, (H, W, 3) BGR uint8 as cv2.imread returns them. Convert with "
            "tensor.permute(1, 2, 0).cpu().numpy() for a (3, H, W) tensor (and [..., ::-1] if it "
            "is RGB)."
        )
    if not isinstance(img, np.ndarray):
        raise InputTypeError(
            f"The {what} must be a file path or a NumPy array, got {type(img).__name__}."
        )
    if img.dtype.kind not in "uif" and img.dtype != np.bool_:
        raise InputError(f"The {what} has dtype {img.dtype}; expected uint8 (or a float type).")
    if img.size == 0:
        raise InputError(f"The {what} is empty (shape {img.shape}).")
    if img.ndim == 2:
        return np.repeat(img[:, :, None], 3, axis=2)
    if img.ndim != 3:
        raise InputError(
            f"The {what} has shape {img.shape}; expected (H, W), (H, W, 3) or (H, W, 4). "
            "For several images pass a list of arrays."
        )
    channels_first = img.shape[0] in (1, 3, 4) and img.shape[2] not in (1, 3, 4)
    if channels_first:
        raise InputError(
            f"The {what} has shape {img.shape}, which looks channels-first (C, H, W); inference "
            "takes channels-last (H, W, C) BGR arrays. Fix: img.transpose(1, 2, 0)."
        )
    if img.shape[2] == 3:
        return img
    if img.shape[2] == 4:
        warnings.warn(
            f"The {what} has 4 channels; the 4th (alpha) is dropped.", UserWarning, stacklevel=3
        )
        return np.ascontiguousarray(img[:, :, :3])
    if img.shape[2] == 1:
        return np.repeat(img, 3, axis=2)
    raise InputError(
        f"The {what} has shape {img.shape}: {img.shape[2]} channels; expected 1, 3 or 4 "
        "(channels last)."
    )


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as ``(H, W, 3)`` BGR (alpha dropped, grayscale expanded).

    Raises:
        FileNotFoundError: naming a missing file.
        InputError: naming a file that is empty or not a readable image.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Image file not found: {path}")
    if os.path.getsize(path) == 0:
        raise InputError(f"Image file is empty: {path}")
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise InputError(
            f"Cannot read {path} as an image (supported: {', '.join(IMAGE_EXTENSIONS)})."
        )
    if img.dtype != np.uint8:  # 16-bit PNG or TIFF: reread as 8-bit colour
        img = cv2.imread(path, cv2.IMREAD_COLOR)
    return check_image(img, what=f"image {path}")


def _folder_images(folder: str) -> list[str]:
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTENSIONS))
    if not names:
        raise InputError(f"No images ({', '.join(IMAGE_EXTENSIONS)}) in the folder {folder}")
    return [os.path.join(folder, n) for n in names]


def _flatten(inputs: Any) -> list[Any]:
    if isinstance(inputs, (str, os.PathLike)):
        path = os.fspath(inputs)
        if os.path.isdir(path):
            return list(_folder_images(path))
        if not os.path.exists(path):
            raise FileNotFoundError(f"Input not found: {path}")
        return [path]
    if isinstance(inputs, np.ndarray) or _is_tensor(inputs):
        return [inputs]
    if isinstance(inputs, Sequence):
        if len(inputs) == 0:
            raise InputError("No inputs: the list is empty.")
        return [item for value in inputs for item in _flatten(value)]
    raise InputTypeError(
        "Inputs must be an image path, a folder, a NumPy array or a list of them; got "
        f"{type(inputs).__name__}."
    )


def _check_image_file(path: str) -> None:
    """Refuse an empty file or one whose header no image decoder knows (no full decode)."""
    if os.path.getsize(path) == 0:
        raise InputError(f"Image file is empty: {path}")
    if not cv2.haveImageReader(path):
        raise InputError(
            f"Cannot read {path} as an image (supported: {', '.join(IMAGE_EXTENSIONS)})."
        )


def collect_images(inputs: Any) -> list[str | np.ndarray]:
    """Expand ``inputs`` into a flat list of image paths and checked arrays.

    Folders give their images in file-name order. Arrays are checked (:func:`check_image`) here;
    files are checked to exist and to hold a known image format here, and decoded later by
    :func:`iter_images`, so that a long list does not sit in memory.
    """
    items: list[str | np.ndarray] = []
    for index, value in enumerate(_flatten(inputs)):
        if isinstance(value, str):
            if value.lower().endswith(VIDEO_EXTENSIONS):
                raise InputError(
                    f"{value} is a video; predict on videos with a tracking model, or extract "
                    "its frames into a folder."
                )
            _check_image_file(value)
            items.append(value)
        else:
            items.append(check_image(value, what=f"image {index}"))
    return items


def iter_images(items: Sequence[str | np.ndarray]) -> Iterator[ImageInput]:
    """Read the items of :func:`collect_images` one at a time."""
    for index, item in enumerate(items):
        if isinstance(item, str):
            yield ImageInput(read_image(item), os.path.basename(item), item)
        else:
            yield ImageInput(item, f"{index:08d}.jpg")


def _read_video(path: str) -> list[np.ndarray]:
    if not path.lower().endswith(VIDEO_EXTENSIONS):
        raise InputError(
            f"{path} is not a supported video (supported: {', '.join(VIDEO_EXTENSIONS)}, or a "
            "folder of frames)."
        )
    capture = cv2.VideoCapture(path)
    frames = []
    try:
        while capture.isOpened():
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(frame)
    finally:
        capture.release()
    if not frames:
        raise InputError(f"Cannot read any frame of the video {path} (no codec for it?).")
    return frames


def check_video_source(video: Any) -> None:
    """Check a video file or frame folder without decoding it (see :func:`collect_video`)."""
    if not isinstance(video, (str, os.PathLike)):
        return
    path = os.fspath(video)
    if os.path.isdir(path):
        _folder_images(path)
        return
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Video not found: {path}")
    if not path.lower().endswith(VIDEO_EXTENSIONS):
        raise InputError(
            f"{path} is not a supported video (supported: {', '.join(VIDEO_EXTENSIONS)}, or a "
            "folder of frames)."
        )
    capture = cv2.VideoCapture(path)
    opened = capture.isOpened()
    capture.release()
    if not opened:
        raise InputError(f"Cannot open the video {path} (damaged, or no codec for it).")


def _video_name(folder: str) -> str:
    """A frame folder's name; MOTChallenge's ``<sequence>/img1`` is named by the sequence."""
    folder = os.path.normpath(folder)
    name = os.path.basename(folder)
    return os.path.basename(os.path.dirname(folder)) or name if name == "img1" else name


def collect_video(video: Any) -> tuple[list[np.ndarray], str]:
    """The frames of a video and a name for its outputs.

    Args:
        video: A video file, a folder of frames (file-name order) or a list of frames (arrays
            or paths).

    Returns:
        ``(frames, name)``: ``(H, W, 3)`` BGR arrays, and the video's base name (``'video'``
        for a list).
    """
    if isinstance(video, (str, os.PathLike)):
        path = os.fspath(video)
        if os.path.isdir(path):
            frames = [read_image(p) for p in _folder_images(path)]
            return frames, _video_name(path)
        check_video_source(path)
        return _read_video(path), os.path.splitext(os.path.basename(path))[0]
    if isinstance(video, np.ndarray) or _is_tensor(video):
        raise InputTypeError(
            "A video must be a file, a folder of frames or a list of (H, W, 3) frames; got one "
            f"{type(video).__name__} of shape {tuple(video.shape)}."
        )
    if isinstance(video, Sequence) and len(video) > 0:
        frames = [
            read_image(f) if isinstance(f, (str, os.PathLike)) else check_image(f, f"frame {i}")
            for i, f in enumerate(video)
        ]
        return frames, "video"
    raise InputTypeError(
        "A video must be a file, a folder of frames or a non-empty list of frames; got "
        f"{type(video).__name__}."
    )
