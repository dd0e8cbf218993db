"""Target computation and losses shared by anchor-based dense heads (RPN, RetinaNet, ...).

Shape shorthand: B images; L levels; A_l = H_l * W_l * A anchors of level l (A per location);
T = sum of A_l; C classification channels per anchor (``cls_out_channels``).

Heads keep their own layers and call these functions with their injected task utilities
(prior generator, assigner, sampler, coder), so a new anchor head needs no base class:

* :func:`flatten_level_outputs` turns L maps (B, A * K, H_l, W_l) into one (B, T, K) tensor;
* :func:`anchor_targets` assigns and samples every image's T anchors;
* :func:`anchor_losses` computes the classification and box losses over the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from mmengine.structures import InstanceData
from torch import Tensor, nn

__all__ = [
    "AnchorTargets",
    "anchor_inside_flags",
    "anchor_losses",
    "anchor_targets",
    "flatten_level_outputs",
]


@dataclass
class AnchorTargets:
    """Targets of B images over T anchors.

    Attributes:
        labels: (B, T) class per anchor; ``num_classes`` is background.
        label_weights: (B, T) 1 for sampled anchors, 0 elsewhere.
        bbox_targets: (B, T, 4) encoded (or, with ``reg_decoded_bbox``, absolute) targets.
        bbox_weights: (B, T, 4) 1 for positives.
        avg_factor: Normaliser of the losses (sum of the samplers' ``avg_factor``).
        sampling_results: One :class:`SamplingResult` per image.
    """

    labels: Tensor
    label_weights: Tensor
    bbox_targets: Tensor
    bbox_weights: Tensor
    avg_factor: float
    sampling_results: list


def flatten_level_outputs(outputs: Sequence[Tensor], channels: int) -> Tensor:
    """L maps (B, A * channels, H_l, W_l) -> (B, T, channels), anchors location-major."""
    batch = outputs[0].size(0)
    return torch.cat(
        [out.permute(0, 2, 3, 1).reshape(batch, -1, channels) for out in outputs], dim=1
    )


def anchor_inside_flags(
    anchors: Tensor, valid_flags: Tensor, img_shape: Sequence[int], allowed_border: float = 0
) -> Tensor:
    """(T,) bool: valid anchors lying inside the image expanded by ``allowed_border`` (< 0: off)."""
    if allowed_border < 0:
        return valid_flags
    h, w = img_shape[:2]
    return (
        valid_flags
        & (anchors[:, 0] >= -allowed_border)
        & (anchors[:, 1] >= -allowed_border)
        & (anchors[:, 2] < w + allowed_border)
        & (anchors[:, 3] < h + allowed_border)
    )


def anchor_targets(
    anchors: Tensor,
    valid_flags: Tensor,
    batch_gt_instances: Sequence[InstanceData],
    batch_img_metas: Sequence[dict],
    assigner,
    sampler,
    bbox_coder,
    num_classes: int,
    batch_gt_instances_ignore: Sequence[InstanceData | None] | None = None,
    pos_weight: float = -1,
    allowed_border: float = -1,
    reg_decoded_bbox: bool = False,
) -> AnchorTargets:
    """Assign, sample and encode the targets of every image.

    Args:
        anchors: (T, 4) anchors of all levels (the same for every image of the batch).
        valid_flags: (B, T) anchors inside each image's own area.
        batch_gt_instances: B ground truths with ``bboxes`` (G, 4) and ``labels`` (G,).
        batch_img_metas: B metainfo dicts with ``img_shape``.
        assigner: An assigner (``assign(pred, gt, gt_ignore)``).
        sampler: A sampler (``sample(assign_result, pred, gt)``).
        bbox_coder: A coder (``encode(priors, gt)``).
        num_classes: Label of the background (and the number of foreground classes).
        batch_gt_instances_ignore: B ignored boxes (or ``None``).
        pos_weight: Weight of positives (<= 0: 1).
        allowed_border: See :func:`anchor_inside_flags`.
        reg_decoded_bbox: Regress absolute boxes (IoU losses) instead of deltas.
    """
    num_imgs, num_anchors = valid_flags.shape
    device = anchors.device
    labels = anchors.new_full((num_imgs, num_anchors), num_classes, dtype=torch.long)
    label_weights = anchors.new_zeros((num_imgs, num_anchors))
    bbox_targets = anchors.new_zeros((num_imgs, num_anchors, 4))
    bbox_weights = anchors.new_zeros((num_imgs, num_anchors, 4))
    ignores = batch_gt_instances_ignore or [None] * num_imgs
    results = []
    avg_factor = 0.0
    # One assignment per image (each image has its own ground truth); all vectorised over anchors.
    for i in range(num_imgs):
        inside = anchor_inside_flags(
            anchors, valid_flags[i], batch_img_metas[i]["img_shape"], allowed_border
        )
        inside_inds = torch.nonzero(inside).flatten()
        pred = InstanceData(priors=anchors[inside_inds])
        assign_result = assigner.assign(pred, batch_gt_instances[i], ignores[i])
        sampling = sampler.sample(assign_result, pred, batch_gt_instances[i])
        results.append(sampling)
        avg_factor += sampling.avg_factor
        pos = inside_inds[sampling.pos_inds]
        neg = inside_inds[sampling.neg_inds]
        if pos.numel() > 0:
            if reg_decoded_bbox:
                targets = sampling.pos_gt_bboxes
            else:
                targets = bbox_coder.encode(sampling.pos_priors, sampling.pos_gt_bboxes)
            bbox_targets[i, pos] = targets.to(bbox_targets.dtype)
            bbox_weights[i, pos] = 1.0
            labels[i, pos] = sampling.pos_gt_labels.to(device)
            label_weights[i, pos] = 1.0 if pos_weight <= 0 else pos_weight
        if neg.numel() > 0:
            label_weights[i, neg] = 1.0
    return AnchorTargets(labels, label_weights, bbox_targets, bbox_weights, avg_factor, results)


def anchor_losses(
    cls_scores: Tensor,
    bbox_preds: Tensor,
    anchors: Tensor,
    targets: AnchorTargets,
    loss_cls: nn.Module,
    loss_bbox: nn.Module,
    bbox_coder,
    reg_decoded_bbox: bool = False,
) -> tuple[Tensor, Tensor]:
    """Classification and box losses of the whole batch.

    Args:
        cls_scores: (B, T, C) logits.
        bbox_preds: (B, T, 4) deltas.
        anchors: (T, 4).
        targets: From :func:`anchor_targets`.
        loss_cls / loss_bbox: The head's losses.
        bbox_coder: Decodes ``bbox_preds`` when ``reg_decoded_bbox``.

    Returns:
        ``(loss_cls, loss_bbox)``: scalars; the box loss is 0 (and connected to the graph) when no
        anchor is positive.
    """
    num_channels = cls_scores.size(-1)
    loss_c = loss_cls(
        cls_scores.reshape(-1, num_channels),
        targets.labels.reshape(-1),
        targets.label_weights.reshape(-1),
        avg_factor=targets.avg_factor,
    )
    preds = bbox_preds.reshape(-1, 4)
    if reg_decoded_bbox:
        preds = bbox_coder.decode(anchors.expand(bbox_preds.size(0), -1, -1).reshape(-1, 4), preds)
    loss_b = loss_bbox(
        preds,
        targets.bbox_targets.reshape(-1, 4),
        targets.bbox_weights.reshape(-1, 4),
        avg_factor=targets.avg_factor,
    )
    return loss_c, loss_b
