"""End-to-end detectors for export, as mmdeploy's ``end2end`` models.

Shape shorthand: N images of the preprocessed (N, 3, H, W) input; K = ``max_per_img`` of the
test config; C classes; R = the RPN's ``max_per_img`` proposals; M the mask head's output size.

Outputs, in the input image's pixels (the caller divides by its resize factor):

- ``dets`` (N, K, 5) ``[x1, y1, x2, y2, score]`` by decreasing score;
- ``labels`` (N, K) int64;
- ``masks`` (N, K, M, M) for detectors with a mask head: the mask head's probabilities of each
  detection's class inside its box (paste them into the image as ``FCNMaskHead`` does).

An image with fewer than K detections is padded with rows of score 0, box 0, label -1 (and mask
0): keep the rows whose score is above 0.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from visionbox.core.deploy import nms_mask, topk_detections

from ..models.detectors.single_stage import SingleStageDetector
from ..models.detectors.two_stage import TwoStageDetector
from .candidates import candidates_of, clip_boxes, rpn_candidates

__all__ = ["DenseDetectorEnd2End", "TwoStageDetectorEnd2End", "StaticRoIExtractor"]


def _iou_threshold(cfg: dict, who: str) -> float:
    nms = cfg.get("nms")
    if nms is None or "iou_threshold" not in nms:
        raise ValueError(f"{who} needs a test_cfg with nms=dict(iou_threshold=...) to be exported")
    return float(nms["iou_threshold"])


def _max_per_img(cfg: dict, fallback: int) -> int:
    k = int(cfg.get("max_per_img", -1))
    return k if k > 0 else fallback


class DenseDetectorEnd2End(nn.Module):
    """A single-stage detector (RetinaNet, FCOS, YOLOX, ...) with its post-processing.

    Args:
        model: The detector; its ``bbox_head`` needs a candidate function
            (:func:`~visionbox.detection.deploy.candidates.register_candidates`).
    """

    output_names = ("dets", "labels")

    def __init__(self, model: SingleStageDetector) -> None:
        super().__init__()
        self.model = model
        self.candidates = candidates_of(model.bbox_head)
        cfg = model.bbox_head.test_cfg or {}
        self.iou_threshold = _iou_threshold(cfg, type(model).__name__)
        self.max_per_img = _max_per_img(cfg, 100)

    def forward(self, inputs: Tensor) -> tuple[Tensor, Tensor]:
        """(N, 3, H, W) -> ``dets`` (N, K, 5), ``labels`` (N, K)."""
        feats = self.model.extract_feat(inputs)
        boxes, scores = self.candidates(self.model.bbox_head, feats, tuple(inputs.shape[-2:]))
        keep = nms_mask(boxes, scores, self.iou_threshold)
        dets, labels, _ = topk_detections(boxes, scores, keep, self.max_per_img)
        return dets, labels


class StaticRoIExtractor(nn.Module):
    """A ``SingleRoIExtractor`` that pools every RoI from every level and keeps its own level's
    features: the same values, without a branch on how many RoIs a level has."""

    def __init__(self, extractor: nn.Module) -> None:
        super().__init__()
        self.extractor = extractor

    @property
    def num_inputs(self) -> int:
        return self.extractor.num_inputs

    def forward(
        self, feats: tuple[Tensor, ...], rois: Tensor, roi_scale_factor: float | None = None
    ) -> Tensor:
        """(R, C, S, S) features of (R, 5) ``rois`` from the L (B, C, H_l, W_l) ``feats``."""
        ext = self.extractor
        if ext.num_inputs == 1:
            return ext(feats, rois, roi_scale_factor)
        levels = ext.map_roi_levels(rois, ext.num_inputs)
        if roi_scale_factor is not None:
            rois = ext.roi_rescale(rois, roi_scale_factor)
        out = None
        for i in range(ext.num_inputs):
            pooled = ext.roi_layers[i](feats[i], rois)
            pooled = pooled * (levels == i).to(pooled.dtype)[:, None, None, None]
            out = pooled if out is None else out + pooled
        return out


def _static_roi_head(roi_head: nn.Module) -> nn.Module:
    """A shallow copy of ``roi_head`` (same parameters) with static RoI extractors."""
    head = copy.copy(roi_head)
    head._modules = dict(roi_head._modules)
    head.bbox_roi_extractor = StaticRoIExtractor(roi_head.bbox_roi_extractor)
    if getattr(roi_head, "with_mask", False):
        if roi_head.share_roi_extractor:
            head.mask_roi_extractor = head.bbox_roi_extractor
        else:
            head.mask_roi_extractor = StaticRoIExtractor(roi_head.mask_roi_extractor)
    return head


def _rois(boxes: Tensor) -> Tensor:
    """(N, R, 4) boxes -> (N * R, 5) ``[image index, x1, y1, x2, y2]``."""
    num_imgs, count = boxes.shape[:2]
    index = torch.arange(num_imgs, device=boxes.device, dtype=boxes.dtype)
    index = index[:, None, None].expand(num_imgs, count, 1)
    return torch.cat([index, boxes], -1).reshape(-1, 5)


class TwoStageDetectorEnd2End(nn.Module):
    """Faster / Mask / Double-Head R-CNN with the RPN's and the RoI head's post-processing.

    The RPN keeps its R best proposals per image (padded when fewer survive its NMS; padded
    proposals cannot become detections); the RoI head's own ``_bbox_forward`` and
    ``_mask_forward`` run on them with static RoI extractors.
    """

    def __init__(self, model: TwoStageDetector) -> None:
        super().__init__()
        if not getattr(model, "with_rpn", False):
            raise ValueError("two-stage export needs an rpn_head (precomputed proposals cannot be)")
        self.model = model
        self.roi_head = _static_roi_head(model.roi_head)
        rpn_cfg = model.rpn_head.test_cfg or {}
        self.rpn_iou = _iou_threshold(rpn_cfg, "RPNHead")
        self.num_proposals = _max_per_img(rpn_cfg, 1000)
        rcnn_cfg = model.roi_head.test_cfg or {}
        self.rcnn_iou = _iou_threshold(rcnn_cfg, type(model.roi_head).__name__)
        self.score_thr = float(rcnn_cfg.get("score_thr", 0.0))
        self.max_per_img = _max_per_img(rcnn_cfg, 100)
        self.with_mask = bool(getattr(model.roi_head, "with_mask", False))
        self.output_names = ("dets", "labels", "masks") if self.with_mask else ("dets", "labels")

    def proposals(self, feats: tuple[Tensor, ...], img_shape: tuple[int, int]) -> Tensor:
        """(N, R, 5) proposals ``[x1, y1, x2, y2, objectness]``, padding rows of score 0."""
        boxes, scores = rpn_candidates(self.model.rpn_head, feats, img_shape)
        keep = nms_mask(boxes, scores, self.rpn_iou)
        return topk_detections(boxes, scores, keep, self.num_proposals)[0]

    def forward(self, inputs: Tensor) -> tuple[Tensor, ...]:
        """(N, 3, H, W) -> ``dets`` (N, K, 5), ``labels`` (N, K)[, ``masks`` (N, K, M, M)]."""
        img_shape = tuple(inputs.shape[-2:])
        feats = self.model.extract_feat(inputs)
        proposals = self.proposals(feats, img_shape)
        num_imgs, count = proposals.shape[:2]
        rois = _rois(proposals[..., :4])
        results = self.roi_head._bbox_forward(feats, rois)
        bbox_head = self.roi_head.bbox_head
        probs = results["cls_score"].softmax(-1)[:, :-1]  # (N * R, C)
        num_classes = probs.size(1)
        if results["bbox_pred"] is not None:
            boxes = bbox_head.bbox_coder.decode(rois[:, 1:], results["bbox_pred"])
        else:
            boxes = rois[:, 1:]
        boxes = clip_boxes(boxes.reshape(num_imgs, count, -1, 4), img_shape)
        boxes = boxes.expand(-1, -1, num_classes, -1).transpose(1, 2)  # (N, C, R, 4)
        scores = probs.reshape(num_imgs, count, num_classes).transpose(1, 2)  # (N, C, R)
        usable = (proposals[..., 4] > 0)[:, None, :] & (scores > self.score_thr)
        scores = torch.where(usable, scores, torch.zeros_like(scores))
        keep = nms_mask(boxes, scores, self.rcnn_iou)
        dets, labels, _ = topk_detections(boxes, scores, keep, self.max_per_img)
        if not self.with_mask:
            return dets, labels
        return dets, labels, self._masks(feats, dets, labels)

    def _masks(self, feats: tuple[Tensor, ...], dets: Tensor, labels: Tensor) -> Tensor:
        """(N, K, M, M) probabilities of each detection's class; 0 on padding rows."""
        num_imgs, k = labels.shape
        preds = self.roi_head._mask_forward(feats, _rois(dets[..., :4]))["mask_preds"]
        preds = preds.reshape(num_imgs, k, *preds.shape[1:])  # (N, K, C or 1, M, M)
        channel = labels.clamp(min=0) if preds.size(2) > 1 else torch.zeros_like(labels)
        index = channel[:, :, None, None, None].expand(-1, -1, 1, *preds.shape[-2:])
        masks = preds.gather(2, index)[:, :, 0].sigmoid()
        return masks * (labels >= 0).to(masks.dtype)[..., None, None]
