"""``SegInferencer`` (alias ``MMSegInferencer``): mmseg 1.x's Inferencer on VisionBox segmentors.

    inferencer = SegInferencer('segmentation::shapes/fcn_r18-d8_shapes-256x256.py', 'iter_200.pth')
    out = inferencer('image.png', out_dir='outputs', no_save_pred=False)
    out['predictions'][0]['sem_seg']   # (H, W) class indices as nested lists

``sem_seg`` is the predicted label map at the original image's size (``pred_sem_seg``); the
saved prediction is ``preds/<stem>.json`` with the same dict, and the label map as a PNG as
mmseg writes it (``preds/<stem>.png``, 16-bit beyond 256 classes). See
:class:`visionbox.core.apis.BaseInferencer` for the arguments of the constructor and the call.
"""

from __future__ import annotations

import os.path as osp
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
from torch import nn

from visionbox.core.apis import BaseInferencer, to_plain

from ..registry import INFERENCERS
from ..structures import SegDataSample
from ..visualization import SegLocalVisualizer
from .inference import inference_model, init_model

__all__ = ["MMSegInferencer", "SegInferencer"]


@INFERENCERS.register_module()
class SegInferencer(BaseInferencer):
    """Semantic segmentation of images; see the module docstring."""

    default_scope = "segmentation"
    visualizer_cls = SegLocalVisualizer

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
        return init_model(
            config, weights, device=device, cfg_options=cfg_options, strict=strict, fuse=fuse
        )

    def forward(self, images: list[np.ndarray], **kwargs: Any) -> list[SegDataSample]:
        if kwargs:
            raise TypeError(f"SegInferencer takes no arguments {sorted(kwargs)}")
        return inference_model(self.model, list(images))

    def pred2dict(self, result: SegDataSample) -> dict:
        return dict(sem_seg=to_plain(result.pred_sem_seg.data[0]))

    @staticmethod
    def save_pred(pred: dict | Sequence, out_dir: str, name: str) -> str:
        path = BaseInferencer.save_pred(pred, out_dir, name)
        label_map = np.asarray(pred["sem_seg"])
        label_map = label_map.astype(np.uint8 if label_map.max(initial=0) < 256 else np.uint16)
        cv2.imwrite(osp.splitext(path)[0] + ".png", label_map)
        return path


#: mmseg's name of the same class.
MMSegInferencer = SegInferencer
INFERENCERS.register_module(name="MMSegInferencer", module=SegInferencer)
