"""``SegDataSample``: one image's label map, prediction and logits (mmseg 1.x name and fields).

Fields (all ``PixelData``):

* ``gt_sem_seg``: ``data`` (1, H, W) int64 class indices (255 = ignored);
* ``pred_sem_seg``: ``data`` (1, H, W) predicted class indices at the original image size;
* ``seg_logits``: ``data`` (C, H, W) logits (probabilities for binary heads) at that size.
"""

from __future__ import annotations

from visionbox.core.structures import BaseDataSample

__all__ = ["SegDataSample"]


class SegDataSample(BaseDataSample):
    """Data sample of semantic segmentation; see the module docstring for its fields."""
