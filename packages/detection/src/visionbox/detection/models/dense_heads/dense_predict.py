"""Post-processing shared by dense heads (RetinaNet, FCOS): per-level top-k, decoding, rescaling,
size filter and class-wise NMS, for the whole batch at once.

Shape shorthand: B images; L levels; N_l = H_l * W_l * A priors of level l (A per location);
C classes; K_l = min(nms_pre, N_l * C) candidates kept per level and image.

mmdet 3.x does the same steps one image and one level at a time (``filter_scores_and_topk``,
``_bbox_post_process``); the result is the same set of detections:

1. per level, class scores (sigmoid, or softmax without the background column) above
   ``score_thr``, of which the ``nms_pre`` best (prior, class) pairs;
2. their boxes decoded from the priors, clipped to the image;
3. boxes divided by ``scale_factor`` when ``rescale``; scores multiplied by the score factors
   (FCOS centerness) when given; boxes not wider and taller than ``min_bbox_size`` dropped;
4. one ``batched_nms`` over every (image, class) group, then the ``max_per_img`` best per image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from ..layers import batched_nms

__all__ = ["dense_predict"]


def _level_candidates(
    score: Tensor, nms_pre: int, score_thr: float
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Best (prior, class) pairs of one level.

    Args:
        score: (B, N_l, C) probabilities.

    Returns:
        ``(scores, prior_inds, labels, valid)``: each (B, K_l).
    """
    num_imgs, num_priors, num_classes = score.shape
    flat = score.reshape(num_imgs, -1)
    if 0 < nms_pre < flat.size(1):
        flat, inds = flat.topk(nms_pre, dim=1, sorted=False)
    else:
        inds = torch.arange(flat.size(1), device=flat.device).expand(num_imgs, -1)
    return flat, inds // num_classes, inds % num_classes, flat > score_thr


def dense_predict(
    cls_scores: Sequence[Tensor],
    bbox_preds: Sequence[Tensor],
    priors: Sequence[Tensor],
    decode: Callable[[Tensor, Tensor], Tensor],
    batch_img_metas: Sequence[dict],
    cfg: dict,
    use_sigmoid: bool = True,
    score_factors: Sequence[Tensor] | None = None,
    rescale: bool = False,
    clip_border: bool = True,
) -> list[InstanceData]:
    """Detections of every image from a dense head's per-level outputs.

    Args:
        cls_scores: L maps (B, A * C', H_l, W_l) of logits (C' = C, or C + 1 with softmax).
        bbox_preds: L maps (B, A * 4, H_l, W_l).
        priors: L tensors (N_l, P) of anchors (P = 4) or points (P = 2), location-major.
        decode: ``decode(priors (B, K, P), preds (B, K, 4)) -> boxes (B, K, 4)``.
        batch_img_metas: B dicts with ``img_shape`` (and ``scale_factor`` when ``rescale``).
        cfg: ``nms_pre``, ``score_thr``, ``nms``, ``max_per_img``, ``min_bbox_size``.
        use_sigmoid: Scores are sigmoids (else softmax, last column background).
        score_factors: L maps (B, A, H_l, W_l) of logits multiplied (after a sigmoid) into the
            scores, or ``None``.
        rescale: Boxes in the original image (divided by ``scale_factor``).
        clip_border: Clip boxes to ``img_shape``.

    Returns:
        B ``InstanceData`` with ``bboxes`` (k, 4), ``scores`` (k,) and ``labels`` (k,), by
        decreasing score.
    """
    nms_pre = cfg.get("nms_pre", -1)
    score_thr = cfg.get("score_thr", 0.0)
    num_imgs = cls_scores[0].size(0)
    all_scores, all_labels, all_valid, all_priors, all_preds, all_factors = [], [], [], [], [], []
    for level, (cls_score, bbox_pred) in enumerate(zip(cls_scores, bbox_preds)):
        per_location = bbox_pred.size(1) // 4  # A
        channels = cls_score.size(1) // per_location  # C'
        logits = cls_score.permute(0, 2, 3, 1).reshape(num_imgs, -1, channels)
        probs = logits.sigmoid() if use_sigmoid else logits.softmax(-1)[..., :-1]
        scores, prior_inds, labels, valid = _level_candidates(probs, nms_pre, score_thr)
        pred = bbox_pred.permute(0, 2, 3, 1).reshape(num_imgs, -1, 4)
        all_preds.append(pred.gather(1, prior_inds[..., None].expand(-1, -1, 4)))
        all_priors.append(priors[level][prior_inds])
        if score_factors is not None:
            factor = score_factors[level].permute(0, 2, 3, 1).reshape(num_imgs, -1).sigmoid()
            all_factors.append(factor.gather(1, prior_inds))
        all_scores.append(scores)
        all_labels.append(labels)
        all_valid.append(valid)
    scores, labels, valid = (torch.cat(t, 1) for t in (all_scores, all_labels, all_valid))
    boxes = decode(torch.cat(all_priors, 1), torch.cat(all_preds, 1))
    if clip_border:
        bounds = boxes.new_tensor([[m["img_shape"][1], m["img_shape"][0]] for m in batch_img_metas])
        boxes = torch.min(boxes.clamp(min=0), bounds.repeat(1, 2)[:, None, :])
    if rescale:
        factors = boxes.new_tensor([_scale_factor(m) for m in batch_img_metas])
        boxes = boxes / factors.repeat(1, 2)[:, None, :]
    if score_factors is not None:
        scores = scores * torch.cat(all_factors, 1)
    min_size = cfg.get("min_bbox_size", -1)
    if min_size >= 0:
        wh = boxes[..., 2:] - boxes[..., :2]
        valid &= (wh > min_size).all(-1)
    return _nms_per_image(boxes, scores, labels, valid, cfg, probs.size(-1))


def _scale_factor(meta: dict) -> tuple[float, float]:
    factor = meta.get("scale_factor", (1.0, 1.0))
    return float(factor[0]), float(factor[1])


def _nms_per_image(
    boxes: Tensor, scores: Tensor, labels: Tensor, valid: Tensor, cfg: dict, num_classes: int
) -> list[InstanceData]:
    """One NMS call for all (image, class) groups; (B, K, 4), (B, K), (B, K), (B, K) inputs."""
    num_imgs = boxes.size(0)
    img_ids = torch.arange(num_imgs, device=boxes.device)[:, None].expand_as(labels)
    boxes, scores, labels, img_ids = boxes[valid], scores[valid], labels[valid], img_ids[valid]
    if "nms" in cfg:
        dets, keep = batched_nms(boxes, scores, img_ids * num_classes + labels, cfg["nms"])
    else:
        order = scores.argsort(descending=True)
        dets, keep = torch.cat([boxes[order], scores[order, None]], -1), order
    kept_imgs, kept_labels = img_ids[keep], labels[keep]
    max_per_img = cfg.get("max_per_img", -1)
    results = []
    for i in range(num_imgs):
        mine = kept_imgs == i
        det, lab = dets[mine], kept_labels[mine]
        if max_per_img > 0:
            det, lab = det[:max_per_img], lab[:max_per_img]
        results.append(InstanceData(bboxes=det[:, :4], scores=det[:, 4], labels=lab))
    return results
