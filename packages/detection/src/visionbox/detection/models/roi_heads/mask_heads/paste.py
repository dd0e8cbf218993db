"""Pasting RoI mask predictions into the image.

Shapes: D detections, M x M mask predictions, H x W image.

Each box's mask is resampled (bilinear, ``grid_sample`` with ``align_corners=False``) at the
centres of the pixels of its window: columns ``floor(x1) .. ceil(x2) + 1`` and rows
``floor(y1) .. ceil(y2) + 1`` inside the image; every other pixel is 0. Boxes are processed in
chunks of similar window size (sorted by window area), so a small box never samples the window of
a large one, and the only full-image allocation is the output itself; with a threshold the
output is a bool tensor, filled once.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["paste_masks"]

#: Boxes resampled together (one ``grid_sample`` call per chunk).
CHUNK = 16


def _paste_chunk(
    masks: Tensor, boxes: Tensor, out: Tensor, index: Tensor, threshold: float | None
) -> None:
    """Paste ``masks`` (d, M, M) in ``boxes`` (d, 4) into ``out[index]`` in place."""
    num = masks.size(0)
    img_h, img_w = out.shape[-2:]
    x0, y0, x1, y1 = boxes.unbind(-1)
    left = x0.floor().clamp(0, img_w - 1).long()
    top = y0.floor().clamp(0, img_h - 1).long()
    right = (x1.ceil().long() + 1).clamp(max=img_w - 1)  # last column of each window
    bottom = (y1.ceil().long() + 1).clamp(max=img_h - 1)
    win_w = int((right - left).max().clamp(min=0)) + 1
    win_h = int((bottom - top).max().clamp(min=0)) + 1
    # windows of the chunk's size, shifted left / up where they would leave the image
    start_x = left.clamp(max=img_w - win_w)
    start_y = top.clamp(max=img_h - win_h)
    cols = start_x[:, None] + torch.arange(win_w, device=masks.device)  # (d, win_w)
    rows = start_y[:, None] + torch.arange(win_h, device=masks.device)  # (d, win_h)
    gx = (cols + 0.5 - x0[:, None]) / (x1 - x0).clamp(min=1e-6)[:, None] * 2 - 1
    gy = (rows + 0.5 - y0[:, None]) / (y1 - y0).clamp(min=1e-6)[:, None] * 2 - 1
    grid = torch.stack(
        [gx[:, None, :].expand(num, win_h, win_w), gy[:, :, None].expand(num, win_h, win_w)], -1
    )
    local = F.grid_sample(masks[:, None], grid, align_corners=False)[:, 0]  # (d, win_h, win_w)
    inside = ((cols >= left[:, None]) & (cols <= right[:, None]))[:, None, :] & (
        (rows >= top[:, None]) & (rows <= bottom[:, None])
    )[:, :, None]
    if threshold is not None:
        value = (local >= threshold) & inside
    else:
        value = local * inside
    out[index[:, None, None], rows[:, :, None], cols[:, None, :]] = value


def paste_masks(
    masks: Tensor, boxes: Tensor, img_h: int, img_w: int, threshold: float | None = None
) -> Tensor:
    """Resample (D, M, M) mask probabilities into their (D, 4) x1y1x2y2 boxes of the image.

    Args:
        masks: (D, M, M) probabilities.
        boxes: (D, 4) boxes in the image's pixels.
        img_h: H.
        img_w: W.
        threshold: With a value > 0, return ``probability >= threshold`` as bool.

    Returns:
        (D, H, W) float probabilities (0 outside each box's window), or bool masks.
    """
    binary = threshold is not None and threshold > 0
    num = masks.size(0)
    out = masks.new_zeros((num, img_h, img_w), dtype=torch.bool if binary else masks.dtype)
    if num == 0:
        return out
    boxes = boxes.float()
    area = (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)
    order = area.argsort()
    for chunk in order.split(CHUNK):
        _paste_chunk(masks[chunk].float(), boxes[chunk], out, chunk, threshold if binary else None)
    if threshold is not None and not binary:
        return out >= threshold
    return out
