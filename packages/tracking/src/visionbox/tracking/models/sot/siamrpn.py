"""``SiamRPN``: SiamRPN++ (Li et al. 2019, https://arxiv.org/abs/1812.11703).

A shared backbone (``SOTResNet``) and neck (``ChannelMapper``) embed a 127x127 template and a
255x255 search region; the template maps are cut to their central ``center_size`` cells; the
head (``SiameseRPNHead``) correlates them level by level into anchor scores and box deltas.

Shapes (the mmtracking config): template (N, 3, 127, 127) -> 3 x (N, 256, 7, 7); search
(N, 3, 255, 255) -> 3 x (N, 256, 31, 31); scores (N, 10, 25, 25), deltas (N, 20, 25, 25).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd

from visionbox.tracking.registry import MODELS

from .base import BaseSingleObjectTracker

__all__ = ["SiamRPN", "crop_and_resize"]

_TEST_DEFAULTS = dict(exemplar_size=127, search_size=255, context_amount=0.5, center_size=7)


def crop_and_resize(
    img: Tensor, center_xy: Tensor, target_size: int, crop_size: float, avg_channel: Tensor
) -> Tensor:
    """Cut a ``crop_size`` square around ``center_xy`` (pixels beyond the image take the image's
    mean colour ``avg_channel``) and resize it to ``target_size``.

    Args:
        img: (1, C, H, W).
        center_xy: (2,) crop centre in pixels.
        target_size: Output side.
        crop_size: Side of the square in image pixels.
        avg_channel: (C,) padding values.

    Returns:
        (1, C, target_size, target_size).

    The crop spans pixels ``x0..x1`` and ``y0..y1`` inclusive (``int`` of the centre -/+ half
    the size, as mmtracking). Its right and bottom padding is ``x1 - w + 1`` / ``y1 - h + 1``
    pixels, so that the crop always holds ``x1 - x0 + 1`` columns; mmtracking pads ``x1 - w``,
    which leaves a crop that touches the right or bottom border one pixel short before the
    resize, so such crops differ slightly from mmtracking's there.
    """
    n, c, h, w = img.shape
    x0 = int(float(center_xy[0]) - crop_size / 2)
    x1 = int(float(center_xy[0]) + crop_size / 2)
    y0 = int(float(center_xy[1]) - crop_size / 2)
    y1 = int(float(center_xy[1]) + crop_size / 2)
    left, top = max(0, -x0), max(0, -y0)
    right, bottom = max(0, x1 - w + 1), max(0, y1 - h + 1)
    if left or top or right or bottom:
        canvas = avg_channel.view(1, c, 1, 1).expand(n, c, h + top + bottom, w + left + right)
        canvas = canvas.clone()
        canvas[..., top : top + h, left : left + w] = img
        img = canvas
    crop = img[..., y0 + top : y1 + top + 1, x0 + left : x1 + left + 1]
    return F.interpolate(
        crop, size=(target_size, target_size), mode="bilinear", align_corners=False
    )


@MODELS.register_module()
class SiamRPN(BaseSingleObjectTracker):
    """SiamRPN++ single-object tracker.

    Args:
        backbone: Backbone config (``SOTResNet``, or any module returning a tuple of maps).
        neck: Neck config (``ChannelMapper``) or ``None``.
        head: Track head config (``SiameseRPNHead``); it receives ``train_cfg.rpn`` and
            ``test_cfg.rpn`` when its constructor takes ``train_cfg`` / ``test_cfg``.
        track_head: Track head config under its generic name; when given it replaces ``head``
            (so that a config inheriting SiamRPN's ``head`` can swap in a user head).
        pretrains: Deprecated ``dict(backbone=path)``; use the backbone's ``init_cfg``.
        init_cfg: Initialisation config.
        frozen_modules: Names of sub-modules to freeze.
        train_cfg: ``dict(rpn=...)`` training settings of the head.
        test_cfg: ``exemplar_size`` (127), ``search_size`` (255), ``context_amount`` (0.5),
            ``center_size`` (7) and ``rpn`` (``penalty_k``, ``window_influence``, ``lr``).
        data_preprocessor: ``TrackDataPreprocessor`` config.
    """

    def __init__(
        self,
        backbone: dict | nn.Module,
        neck: dict | nn.Module | None = None,
        head: dict | nn.Module | None = None,
        track_head: dict | nn.Module | None = None,
        pretrains: dict | None = None,
        init_cfg: dict | list | None = None,
        frozen_modules: str | list[str] | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        data_preprocessor: dict | nn.Module | None = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        head = track_head if track_head is not None else head
        if head is None:
            raise ValueError("SiamRPN needs a head (head=dict(type='SiameseRPNHead', ...)).")
        if isinstance(pretrains, dict):
            warnings.warn(
                "pretrains is deprecated; use backbone.init_cfg", DeprecationWarning, stacklevel=2
            )
            if isinstance(backbone, dict):
                backbone = dict(backbone)
                path = pretrains.get("backbone")
                backbone["init_cfg"] = dict(type="Pretrained", checkpoint=path) if path else None
        self.train_cfg = dict(train_cfg or {})
        self.test_cfg = {**_TEST_DEFAULTS, **(test_cfg or {})}
        self.backbone = self.build_part(backbone)
        self.neck = self.build_part(neck)
        self.head = self.build_part(
            head, train_cfg=self.train_cfg.get("rpn"), test_cfg=self.test_cfg.get("rpn")
        )
        if frozen_modules is not None:
            self.freeze_module(frozen_modules)

    def init_weights(self) -> None:
        """The backbone's own initialisation; convs and norms of the neck and head are reset
        with PyTorch's defaults (as mmtracking does)."""
        if self.with_backbone and hasattr(self.backbone, "init_weights"):
            self.backbone.init_weights()
        for part in (self.neck, self.head):
            if part is None:
                continue
            for m in part.modules():
                if isinstance(m, (_ConvNd, _BatchNorm)):
                    m.reset_parameters()

    # Features ----------------------------------------------------------------------------------

    def forward_template(self, z_img: Tensor) -> tuple[Tensor, ...]:
        """(N, C, 127, 127) templates -> per-level maps cut to the central ``center_size``."""
        z_feat = self.forward_search(z_img)
        size = int(self.test_cfg["center_size"])
        out = []
        for feat in z_feat:
            if feat.shape[-1] > size:
                left = (feat.shape[-1] - size) // 2
                top = (feat.shape[-2] - size) // 2
                feat = feat[:, :, top : top + size, left : left + size]
            out.append(feat)
        return tuple(out)

    def forward_search(self, x_img: Tensor) -> tuple[Tensor, ...]:
        """(N, C, 255, 255) search regions -> per-level maps (N, C_i, 31, 31)."""
        feat = self.backbone(x_img)
        if self.with_neck:
            feat = self.neck(feat)
        return tuple(feat) if isinstance(feat, (tuple, list)) else (feat,)

    # Training ----------------------------------------------------------------------------------

    def loss(self, inputs: Tensor, data_samples: list[Any]) -> dict:
        """Head losses of (N, 2, C, H, W) template/search pairs."""
        template, search = self.split_pairs(inputs, data_samples)
        return self.head.loss(
            self.forward_template(template), self.forward_search(search), data_samples
        )

    def _forward(self, inputs: Tensor, data_samples: list[Any] | None = None) -> Any:
        if data_samples is None:
            z = inputs[:, 0, :, : self.test_cfg["exemplar_size"], : self.test_cfg["exemplar_size"]]
            x = inputs[:, -1]
        else:
            z, x = self.split_pairs(inputs, data_samples)
        return self.head(self.forward_template(z), self.forward_search(x))

    # Inference ---------------------------------------------------------------------------------

    def _context_size(self, bbox: Tensor) -> Tensor:
        context = self.test_cfg["context_amount"] * (bbox[2] + bbox[3])
        return torch.sqrt((bbox[2] + context) * (bbox[3] + context))

    def init(self, img: Tensor, bbox: Tensor) -> tuple[tuple[Tensor, ...], Tensor]:
        """Template features of the first frame.

        Args:
            img: (1, C, H, W) frame.
            bbox: (4,) cx cy w h.

        Returns:
            The template maps and the (C,) mean colour used to pad crops.
        """
        avg_channel = img.mean(dim=(0, 2, 3))
        z_size = float(torch.round(self._context_size(bbox)))
        z_crop = crop_and_resize(img, bbox[:2], self.test_cfg["exemplar_size"], z_size, avg_channel)
        return self.forward_template(z_crop), avg_channel

    def track(
        self, img: Tensor, bbox: Tensor, z_feat: tuple[Tensor, ...], avg_channel: Tensor
    ) -> InstanceData:
        """Track ``bbox`` (4,) cx cy w h of the previous frame into ``img`` (1, C, H, W)."""
        z_size = self._context_size(bbox.detach())
        ratio = self.test_cfg["search_size"] / self.test_cfg["exemplar_size"]
        x_size = float(torch.round(z_size * ratio))
        x_crop = crop_and_resize(img, bbox[:2], self.test_cfg["search_size"], x_size, avg_channel)
        scale_factor = self.test_cfg["exemplar_size"] / z_size
        return self.head.predict(
            z_feat, self.forward_search(x_crop), bbox, scale_factor, tuple(img.shape[-2:])
        )

    def predict(self, inputs: Tensor, data_samples: list[Any], rescale: bool = True) -> list:
        """Track one frame, (1, 1, C, H, W); frame 0 starts the video from its ``gt_instances``
        box. The frame's sample gets ``pred_track_instances`` (``bboxes`` (1, 4) x1y1x2y2 in
        original image pixels with ``rescale``, ``scores`` (1,); -1 on the first frame)."""
        if inputs.dim() != 5 or inputs.shape[0] != 1 or len(data_samples) != 1:
            raise ValueError(
                f"SiamRPN tracks one frame at a time, (1, 1, C, H, W); got {tuple(inputs.shape)}"
            )
        frame = data_samples[0].video_data_samples[0]
        frame_id = frame.metainfo.get("frame_id", -1)
        if frame_id < 0:
            raise ValueError("SiamRPN.predict needs the frame's 'frame_id' in its metainfo.")
        h, w = frame.metainfo.get("img_shape", inputs.shape[-2:])
        img = inputs[:, 0, :, :h, :w]
        if frame_id == 0:
            if "gt_instances" not in frame or len(frame.gt_instances) == 0:
                raise ValueError(
                    "SiamRPN: the first frame of a video needs its box (gt_instances)."
                )
            box = frame.gt_instances.bboxes[0].to(img.device).float()
            self.memo = dict(bbox=torch.cat([(box[:2] + box[2:]) / 2, box[2:] - box[:2]]))
            self.memo["z_feat"], self.memo["avg_channel"] = self.init(img, self.memo["bbox"])
            score = img.new_tensor([-1.0])
        else:
            if "z_feat" not in self.memo:
                raise RuntimeError("SiamRPN.predict: frame_id > 0 before the video's frame 0.")
            result = self.track(
                img, self.memo["bbox"], self.memo["z_feat"], self.memo["avg_channel"]
            )
            box = result.bboxes[0].detach()
            # the state stays in float pixels (as mmtracking and pysot): rounding it would undo
            # size updates smaller than half a pixel and quantise the centre
            self.memo["bbox"] = torch.cat([(box[:2] + box[2:]) / 2, box[2:] - box[:2]])
            score = result.scores.detach()
        cxcy, wh = self.memo["bbox"][:2], self.memo["bbox"][2:]
        bboxes = torch.cat([cxcy - wh / 2, cxcy + wh / 2])[None]
        scale = frame.metainfo.get("scale_factor")
        if rescale and scale is not None and not all(math.isclose(s, 1.0) for s in scale):
            bboxes = bboxes / bboxes.new_tensor(list(scale) * 2)
        pred = InstanceData()
        pred.bboxes = bboxes
        pred.scores = score
        pred.labels = torch.zeros(1, dtype=torch.long, device=bboxes.device)
        pred.instances_id = torch.zeros(1, dtype=torch.long, device=bboxes.device)
        frame.pred_track_instances = pred
        return data_samples
