"""Image crops of detections for re-identification models (vectorised with RoIAlign), and their
normalisation for the ReID model."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torchvision.ops import roi_align

__all__ = ["crop_imgs", "renormalize"]


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


def renormalize(
    crops: torch.Tensor, data_preprocessor: nn.Module | None, img_norm_cfg: dict
) -> torch.Tensor:
    """Re-normalise crops of the model's input for the ReID model, as mmdetection's
    ``imrenormalize``: undo the data preprocessor's ``mean``/``std`` (when it normalises), put the
    channels in the ReID model's order, then apply ``img_norm_cfg``.

    Args:
        crops: (N, C, h, w) crops of the preprocessed image.
        data_preprocessor: The MOT model's data preprocessor (an mmengine ``ImgDataPreprocessor``:
            ``mean``/``std`` buffers when it normalises; RGB when it converted the BGR frames).
        img_norm_cfg: ``mean``, ``std`` (per channel, in the ReID model's order) and ``to_rgb``
            (the ReID model takes RGB; default ``True``, as mmcv's ``imnormalize``).

    Returns:
        (N, C, h, w) crops normalised as the ReID model expects.
    """
    crops = crops.float()
    if getattr(data_preprocessor, "_enable_normalize", False):
        crops = crops * data_preprocessor.std.view(1, -1, 1, 1)
        crops = crops + data_preprocessor.mean.view(1, -1, 1, 1)
    is_rgb = bool(getattr(data_preprocessor, "_channel_conversion", False))
    if is_rgb != bool(img_norm_cfg.get("to_rgb", True)):
        crops = crops.flip(1)
    mean = crops.new_tensor(img_norm_cfg["mean"]).view(1, -1, 1, 1)
    std = crops.new_tensor(img_norm_cfg["std"]).view(1, -1, 1, 1)
    return (crops - mean) / std
