"""``EncoderDecoder``: backbone (+ neck) -> decode head (+ auxiliary heads), mmseg 1.x interface.

Shape shorthand: N images, K = the decode head's ``out_channels``, (H, W) the padded batch,
(H0, W0) each image's original size (``ori_shape``).

Inference is ``'whole'`` (one pass) or ``'slide'`` (windows of ``crop_size`` (h, w) every
``stride`` (h, w), logits averaged where windows overlap), chosen by ``test_cfg.mode``. The logits
are cut to each image's unpadded size, flipped back if the pipeline flipped the image, and
resized to ``ori_shape`` before the argmax (or the ``threshold`` of a binary head).
"""

from __future__ import annotations

import logging
from typing import Any

import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.structures import PixelData
from torch import Tensor, nn

from visionbox.core.models.base import BaseTaskModel

from ...registry import MODELS
from ...structures import SegDataSample
from ..utils import add_prefix, build_component, resize

__all__ = ["EncoderDecoder"]

_TEST_MODES = ("whole", "slide")


@MODELS.register_module()
class EncoderDecoder(BaseTaskModel):
    """Encoder-decoder segmentor.

    Args:
        backbone: Backbone config (e.g. ``ResNetV1c`` from core) or module.
        decode_head: Decode head config or module.
        neck: Optional neck.
        auxiliary_head: Optional auxiliary head (or list); its losses are added in training.
        train_cfg: Passed to the heads' ``loss``.
        test_cfg: ``dict(mode='whole')`` or ``dict(mode='slide', crop_size=(h, w),
            stride=(h, w))``.
        data_preprocessor: ``SegDataPreProcessor`` config or module.
        pretrained: Checkpoint of the backbone (sets ``backbone.init_cfg``).
        init_cfg: Initialisation config.
    """

    def __init__(
        self,
        backbone: dict | nn.Module,
        decode_head: dict | nn.Module,
        neck: dict | nn.Module | None = None,
        auxiliary_head: dict | list[dict] | nn.Module | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        data_preprocessor: dict | nn.Module | None = None,
        pretrained: str | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if isinstance(data_preprocessor, dict):
            data_preprocessor = build_component(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if pretrained is not None and isinstance(backbone, dict):
            if backbone.get("init_cfg") is not None or backbone.get("pretrained") is not None:
                raise ValueError("Both the segmentor and its backbone set pretrained weights.")
            backbone = dict(backbone, init_cfg=dict(type="Pretrained", checkpoint=pretrained))
        self.backbone = build_component(backbone)
        if neck is not None:
            self.neck = build_component(neck)
        self._init_decode_head(decode_head)
        self._init_auxiliary_head(auxiliary_head)
        self.train_cfg = train_cfg
        self.test_cfg = dict(mode="whole") if test_cfg is None else dict(test_cfg)
        mode = self.test_cfg.get("mode", "whole")
        if mode not in _TEST_MODES:
            raise ValueError(f"test_cfg.mode must be one of {_TEST_MODES}, got {mode!r}.")
        if mode == "slide" and not {"crop_size", "stride"} <= set(self.test_cfg):
            raise ValueError("test_cfg with mode='slide' needs crop_size=(h, w) and stride=(h, w).")

    def _init_decode_head(self, decode_head: dict | nn.Module) -> None:
        self.decode_head = build_component(decode_head)
        self.align_corners = self.decode_head.align_corners
        self.num_classes = self.decode_head.num_classes
        self.out_channels = self.decode_head.out_channels

    def _init_auxiliary_head(self, auxiliary_head: Any) -> None:
        if auxiliary_head is None:
            return
        if isinstance(auxiliary_head, (list, tuple)):
            self.auxiliary_head = nn.ModuleList(build_component(cfg) for cfg in auxiliary_head)
        else:
            self.auxiliary_head = build_component(auxiliary_head)

    @property
    def with_auxiliary_head(self) -> bool:
        """Whether the segmentor has auxiliary heads."""
        return getattr(self, "auxiliary_head", None) is not None

    @property
    def with_decode_head(self) -> bool:
        """Whether the segmentor has a decode head."""
        return getattr(self, "decode_head", None) is not None

    # Training ------------------------------------------------------------------------------

    def _decode_head_forward_train(self, feats: tuple[Tensor, ...], data_samples: list) -> dict:
        return add_prefix(self.decode_head.loss(feats, data_samples, self.train_cfg), "decode")

    def _auxiliary_head_forward_train(self, feats: tuple[Tensor, ...], data_samples: list) -> dict:
        if isinstance(self.auxiliary_head, nn.ModuleList):
            losses = {}
            for idx, head in enumerate(self.auxiliary_head):
                losses.update(
                    add_prefix(head.loss(feats, data_samples, self.train_cfg), f"aux_{idx}")
                )
            return losses
        return add_prefix(self.auxiliary_head.loss(feats, data_samples, self.train_cfg), "aux")

    def loss(self, inputs: Tensor, data_samples: list | None) -> dict:
        """Losses of an (N, C, H, W) batch; each sample carries ``gt_sem_seg`` (1, H, W)."""
        if not data_samples:
            raise ValueError("EncoderDecoder.loss needs data samples with gt_sem_seg.")
        feats = self.extract_feat(inputs)
        losses = self._decode_head_forward_train(feats, data_samples)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(feats, data_samples))
        return losses

    # Inference -----------------------------------------------------------------------------

    def _forward(self, inputs: Tensor, data_samples: list | None = None) -> Tensor:
        """Raw (N, K, h, w) decode-head logits."""
        return self.decode_head.forward(self.extract_feat(inputs))

    def encode_decode(self, inputs: Tensor, batch_img_metas: list[dict]) -> Tensor:
        """(N, C, H, W) -> (N, K, H, W) logits at the size the metas ask for."""
        return self.decode_head.predict(self.extract_feat(inputs), batch_img_metas, self.test_cfg)

    def whole_inference(self, inputs: Tensor, batch_img_metas: list[dict]) -> Tensor:
        """One pass over the whole (padded) batch."""
        return self.encode_decode(inputs, batch_img_metas)

    def slide_inference(self, inputs: Tensor, batch_img_metas: list[dict]) -> Tensor:
        """Windows of ``crop_size`` every ``stride``; overlapping logits are averaged."""
        h_stride, w_stride = self.test_cfg["stride"]
        h_crop, w_crop = self.test_cfg["crop_size"]
        n, _, h_img, w_img = inputs.shape
        h_grids = max(h_img - h_crop + h_stride - 1, 0) // h_stride + 1
        w_grids = max(w_img - w_crop + w_stride - 1, 0) // w_stride + 1
        preds = inputs.new_zeros((n, self.out_channels, h_img, w_img))
        count = inputs.new_zeros((n, 1, h_img, w_img))
        metas = [dict(meta) for meta in batch_img_metas]
        for h_idx in range(h_grids):
            for w_idx in range(w_grids):
                y2 = min(h_idx * h_stride + h_crop, h_img)
                x2 = min(w_idx * w_stride + w_crop, w_img)
                y1, x1 = max(y2 - h_crop, 0), max(x2 - w_crop, 0)
                crop = inputs[:, :, y1:y2, x1:x2]
                for meta in metas:
                    meta["img_shape"] = crop.shape[2:]
                logits = self.encode_decode(crop, metas)
                preds += F.pad(logits, (x1, w_img - x2, y1, h_img - y2))
                count[:, :, y1:y2, x1:x2] += 1
        return preds / count

    def inference(self, inputs: Tensor, batch_img_metas: list[dict]) -> Tensor:
        """(N, K, H, W) logits by ``test_cfg.mode``."""
        ori = batch_img_metas[0].get("ori_shape")
        if not all(meta.get("ori_shape") == ori for meta in batch_img_metas):
            print_log("Image shapes differ in the batch.", logger="current", level=logging.DEBUG)
        if self.test_cfg.get("mode", "whole") == "slide":
            return self.slide_inference(inputs, batch_img_metas)
        return self.whole_inference(inputs, batch_img_metas)

    def predict(self, inputs: Tensor, data_samples: list | None = None) -> list:
        """``SegDataSample``s with ``seg_logits`` (K, H0, W0) and ``pred_sem_seg`` (1, H0, W0)."""
        if data_samples is not None:
            metas = [sample.metainfo for sample in data_samples]
        else:
            shape = tuple(inputs.shape[2:])
            metas = [
                dict(ori_shape=shape, img_shape=shape, pad_shape=shape, padding_size=[0, 0, 0, 0])
            ] * inputs.shape[0]
        return self.postprocess_result(self.inference(inputs, metas), data_samples)

    def postprocess_result(self, seg_logits: Tensor, data_samples: list | None = None) -> list:
        """Cut padding, undo flips, resize to ``ori_shape``, then argmax (or threshold)."""
        n, k, h, w = seg_logits.shape
        only_prediction = data_samples is None
        if only_prediction:
            data_samples = [SegDataSample() for _ in range(n)]
        for i in range(n):
            logits = seg_logits[i : i + 1]
            if not only_prediction:
                meta = data_samples[i].metainfo
                left, right, top, bottom = meta.get(
                    "img_padding_size", meta.get("padding_size", [0, 0, 0, 0])
                )
                logits = logits[:, :, top : h - bottom, left : w - right]
                if meta.get("flip"):
                    direction = meta.get("flip_direction")
                    if direction not in ("horizontal", "vertical"):
                        raise ValueError(f"Cannot undo a {direction!r} flip of the logits.")
                    logits = logits.flip(dims=(3,) if direction == "horizontal" else (2,))
                logits = resize(
                    logits, meta["ori_shape"][:2], mode="bilinear", align_corners=self.align_corners
                )
            logits = logits.squeeze(0)
            if k > 1:
                pred = logits.argmax(dim=0, keepdim=True)
            else:
                logits = logits.sigmoid()
                pred = (logits > self.decode_head.threshold).to(logits)
            data_samples[i].set_data(
                dict(seg_logits=PixelData(data=logits), pred_sem_seg=PixelData(data=pred))
            )
        return data_samples
