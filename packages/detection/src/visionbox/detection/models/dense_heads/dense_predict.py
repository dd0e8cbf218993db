"""Post-processing shared by dense heads (RetinaNet, FCOS): per-level top-k, decoding, rescaling,
size filter and class-wise NMS, for the whole batch at once.

Shape shorthand: B images; L levels; N_l = H_l * W_l * A priors of level l (A per location);
C classes; M candidate (image, prior, class) triples of all images, at most nms_pre per
level and image.

mmdet 3.x does the same steps one image and one level at a time (``filter_scores_and_topk``,
``_bbox_post_process``); the result is the same set of detections:

1. per level and image, class scores (sigmoid, or softmax without the background column) above
   ``score_thr``, of which the ``nms_pre`` best (prior, class) pairs;
2. their boxes decoded from the priors, clipped to the image;
3. boxes divided by ``scale_factor`` when ``rescale``; scores multiplied by the score factors
   (FCOS centerness) when given; boxes not wider and taller than ``min_bbox_size`` dropped;
4. one ``batched_nms`` over every (image, class) group, then the ``max_per_img`` best per image.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from ..layers import batched_nms

__all__ = ["dense_predict"]


def _level_candidates(
    logits: Tensor, nms_pre: int, score_thr: float, use_sigmoid: bool, exact_ties: bool = True
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The (prior, class) pairs of one level scoring above ``score_thr``, at most ``nms_pre``
    per image (the best ones).

    The threshold is applied to the logits (``sigmoid(x) > t`` iff ``x > log(t / (1 - t))``), so
    only the survivors go through the sigmoid and the top-k ranks only them. The ranking sorts
    all candidates, which keeps mmdetection's choice among equal scores; ``exact_ties=False``
    (a head's deploy form) takes each image's ``nms_pre`` best with ``topk`` instead, ten times
    faster on a large level, and the same pairs unless scores tie at the cut.

    Args:
        logits: (B, N_l, C') class logits.

    Returns:
        ``(img_inds, prior_inds, labels, scores)``: each (M,), M candidates of all images,
        image by image.
    """
    num_imgs = logits.size(0)
    if use_sigmoid:
        num_classes = logits.size(-1)
        flat = logits.reshape(num_imgs, -1)
        if score_thr <= 0:
            thr = -math.inf
        elif score_thr >= 1:
            thr = math.inf
        else:
            thr = math.log(score_thr / (1 - score_thr))
        img_inds, inds = torch.nonzero(flat > thr, as_tuple=True)
        scores = flat[img_inds, inds].sigmoid()
    else:
        num_classes = logits.size(-1) - 1
        flat = logits.softmax(-1)[..., :-1].reshape(num_imgs, -1)
        img_inds, inds = torch.nonzero(flat > score_thr, as_tuple=True)
        scores = flat[img_inds, inds]
    if 0 < nms_pre < scores.numel():
        counts = torch.bincount(img_inds, minlength=num_imgs)
        if exact_ties:
            # Rank the candidates within their image: by score, then (stably) by image.
            order = scores.argsort(descending=True)
            order = order[img_inds[order].argsort(stable=True)]
            sorted_imgs = img_inds[order]
            starts = counts.cumsum(0) - counts
            rank = torch.arange(order.numel(), device=order.device) - starts[sorted_imgs]
            keep = order[rank < nms_pre]
        else:  # nonzero lists the candidates image by image: one top-k per image's run
            keep = torch.cat(
                [
                    part.topk(min(nms_pre, len(part)))[1] + start
                    for part, start in zip(
                        scores.split(counts.tolist()), (counts.cumsum(0) - counts).tolist()
                    )
                ]
            )
        img_inds, inds, scores = img_inds[keep], inds[keep], scores[keep]
    return img_inds, inds // num_classes, inds % num_classes, scores


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
    exact_ties: bool = True,
) -> list[InstanceData]:
    """Detections of every image from a dense head's per-level outputs.

    Args:
        cls_scores: L maps (B, A * C', H_l, W_l) of logits (C' = C, or C + 1 with softmax).
        bbox_preds: L maps (B, A * 4, H_l, W_l).
        priors: L tensors (N_l, P) of anchors (P = 4) or points (P = 2), location-major.
        decode: ``decode(priors (M, P), preds (M, 4)) -> boxes (M, 4)``.
        batch_img_metas: B dicts with ``img_shape`` (and ``scale_factor`` when ``rescale``).
        cfg: ``nms_pre``, ``score_thr``, ``nms``, ``max_per_img``, ``min_bbox_size``.
        use_sigmoid: Scores are sigmoids (else softmax, last column background).
        score_factors: L maps (B, A, H_l, W_l) of logits multiplied (after a sigmoid) into the
            scores, or ``None``.
        rescale: Boxes in the original image (divided by ``scale_factor``).
        clip_border: Clip boxes to ``img_shape``.
        exact_ties: Rank each level's candidates as mmdetection does, equal scores included;
            ``False`` (the heads' deploy form) ranks them with ``topk`` (see
            :func:`_level_candidates`).

    Returns:
        B ``InstanceData`` with ``bboxes`` (k, 4), ``scores`` (k,) and ``labels`` (k,), by
        decreasing score.
    """
    nms_pre = cfg.get("nms_pre", -1)
    score_thr = cfg.get("score_thr", 0.0)
    num_imgs = cls_scores[0].size(0)
    parts: dict[str, list[Tensor]] = dict(img=[], label=[], score=[], prior=[], pred=[], factor=[])
    num_classes = 0
    for level, (cls_score, bbox_pred) in enumerate(zip(cls_scores, bbox_preds)):
        per_location = bbox_pred.size(1) // 4  # A
        channels = cls_score.size(1) // per_location  # C'
        num_classes = channels if use_sigmoid else channels - 1
        logits = cls_score.permute(0, 2, 3, 1).reshape(num_imgs, -1, channels)
        img_inds, prior_inds, labels, scores = _level_candidates(
            logits, nms_pre, score_thr, use_sigmoid, exact_ties
        )
        pred = bbox_pred.permute(0, 2, 3, 1).reshape(num_imgs, -1, 4)
        parts["pred"].append(pred[img_inds, prior_inds])
        parts["prior"].append(priors[level][prior_inds])
        if score_factors is not None:
            factor = score_factors[level].permute(0, 2, 3, 1).reshape(num_imgs, -1)
            parts["factor"].append(factor[img_inds, prior_inds].sigmoid())
        parts["img"].append(img_inds)
        parts["label"].append(labels)
        parts["score"].append(scores)
    img_inds, labels, scores = (torch.cat(parts[k]) for k in ("img", "label", "score"))
    preds = torch.cat(parts["pred"])
    boxes = decode(torch.cat(parts["prior"]), preds) if len(preds) else preds.new_zeros((0, 4))
    if clip_border:
        bounds = boxes.new_tensor([[m["img_shape"][1], m["img_shape"][0]] for m in batch_img_metas])
        boxes = torch.min(boxes.clamp(min=0), bounds.repeat(1, 2)[img_inds])
    if rescale:
        factors = boxes.new_tensor([_scale_factor(m) for m in batch_img_metas])
        boxes = boxes / factors.repeat(1, 2)[img_inds]
    if score_factors is not None:
        scores = scores * torch.cat(parts["factor"])
    min_size = cfg.get("min_bbox_size", -1)
    if min_size >= 0:
        wh = boxes[:, 2:] - boxes[:, :2]
        keep = (wh > min_size).all(-1)
        boxes, scores, labels, img_inds = boxes[keep], scores[keep], labels[keep], img_inds[keep]
    return _nms_per_image(boxes, scores, labels, img_inds, cfg, num_classes, num_imgs)


def _scale_factor(meta: dict) -> tuple[float, float]:
    factor = meta.get("scale_factor", (1.0, 1.0))
    return float(factor[0]), float(factor[1])


def _nms_per_image(
    boxes: Tensor,
    scores: Tensor,
    labels: Tensor,
    img_inds: Tensor,
    cfg: dict,
    num_classes: int,
    num_imgs: int,
) -> list[InstanceData]:
    """One NMS call for all (image, class) groups of the (M, 4) boxes and (M,) scores."""
    if "nms" in cfg:
        dets, keep = batched_nms(boxes, scores, img_inds * num_classes + labels, cfg["nms"])
    else:
        keep = scores.argsort(descending=True)
        dets = torch.cat([boxes[keep], scores[keep, None]], -1)
    kept_imgs, kept_labels = img_inds[keep], labels[keep]
    max_per_img = cfg.get("max_per_img", -1)
    results = []
    for i in range(num_imgs):
        mine = kept_imgs == i
        det, lab = dets[mine], kept_labels[mine]
        if max_per_img > 0:
            det, lab = det[:max_per_img], lab[:max_per_img]
        results.append(InstanceData(bboxes=det[:, :4], scores=det[:, 4], labels=lab))
    return results
