"""Geometric transforms of SOT pairs (SiamFC / SiamRPN++ training crops).

Each works on the list of frame dicts of :class:`PairSampling` (``img`` (H, W, 3),
``gt_bboxes`` (1, 4) x1y1x2y2) and updates ``img``, ``img_shape`` and ``gt_bboxes``.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from visionbox.core.datasets.transforms import BaseTransform
from visionbox.tracking.registry import TRANSFORMS

__all__ = ["SeqCropLikeSiamFC", "SeqShiftScaleAug", "crop_image"]


def crop_image(
    img: np.ndarray, region: Sequence[float], out_size: int | tuple[int, int], padding: Sequence
) -> np.ndarray:
    """Warp ``region`` (x1, y1, x2, y2) of ``img`` onto an ``out_size`` image (w, h); pixels
    outside the image take ``padding`` (one value per channel)."""
    out_w, out_h = (out_size, out_size) if isinstance(out_size, int) else out_size
    a = (out_w - 1) / (region[2] - region[0])
    b = (out_h - 1) / (region[3] - region[1])
    mapping = np.array([[a, 0, -a * region[0]], [0, b, -b * region[1]]], np.float64)
    return cv2.warpAffine(
        img,
        mapping,
        (out_w, out_h),
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=tuple(float(p) for p in padding),
    )


@TRANSFORMS.register_module()
class SeqCropLikeSiamFC(BaseTransform):
    """Crop each frame around its box as SiamFC does: a square ``crop_size`` image in which the
    box, enlarged by ``context_amount * (w + h)``, spans ``exemplar_size`` pixels at the centre;
    the outside is padded with the frame's mean colour.

    Args:
        context_amount: Context around the box, as a fraction of ``w + h``.
        exemplar_size: Side of the context box in the crop.
        crop_size: Side of the crop.
    """

    def __init__(
        self, context_amount: float = 0.5, exemplar_size: int = 127, crop_size: int = 511
    ) -> None:
        self.context_amount = context_amount
        self.exemplar_size = exemplar_size
        self.crop_size = crop_size

    def crop_like_siamfc(self, img: np.ndarray, bbox: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(H, W, 3) image and (4,) box -> (crop_size, crop_size, 3) crop and its (4,) box."""
        w, h = bbox[2] - bbox[0], bbox[3] - bbox[1]
        cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
        context = self.context_amount * (w + h)
        z_size = np.sqrt((w + context) * (h + context))
        z_scale = self.exemplar_size / z_size
        x_size = z_size + 2 * (self.crop_size - self.exemplar_size) / 2 / z_scale
        region = [cx - x_size / 2, cy - x_size / 2, cx + x_size / 2, cy + x_size / 2]
        crop = crop_image(img, region, self.crop_size, img.mean(axis=(0, 1)))
        scale = self.crop_size / x_size
        # crop_image maps the region centre to pixel (crop_size - 1) / 2 (mmtracking's
        # ``crop_size // 2`` for odd sizes)
        c = (self.crop_size - 1) / 2
        box = np.array([c - w * scale / 2, c - h * scale / 2, c + w * scale / 2, c + h * scale / 2])
        return crop, box.astype(np.float32)

    def transform(self, results: list[dict]) -> list[dict]:
        for frame in results:
            crop, box = self.crop_like_siamfc(frame["img"], frame["gt_bboxes"][0])
            frame["img"], frame["gt_bboxes"] = crop, box[None]
            frame["img_shape"] = crop.shape[:2]
        return results


@TRANSFORMS.register_module()
class SeqShiftScaleAug(BaseTransform):
    """Cut the template and the search region out of the SiamFC crops with a random scale and
    shift (one draw per frame).

    Args:
        target_size: Output side per frame, e.g. ``[127, 255]``.
        shift: Largest shift in pixels per frame, e.g. ``[4, 64]``.
        scale: Largest relative scale change per frame, e.g. ``[0.05, 0.18]``.
    """

    def __init__(
        self,
        target_size: Sequence[int] = (127, 255),
        shift: Sequence[float] = (4, 64),
        scale: Sequence[float] = (0.05, 0.18),
    ) -> None:
        if not len(target_size) == len(shift) == len(scale):
            raise ValueError(
                "SeqShiftScaleAug: target_size, shift and scale need one value a frame"
            )
        self.target_size = list(target_size)
        self.shift = list(shift)
        self.scale = list(scale)

    @staticmethod
    def shift_scale(
        img: np.ndarray, bbox: np.ndarray, size: int, shift: float, scale: float
    ) -> tuple[np.ndarray, np.ndarray]:
        img_h, img_w = img.shape[:2]
        sx = min((2 * np.random.rand() - 1) * scale + 1, img_w / size)
        sy = min((2 * np.random.rand() - 1) * scale + 1, img_h / size)
        region = np.array(
            [
                img_w // 2 - 0.5 * sx * size,
                img_h // 2 - 0.5 * sy * size,
                img_w // 2 + 0.5 * sx * size,
                img_h // 2 + 0.5 * sy * size,
            ]
        )
        dx = (2 * np.random.rand() - 1) * shift
        dy = (2 * np.random.rand() - 1) * shift
        dx = max(-region[0], min(img_w - region[2], dx))
        dy = max(-region[1], min(img_h - region[3], dy))
        region += [dx, dy, dx, dy]
        crop = crop_image(img, region, size, img.mean(axis=(0, 1)))
        box = (bbox - region[[0, 1, 0, 1]]) / np.array([sx, sy, sx, sy])
        return crop, box.astype(np.float32)

    def transform(self, results: list[dict]) -> list[dict]:
        if len(results) != len(self.target_size):
            raise ValueError(
                f"SeqShiftScaleAug has settings for {len(self.target_size)} frames, got "
                f"{len(results)}"
            )
        for frame, size, shift, scale in zip(results, self.target_size, self.shift, self.scale):
            crop, box = self.shift_scale(frame["img"], frame["gt_bboxes"][0], size, shift, scale)
            frame["img"], frame["gt_bboxes"] = crop, box[None]
            frame["img_shape"] = crop.shape[:2]
        return results
