"""A training-free test detector for Shapes MOT: saturated blobs -> boxes.

Shapes objects are saturated colours on muted backgrounds, so thresholding the channel spread
and taking connected components finds them; it lets the MOT models, APIs and tools be tested end
to end without a trained network.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from mmengine.structures import InstanceData
from torch import nn

from visionbox.tracking.registry import MODELS


@MODELS.register_module(force=True)
class ColorBlobDetector(nn.Module):
    """``predict(img (1, 3, H, W) BGR 0-255, [sample], rescale)`` -> samples with
    ``pred_instances``; ``loss`` returns a differentiable dummy so training paths run."""

    def __init__(self, min_area: int = 40, spread_thr: float = 70.0) -> None:
        super().__init__()
        self.min_area = min_area
        self.spread_thr = spread_thr
        self.scale = nn.Parameter(torch.ones(1))

    def predict(self, img, data_samples, rescale=True):
        arr = img[0].detach().cpu().numpy().transpose(1, 2, 0)
        spread = arr.max(-1) - arr.min(-1)
        mask = (spread > self.spread_thr).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        boxes = []
        for x, y, w, h, area in stats[1:n]:
            if area >= self.min_area:
                boxes.append([x, y, x + w, y + h])
        boxes = np.array(boxes, np.float32).reshape(-1, 4)
        sample = data_samples[0]
        if rescale and "scale_factor" in sample.metainfo:
            sx, sy = sample.scale_factor
            boxes = boxes / np.array([sx, sy, sx, sy], np.float32)
        pred = InstanceData()
        pred.bboxes = torch.from_numpy(boxes) * self.scale.detach()
        pred.scores = torch.full((len(boxes),), 0.9)
        pred.labels = torch.zeros(len(boxes), dtype=torch.long)
        sample.pred_instances = pred
        return [sample]

    def loss(self, inputs, data_samples):
        num = sum(len(s.gt_instances) for s in data_samples)
        return dict(loss_toy=(self.scale - 2.0).pow(2).sum() * (1 + num) / (1 + num))

    def _forward(self, inputs, data_samples=None):
        return inputs * self.scale
