"""Camera-motion compensation with OpenCV's ECC image alignment (Evangelidis & Psarakis, 2008),
as used by StrongSORT and BoT-SORT: the warp between two frames moves every track's state."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from visionbox.tracking.registry import TASK_UTILS

from .boxes import bbox_cxcyah_to_xyxy, bbox_xyxy_to_cxcyah

__all__ = ["CameraMotionCompensation"]

_WARP_MODES = {
    "cv2.MOTION_TRANSLATION": cv2.MOTION_TRANSLATION,
    "cv2.MOTION_EUCLIDEAN": cv2.MOTION_EUCLIDEAN,
    "cv2.MOTION_AFFINE": cv2.MOTION_AFFINE,
}


@TASK_UTILS.register_module()
class CameraMotionCompensation:
    """Estimate a 2x3 warp between consecutive frames with ECC and apply it to track states.

    Args:
        warp_mode: One of ``'cv2.MOTION_TRANSLATION'``, ``'cv2.MOTION_EUCLIDEAN'``,
            ``'cv2.MOTION_AFFINE'``.
        num_iters: Maximum ECC iterations.
        stop_eps: ECC convergence threshold.
    """

    def __init__(
        self,
        warp_mode: Literal[
            "cv2.MOTION_TRANSLATION", "cv2.MOTION_EUCLIDEAN", "cv2.MOTION_AFFINE"
        ] = "cv2.MOTION_EUCLIDEAN",
        num_iters: int = 50,
        stop_eps: float = 0.001,
    ) -> None:
        if warp_mode not in _WARP_MODES:
            raise ValueError(f"warp_mode must be one of {sorted(_WARP_MODES)}, got {warp_mode!r}.")
        self.warp_mode = _WARP_MODES[warp_mode]
        self.num_iters = int(num_iters)
        self.stop_eps = float(stop_eps)

    @staticmethod
    def _gray(img: np.ndarray) -> np.ndarray:
        img = np.asarray(img)
        if img.ndim == 3 and img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3):
            img = img.transpose(1, 2, 0)  # (C, H, W) -> (H, W, C)
        if img.ndim == 3 and img.dtype == np.uint8:
            return cv2.cvtColor(np.ascontiguousarray(img[..., :3]), cv2.COLOR_BGR2GRAY).astype(
                np.float32
            )
        if img.ndim == 3:  # normalised float input: the channel mean is enough for alignment
            img = img.mean(axis=-1)
        return np.ascontiguousarray(img, dtype=np.float32)

    def get_warp_matrix(self, img: np.ndarray, ref_img: np.ndarray) -> np.ndarray:
        """The (2, 3) warp that maps points of ``ref_img`` (previous frame) onto ``img``.

        Images are (H, W, 3) BGR uint8, (3, H, W) or (H, W) gray. Returns the identity when ECC
        does not converge.
        """
        warp = np.eye(2, 3, dtype=np.float32)
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, self.num_iters, self.stop_eps)
        try:
            _, warp = cv2.findTransformECC(
                self._gray(ref_img), self._gray(img), warp, self.warp_mode, criteria, None, 1
            )
        except cv2.error:
            return np.eye(2, 3, dtype=np.float32)
        # ECC with ref_img as template gives W with img(W(p)) = ref_img(p): ref -> img points.
        return warp

    @staticmethod
    def warp_bboxes(bboxes: np.ndarray, warp_matrix: np.ndarray) -> np.ndarray:
        """Move (N, 4) x1y1x2y2 boxes by a (2, 3) warp (corners warped, then axis-aligned)."""
        corners = np.stack(
            [bboxes[:, [0, 1]], bboxes[:, [2, 1]], bboxes[:, [0, 3]], bboxes[:, [2, 3]]], 1
        )  # (N, 4, 2)
        warped = corners @ warp_matrix[:, :2].T + warp_matrix[:, 2]
        return np.concatenate([warped.min(1), warped.max(1)], axis=1)

    def warp_means(self, means: np.ndarray, warp_matrix: np.ndarray) -> np.ndarray:
        """Move the box part of (T, 8) Kalman means (cx, cy, a, h, ...) by the warp."""
        out = np.array(means, dtype=np.float64, copy=True)
        if len(out):
            boxes = self.warp_bboxes(bbox_cxcyah_to_xyxy(out[:, :4]), warp_matrix)
            out[:, :4] = bbox_xyxy_to_cxcyah(boxes)
        return out
