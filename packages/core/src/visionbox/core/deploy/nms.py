"""Class-wise NMS with fixed output shapes, for exported graphs.

Shape shorthand: B images (or image-class pairs); C classes (or groups: pyramid levels, image
classes); N candidate boxes of an image; K detections kept per image.

:func:`nms_mask` returns which (image, class, box) triples survive, as a (B, C, N) mask, so every
shape after it is static. It runs

- in eager PyTorch and ``torch.export`` on ``torchvision.ops.nms`` (one call for all groups, the
  groups moved apart by coordinate offsets, as ``torchvision.ops.batched_nms`` does);
- in ONNX as the standard ``NonMaxSuppression`` operator (through the TorchScript exporter,
  ``torch.onnx.export(..., dynamo=False)``: an ``autograd.Function`` with a ``symbolic``) followed
  by a ``ScatterND`` into the mask.

:func:`topk_detections` then keeps the ``K`` best survivors per image; rows past the last
survivor are padding: score 0, box 0 and label -1.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torchvision.ops import nms as tv_nms

__all__ = ["nms_mask", "topk_detections"]


def _nms_mask_torch(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """:func:`nms_mask` on ``torchvision.ops.nms``; traceable by ``torch.export``."""
    num_imgs, num_classes, num_boxes = scores.shape
    flat = scores.reshape(-1)
    cand = torch.nonzero(flat > 0).squeeze(1)  # (M,) flat (image, class, box) indices
    group = cand // num_boxes  # image * C + class
    img = cand // (num_classes * num_boxes)
    cand_boxes = boxes[img, cand % num_boxes].float()
    span = boxes.max().float().clamp(min=0) + 1
    cand_boxes = cand_boxes + (group.to(cand_boxes.dtype) * span)[:, None]
    # torchvision's fake kernel of nms declares at least two survivors (torch.export turns that
    # into a runtime assertion), so two isolated boxes of the lowest score are appended: they
    # overlap nothing, suppress nothing, always survive, and are dropped after.
    total_groups = num_imgs * num_classes
    sentinel = torch.arange(2, device=boxes.device, dtype=cand_boxes.dtype) + total_groups
    sentinel_boxes = sentinel[:, None] * span + cand_boxes.new_tensor([0.0, 0.0, 1.0, 1.0])
    all_boxes = torch.cat([cand_boxes, sentinel_boxes])
    all_scores = torch.cat([flat[cand].float(), flat.new_full((2,), -1.0).float()])
    keep = tv_nms(all_boxes, all_scores, iou_threshold)
    # Kept indices past the real candidates (the sentinels) go to a spare last slot.
    targets = torch.cat([cand, cand.new_full((2,), flat.numel())])[keep]
    mask = torch.zeros(flat.numel() + 1, dtype=torch.bool, device=scores.device)
    mask = mask.index_put((targets,), torch.ones_like(targets, dtype=torch.bool))
    return mask[:-1].reshape(num_imgs, num_classes, num_boxes)


class _ONNXNMSMask(torch.autograd.Function):
    """:func:`nms_mask` as ONNX ``NonMaxSuppression`` + ``ScatterND`` when exported."""

    @staticmethod
    def forward(ctx, boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
        return _nms_mask_torch(boxes, scores, iou_threshold)

    @staticmethod
    def symbolic(g, boxes, scores, iou_threshold: float):
        max_out = g.op("Constant", value_t=torch.tensor([2**31 - 1], dtype=torch.long))
        iou = g.op("Constant", value_t=torch.tensor([iou_threshold], dtype=torch.float))
        score = g.op("Constant", value_t=torch.tensor([0.0], dtype=torch.float))
        boxes = g.op("Cast", boxes, to_i=1)  # FLOAT
        scores_f = g.op("Cast", scores, to_i=1)
        selected = g.op("NonMaxSuppression", boxes, scores_f, max_out, iou, score)  # (M, 3)
        zeros = g.op("ConstantOfShape", g.op("Shape", scores), value_t=torch.tensor([False]))
        count = g.op(
            "Slice",
            g.op("Shape", selected),
            g.op("Constant", value_t=torch.tensor([0])),
            g.op("Constant", value_t=torch.tensor([1])),
        )
        ones = g.op("Expand", g.op("Constant", value_t=torch.tensor(True)), count)
        return g.op("ScatterND", zeros, selected, ones)


def nms_mask(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Which boxes survive NMS within each (image, class) group.

    Candidates are the triples with a score above 0: set the score of a candidate that fails a
    score threshold (or any other filter) to 0 before the call.

    Args:
        boxes: (B, N, 4) x1y1x2y2 boxes shared by the C classes of an image, or (B, C, N, 4)
            one box per class.
        scores: (B, C, N), 0 for boxes that are no candidates of a class.
        iou_threshold: A box is suppressed by a higher-scoring box of its group whose IoU with it
            is above this.

    Returns:
        (B, C, N) bool, True where the (image, class, box) triple is kept.
    """
    if boxes.dim() not in (3, 4) or boxes.size(-1) != 4 or scores.dim() != 3:
        raise ValueError(
            "nms_mask takes boxes (B, N, 4) or (B, C, N, 4) and scores (B, C, N); got "
            f"{tuple(boxes.shape)} and {tuple(scores.shape)}"
        )
    if boxes.dim() == 4:  # one box per class: every (image, class) pair is its own image
        shape = scores.shape
        flat_boxes = boxes.reshape(-1, shape[2], 4)
        return nms_mask(flat_boxes, scores.reshape(-1, 1, shape[2]), iou_threshold).reshape(shape)
    if torch.onnx.is_in_onnx_export():
        return _ONNXNMSMask.apply(boxes, scores, float(iou_threshold))
    return _nms_mask_torch(boxes, scores, float(iou_threshold))


def topk_detections(
    boxes: Tensor, scores: Tensor, keep: Tensor, k: int
) -> tuple[Tensor, Tensor, Tensor]:
    """The ``k`` best kept (box, class) pairs of every image, padded to ``k``.

    Args:
        boxes: (B, N, 4) shared by the classes, or (B, C, N, 4) one box per class.
        scores: (B, C, N).
        keep: (B, C, N) bool, e.g. from :func:`nms_mask`.
        k: Detections per image (the config's ``max_per_img``).

    Returns:
        ``(dets, labels, index)``: (B, k, 5) ``[x1, y1, x2, y2, score]`` by decreasing score,
        (B, k) int64 labels and (B, k) flat ``class * N + box`` indices of the rows. Padding rows
        (fewer than ``k`` survivors) have score 0, box 0, label -1 and index 0.
    """
    num_imgs, num_classes, num_boxes = scores.shape
    flat = torch.where(keep, scores, torch.zeros_like(scores)).reshape(num_imgs, -1)
    if flat.size(1) < k:  # fewer pairs than rows: pad with zero scores
        flat = torch.cat([flat, flat.new_zeros((num_imgs, k - flat.size(1)))], 1)
    top_scores, index = flat.topk(k, dim=1)
    valid = top_scores > 0
    index = torch.where(valid, index, torch.zeros_like(index))
    labels = torch.where(valid, index // num_boxes, torch.full_like(index, -1))
    if boxes.dim() == 4:
        flat_boxes = boxes.reshape(num_imgs, num_classes * num_boxes, 4)
        picked = flat_boxes.gather(1, index[..., None].expand(-1, -1, 4))
    else:
        picked = boxes.gather(1, (index % num_boxes)[..., None].expand(-1, -1, 4))
    picked = picked * valid[..., None].to(picked.dtype)
    dets = torch.cat([picked, top_scores[..., None]], -1)
    return dets, labels, index
