"""``show_result_pyplot``: draw an :func:`~.inference_model` result on its image (mmseg 1.x)."""

from __future__ import annotations

import itertools
import os

import cv2
import numpy as np
from torch import nn

from ..structures import SegDataSample
from ..visualization import SegLocalVisualizer

__all__ = ["show_result_pyplot"]

_names = itertools.count()


def _read_rgb(img: str | os.PathLike | np.ndarray) -> np.ndarray:
    if isinstance(img, np.ndarray):
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f"Expected an (H, W, 3) BGR image, got shape {img.shape}.")
        return np.ascontiguousarray(img[..., ::-1])
    path = os.fspath(img)
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"Image file not found or unreadable: {path}")
    return np.ascontiguousarray(image[..., ::-1])


def show_result_pyplot(
    model: nn.Module,
    img: str | os.PathLike | np.ndarray,
    result: SegDataSample,
    opacity: float = 0.5,
    title: str = "",
    draw_gt: bool = True,
    draw_pred: bool = True,
    wait_time: float = 0,
    show: bool = True,
    save_dir: str | None = None,
    out_file: str | None = None,
) -> np.ndarray:
    """Blend the predicted (and, if present, ground-truth) label maps with the image.

    Colours come from ``model.dataset_meta['palette']``. With ground truth the drawing is two
    panels, ground truth left and prediction right.

    Args:
        model: The segmentor (for its ``dataset_meta``).
        img: Image path or (H, W, 3) BGR array, as given to ``inference_model``.
        result: The ``SegDataSample`` of ``inference_model``.
        opacity: Opacity of the label maps, in [0, 1].
        title: Window title and the name of the image in the backends.
        draw_gt: Draw ``gt_sem_seg`` when the result has it.
        draw_pred: Draw ``pred_sem_seg``.
        wait_time: Seconds a shown window waits.
        show: Show the drawing in a window.
        save_dir: Folder of a local visualization backend that stores the drawing.
        out_file: Write the drawing to this PNG or JPEG file.

    Returns:
        The drawing, (H, W or 2W, 3) RGB uint8.
    """
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must be in [0, 1], got {opacity}.")
    if draw_pred and "pred_sem_seg" not in result:
        raise ValueError("The result has no pred_sem_seg; pass the output of inference_model.")
    image = _read_rgb(img)
    pred_shape = tuple(result.pred_sem_seg.shape) if "pred_sem_seg" in result else image.shape[:2]
    if pred_shape != image.shape[:2]:
        raise ValueError(
            f"The result is {pred_shape} but the image is {image.shape[:2]}: draw the result on "
            "the image it was computed from."
        )
    backends = [dict(type="LocalVisBackend")] if save_dir is not None else None
    visualizer = SegLocalVisualizer(
        name=f"show_result_pyplot_{next(_names)}",
        vis_backends=backends,
        save_dir=save_dir,
        alpha=opacity,
    )
    visualizer.dataset_meta = dict(getattr(model, "dataset_meta", None) or {})
    return visualizer.add_datasample(
        title or "result",
        image,
        result,
        draw_gt=draw_gt and "gt_sem_seg" in result,
        draw_pred=draw_pred,
        show=show,
        wait_time=wait_time,
        out_file=out_file,
    )
