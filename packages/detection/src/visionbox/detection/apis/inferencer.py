"""``DetInferencer``: mmdet 3.x's Inferencer on VisionBox detectors.

    inferencer = DetInferencer('detection::shapes/faster-rcnn_r18_fpn_shapes.py', 'epoch_12.pth')
    out = inferencer('data/shapes_det/val/', out_dir='outputs', no_save_pred=False)
    out['predictions'][0]  # {'labels': [...], 'scores': [...], 'bboxes': [[x1, y1, x2, y2], ...]}

``bboxes`` are x1y1x2y2 in the original image's pixels; instance masks, when the model predicts
them, are COCO RLEs (``{'size': [h, w], 'counts': str}``) as mmdet writes them. See
:class:`visionbox.core.apis.BaseInferencer` for the arguments of the constructor and the call.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pycocotools import mask as mask_util
from torch import nn

from visionbox.core.apis import BaseInferencer, to_plain

from ..registry import INFERENCERS
from ..structures import DetDataSample
from ..visualization import DetLocalVisualizer
from .inference import detect_batch, init_detector

__all__ = ["DetInferencer", "encode_masks"]


def encode_masks(masks: Any) -> list[dict]:
    """COCO RLEs of (N, H, W) binary masks, ``counts`` as text (JSON-serialisable)."""
    array = masks.detach().cpu().numpy() if hasattr(masks, "detach") else np.asarray(masks)
    if len(array) == 0:
        return []
    rles = mask_util.encode(np.asfortranarray(array.astype(np.uint8).transpose(1, 2, 0)))
    return [dict(size=list(r["size"]), counts=r["counts"].decode()) for r in rles]


@INFERENCERS.register_module()
class DetInferencer(BaseInferencer):
    """Object detection (and instance segmentation) on images; see the module docstring."""

    default_scope = "detection"
    visualizer_cls = DetLocalVisualizer

    def init_model(
        self,
        config: Any,
        weights: str | None,
        *,
        device: str,
        cfg_options: dict | None,
        fuse: bool,
        strict: bool,
    ) -> nn.Module:
        return init_detector(
            config, weights, device=device, cfg_options=cfg_options, strict=strict, fuse=fuse
        )

    def forward(self, images: list[np.ndarray], **kwargs: Any) -> list[DetDataSample]:
        if kwargs:
            raise TypeError(f"DetInferencer takes no arguments {sorted(kwargs)}")
        return detect_batch(self.model, images)

    def pred2dict(self, result: DetDataSample) -> dict:
        pred = result.pred_instances
        out = dict(
            labels=to_plain(pred.labels),
            scores=to_plain(pred.scores),
            bboxes=to_plain(pred.bboxes),
        )
        if "masks" in pred:
            out["masks"] = encode_masks(pred.masks)
        return out
