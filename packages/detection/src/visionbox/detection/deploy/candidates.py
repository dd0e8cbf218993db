"""Dense heads' detection candidates with static shapes, for exported graphs.

Shape shorthand: B images; L levels; N_l = H_l * W_l * A priors of level l; C classes; M
candidates of an image (every prior, or the ``nms_pre`` best (prior, class) pairs per level).

A candidate function ``fn(head, feats, img_shape) -> (boxes, scores)`` gives (B, M, 4) boxes
in the input image and (B, C, M) scores that are 0 where a (candidate, class) pair is no
candidate (below ``score_thr``, too small, another class). What follows is the same for every
head: class-wise NMS and the ``max_per_img`` best (:mod:`visionbox.core.deploy.nms`).

The functions follow the heads' own ``predict_by_feat`` step by step (its score threshold, top-k,
decoding, clipping, score factors and size filter), so the survivors are the same; a later head
adds its function with :func:`register_candidates`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..models.dense_heads import AnchorHead, RPNHead, YOLOXHead
from ..models.dense_heads.anchor_free_head import AnchorFreeHead
from ..models.dense_heads.rtmdet_head import RTMDetHead, distance2bbox

__all__ = [
    "register_candidates",
    "candidates_of",
    "dense_candidates",
    "head_outputs_candidates",
    "yolox_candidates",
    "rtmdet_candidates",
    "rpn_candidates",
    "clip_boxes",
    "one_hot_scores",
    "level_topk",
]

CandidateFn = Callable[[nn.Module, tuple[Tensor, ...], tuple[int, int]], tuple[Tensor, Tensor]]
_CANDIDATES: dict[type, CandidateFn] = {}


def register_candidates(*head_types: type) -> Callable[[CandidateFn], CandidateFn]:
    """Decorator registering a candidate function for heads of ``head_types`` (and subclasses)."""

    def wrap(fn: CandidateFn) -> CandidateFn:
        for head_type in head_types:
            _CANDIDATES[head_type] = fn
        return fn

    return wrap


def candidates_of(head: nn.Module) -> CandidateFn:
    """The candidate function of ``head``'s class (the nearest registered base class)."""
    for cls in type(head).__mro__:
        if cls in _CANDIDATES:
            return _CANDIDATES[cls]
    known = ", ".join(sorted(c.__name__ for c in _CANDIDATES))
    raise NotImplementedError(
        f"no end-to-end export for {type(head).__name__}; heads with one: {known}"
    )


def clip_boxes(boxes: Tensor, img_shape: tuple[int, int]) -> Tensor:
    """(..., 4) boxes clipped to ``img_shape`` (h, w)."""
    h, w = img_shape
    bound = boxes.new_tensor([w, h, w, h])
    return torch.min(boxes.clamp(min=0), bound)


def one_hot_scores(scores: Tensor, labels: Tensor, num_classes: int) -> Tensor:
    """(B, M) scores of (B, M) labels -> (B, C, M), zero off the label."""
    classes = torch.arange(num_classes, device=labels.device)
    hot = (labels[:, None, :] == classes[None, :, None]).to(scores.dtype)
    return hot * scores[:, None, :]


def level_topk(probs: Tensor, nms_pre: int) -> tuple[Tensor, Tensor]:
    """The ``nms_pre`` best of (B, P) scores (all of them when ``nms_pre`` <= 0 or >= P)."""
    count = probs.size(1)
    k = nms_pre if 0 < nms_pre < count else count
    return probs.topk(k, dim=1)


