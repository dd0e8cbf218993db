"""Image crops of detections for re-identification models (vectorised with RoIAlign)."""

from __future__ import annotations

import numpy as np
import torch
from torchvision.ops import roi_align

__all__ = ["crop_imgs"]


def crop_imgs(
    img: torch.Tensor,
    img_shape: tuple[int, int],
    bboxes: np.ndarray,
    img_scale: tuple[int, int] = (256, 128),
    scale_factor: tuple[float, float] | None = None,
) -> torch.Tensor:
    """Crop and resize boxes of one image for a ReID model.

    Args:
        img: (1, C, H, W) image tensor (as fed to the detector).
        img_shape: (h, w) of the valid image region (before padding).
        bboxes: (N, 4) x1y1x2y2 boxes in ``img`` pixels, or in the original image's pixels when
            ``scale_factor`` (w_scale, h_scale) is given.
        img_scale: Output (height, width) of each crop.

    Returns:
        (N, C, img_scale[0], img_scale[1]) crops.
    """
    h, w = int(img_shape[0]), int(img_shape[1])
    boxes = torch.as_tensor(np.asarray(bboxes, dtype=np.float32)).reshape(-1, 4).to(img.device)
    if scale_factor is not None:
        boxes = boxes * boxes.new_tensor([scale_factor[0], scale_factor[1]] * 2)
    boxes = torch.stack(
        [
            boxes[:, 0].clamp(0, w - 1),
            boxes[:, 1].clamp(0, h - 1),
            boxes[:, 2].clamp(1, w),
            boxes[:, 3].clamp(1, h),
        ],
        1,
    )
    boxes[:, 2] = torch.maximum(boxes[:, 2], boxes[:, 0] + 1)
    boxes[:, 3] = torch.maximum(boxes[:, 3], boxes[:, 1] + 1)
    rois = torch.cat([boxes.new_zeros(len(boxes), 1), boxes], 1)
    return roi_align(img[:1].float(), rois, output_size=tuple(img_scale), aligned=True)