@register_candidates(AnchorHead, AnchorFreeHead)
def dense_candidates(
    head: nn.Module,
    feats: tuple[Tensor, ...],
    img_shape: tuple[int, int],
    decode: Callable[[Tensor, Tensor], Tensor] | None = None,
    use_sigmoid: bool | None = None,
) -> tuple[Tensor, Tensor]:
    """RetinaNet, FCOS, RTMDet and other heads post-processed by ``dense_predict``: per level the
    ``nms_pre`` best (prior, class) pairs above ``score_thr``, decoded and clipped, scores times
    the sigmoid score factors (FCOS centerness), boxes not above ``min_bbox_size`` dropped.

    Args:
        decode: ``decode(priors (M, P), preds (M, 4))`` (default: the head's ``bbox_coder``).
        use_sigmoid: Sigmoid class scores (default: the head's ``use_sigmoid_cls``).
    """
    outs = head(feats)
    factors = outs[2] if len(outs) > 2 else None
    boxes, scores, _ = head_outputs_candidates(
        head, outs[0], outs[1], img_shape, factors, decode, use_sigmoid
    )
    return boxes, scores


def head_outputs_candidates(
    head: nn.Module,
    cls_scores: tuple[Tensor, ...],
    bbox_preds: tuple[Tensor, ...],
    img_shape: tuple[int, int],
    factors: tuple[Tensor, ...] | None = None,
    decode: Callable[[Tensor, Tensor], Tensor] | None = None,
    use_sigmoid: bool | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """The candidates of :func:`dense_candidates` from the head's outputs.

    Args:
        cls_scores: L (B, A * C', H_l, W_l) class logits.
        bbox_preds: L (B, A * 4, H_l, W_l) box predictions.
        factors: L (B, A, H_l, W_l) score-factor logits, or None.

    Returns:
        ``(boxes, scores, prior_inds)``: (B, M, 4), (B, C, M) and (B, M) int64, the index of
        each candidate's prior among all levels' priors (as ``grid_priors`` concatenated).
    """
    decode = decode or head.bbox_coder.decode
    use_sigmoid = head.use_sigmoid_cls if use_sigmoid is None else use_sigmoid
    cfg = head.test_cfg or {}
    nms_pre, score_thr = cfg.get("nms_pre", -1), cfg.get("score_thr", 0.0)
    sizes = [tuple(s.shape[-2:]) for s in cls_scores]
    priors = head.prior_generator.grid_priors(
        sizes, dtype=bbox_preds[0].dtype, device=bbox_preds[0].device
    )
    num_imgs = cls_scores[0].size(0)
    parts: dict[str, list[Tensor]] = dict(boxes=[], scores=[], labels=[], valid=[], inds=[])
    offset = 0
    for level, (cls_score, bbox_pred) in enumerate(zip(cls_scores, bbox_preds)):
        per_location = bbox_pred.size(1) // 4
        channels = cls_score.size(1) // per_location
        logits = cls_score.permute(0, 2, 3, 1).reshape(num_imgs, -1, channels)
        if use_sigmoid:
            probs = logits.sigmoid()
        else:
            probs = logits.softmax(-1)[..., :-1]
        num_classes = probs.size(-1)
        scores, inds = level_topk(probs.reshape(num_imgs, -1), nms_pre)
        prior_inds, labels = inds // num_classes, inds % num_classes
        pred = bbox_pred.permute(0, 2, 3, 1).reshape(num_imgs, -1, 4)
        pred = pred.gather(1, prior_inds[..., None].expand(-1, -1, 4))
        level_priors = priors[level][prior_inds]  # (B, k, P)
        boxes = decode(level_priors.reshape(-1, level_priors.size(-1)), pred.reshape(-1, 4))
        boxes = boxes.reshape(num_imgs, -1, 4)
        valid = scores > score_thr
        if factors is not None:
            factor = factors[level].permute(0, 2, 3, 1).reshape(num_imgs, -1)
            scores = scores * factor.gather(1, prior_inds).sigmoid()
        for key, value in zip(parts, (boxes, scores, labels, valid, prior_inds + offset)):
            parts[key].append(value)
        offset += priors[level].size(0)
    boxes, scores, labels, valid, inds = (torch.cat(parts[k], 1) for k in parts)
    if getattr(head.bbox_coder, "clip_border", True):
        boxes = clip_boxes(boxes, img_shape)
    min_size = cfg.get("min_bbox_size", -1)
    if min_size >= 0:
        valid = valid & ((boxes[..., 2:] - boxes[..., :2]) > min_size).all(-1)
    scores = torch.where(valid, scores, torch.zeros_like(scores))
    return boxes, one_hot_scores(scores, labels, num_classes), inds


@register_candidates(RTMDetHead)
def rtmdet_candidates(
    head: nn.Module, feats: tuple[Tensor, ...], img_shape: tuple[int, int]
) -> tuple[Tensor, Tensor]:
    """RTMDet: :func:`dense_candidates` with distances from the points (already in pixels) and
    sigmoid scores, as ``RTMDetHead.predict_by_feat``."""
    return dense_candidates(head, feats, img_shape, decode=distance2bbox, use_sigmoid=True)


@register_candidates(YOLOXHead)
def yolox_candidates(
    head: nn.Module, feats: tuple[Tensor, ...], img_shape: tuple[int, int]
) -> tuple[Tensor, Tensor]:
    """YOLOX: every prior with its best class, score = class probability * objectness, kept when
    at least ``score_thr``; boxes are not clipped (as ``YOLOXHead.predict_by_feat``)."""
    cls, box, obj, priors = head._flatten(*head(feats))
    boxes = head._bbox_decode(priors, box)
    best, labels = cls.sigmoid().max(-1)
    scores = best * obj.sigmoid()
    scores = torch.where(scores >= head.test_cfg["score_thr"], scores, torch.zeros_like(scores))
    return boxes, one_hot_scores(scores, labels, head.num_classes)


def rpn_candidates(
    head: RPNHead, feats: tuple[Tensor, ...], img_shape: tuple[int, int]
) -> tuple[Tensor, Tensor]:
    """RPN proposals' candidates: per level the ``nms_pre`` best anchors by objectness, decoded,
    clipped, those not above ``min_bbox_size`` dropped; NMS groups are the levels.

    Returns:
        (B, M, 4) boxes and (B, L, M) objectness scores, zero off the candidate's level.
    """
    cls_scores, bbox_preds = head(feats)
    cfg = head.test_cfg or {}
    num_imgs = cls_scores[0].size(0)
    sizes = [tuple(s.shape[-2:]) for s in cls_scores]
    priors = head.prior_generator.grid_priors(
        sizes, dtype=cls_scores[0].dtype, device=cls_scores[0].device
    )
    parts: dict[str, list[Tensor]] = dict(scores=[], preds=[], priors=[], levels=[])
    for level, (score, pred) in enumerate(zip(cls_scores, bbox_preds)):
        score = score.permute(0, 2, 3, 1).reshape(num_imgs, -1, head.cls_out_channels)
        score = score.sigmoid()[..., 0] if head.use_sigmoid_cls else score.softmax(-1)[..., 0]
        score, inds = level_topk(score, cfg.get("nms_pre", -1))
        pred = pred.permute(0, 2, 3, 1).reshape(num_imgs, -1, 4)
        parts["scores"].append(score)
        parts["preds"].append(pred.gather(1, inds[..., None].expand(-1, -1, 4)))
        parts["priors"].append(priors[level][inds])
        parts["levels"].append(torch.full_like(inds, level))
    scores, preds, anchors, levels = (torch.cat(parts[k], 1) for k in parts)
    boxes = clip_boxes(head.bbox_coder.decode(anchors, preds), img_shape)
    min_size = cfg.get("min_bbox_size", -1)
    if min_size >= 0:
        big = ((boxes[..., 2:] - boxes[..., :2]) > min_size).all(-1)
        scores = torch.where(big, scores, torch.zeros_like(scores))
    return boxes, one_hot_scores(scores, levels, len(cls_scores))
