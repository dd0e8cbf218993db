"""Cross-entropy losses with mmdet 3.x semantics: softmax (``cross_entropy``), sigmoid
(``binary_cross_entropy``) and per-RoI mask (``mask_cross_entropy``) criteria."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...registry import MODELS
from .utils import Reduction, check_reduction, weight_reduce_loss

__all__ = ["CrossEntropyLoss", "binary_cross_entropy", "cross_entropy", "mask_cross_entropy"]


def cross_entropy(
    pred: Tensor,
    label: Tensor,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
    avg_factor: float | None = None,
    class_weight: Tensor | None = None,
    ignore_index: int | None = -100,
    avg_non_ignore: bool = False,
) -> Tensor:
    """Softmax cross entropy.

    Args:
        pred: (N, C) or (N, C, d1, ...) logits.
        label: (N,) or (N, d1, ...) class indices.
        weight: Per-element weight, shaped like ``label``.
        class_weight: (C,) per-class weight (scales each element's loss; the mean stays over
            elements, as in mmdet).
        ignore_index: Label ignored (loss 0).
        avg_non_ignore: With ``'mean'``, average over the non-ignored elements only.
    """
    ignore_index = -100 if ignore_index is None else ignore_index
    loss = F.cross_entropy(
        pred, label, weight=class_weight, reduction="none", ignore_index=ignore_index
    )
    if avg_factor is None and avg_non_ignore and reduction == "mean":
        avg_factor = label.numel() - (label == ignore_index).sum().item()
    if weight is not None:
        weight = weight.float()
    return weight_reduce_loss(loss, weight, reduction, avg_factor)


def binary_cross_entropy(
    pred: Tensor,
    label: Tensor,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
    avg_factor: float | None = None,
    class_weight: Tensor | None = None,
    ignore_index: int | None = -100,
    avg_non_ignore: bool = False,
) -> Tensor:
    """Sigmoid (binary) cross entropy.

    Args:
        pred: (N, C) logits, or any shape equal to ``label``'s.
        label: (N,) class indices (``C`` or more means background: all-zero target) or a
            0/1 target shaped like ``pred``.
        weight: (N,) per-sample or ``pred``-shaped weight.
        class_weight: (C,) ``pos_weight`` of the positive terms.
    """
    ignore_index = -100 if ignore_index is None else ignore_index
    if pred.dim() != label.dim():
        num_classes = pred.size(-1)
        valid = (label >= 0) & (label != ignore_index)
        index = torch.where(valid & (label < num_classes), label, num_classes).long()
        target = F.one_hot(index, num_classes + 1)[..., :num_classes]
        valid_mask = valid.unsqueeze(-1).expand_as(target).float()
        weight = valid_mask if weight is None else weight.reshape(-1, 1).float() * valid_mask
    else:
        target = label
        valid_mask = ((label >= 0) & (label != ignore_index)).float()
        weight = valid_mask if weight is None else weight * valid_mask
    if avg_factor is None and avg_non_ignore and reduction == "mean":
        avg_factor = valid_mask.sum().item()
    loss = F.binary_cross_entropy_with_logits(
        pred, target.type_as(pred), pos_weight=class_weight, reduction="none"
    )
    return weight_reduce_loss(loss, weight.float(), reduction, avg_factor)


def mask_cross_entropy(
    pred: Tensor,
    target: Tensor,
    label: Tensor,
    reduction: Reduction = "mean",
    avg_factor: float | None = None,
    class_weight: Tensor | None = None,
    ignore_index: int | None = None,
    **unused: object,
) -> Tensor:
    """Binary cross entropy of each RoI's mask for its own class (Mask R-CNN).

    Args:
        pred: (R, C, H, W) mask logits.
        target: (R, H, W) binary masks.
        label: (R,) class of each RoI.

    Returns:
        A (1,) tensor: the mean over RoIs and pixels (``reduction`` and ``avg_factor`` must be
        'mean' / None, as in mmdet).
    """
    if ignore_index is not None:
        raise ValueError("mask_cross_entropy does not support ignore_index")
    if reduction != "mean" or avg_factor is not None:
        raise ValueError("mask_cross_entropy supports only reduction='mean' without avg_factor")
    pred_slice = pred[torch.arange(pred.size(0), device=pred.device), label]
    return F.binary_cross_entropy_with_logits(pred_slice, target.float(), weight=class_weight)[None]


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Cross-entropy loss (softmax by default; ``use_sigmoid`` / ``use_mask`` variants).

    Args:
        use_sigmoid: Per-class sigmoid (binary) cross entropy.
        use_mask: Per-RoI mask cross entropy (``forward(pred, target, label)``).
        reduction: 'none', 'mean' or 'sum'.
        class_weight: Per-class weights (list of C floats).
        ignore_index: Label to ignore (``None``: -100).
        loss_weight: Factor applied to the loss.
        avg_non_ignore: Average over non-ignored elements only.
        loss_name: Name under which segmentation heads report the loss.
    """

    def __init__(
        self,
        use_sigmoid: bool = False,
        use_mask: bool = False,
        reduction: Reduction = "mean",
        class_weight: list[float] | None = None,
        ignore_index: int | None = None,
        loss_weight: float = 1.0,
        avg_non_ignore: bool = False,
        loss_name: str = "loss_ce",
    ) -> None:
        super().__init__()
        if use_sigmoid and use_mask:
            raise ValueError("CrossEntropyLoss: use_sigmoid and use_mask cannot both be True")
        check_reduction(reduction)
        self.use_sigmoid = use_sigmoid
        self.use_mask = use_mask
        self.reduction = reduction
        self.class_weight = class_weight
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self.avg_non_ignore = avg_non_ignore
        self._loss_name = loss_name
        if use_sigmoid:
            self.cls_criterion = binary_cross_entropy
        elif use_mask:
            self.cls_criterion = mask_cross_entropy
        else:
            self.cls_criterion = cross_entropy

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def extra_repr(self) -> str:
        return (
            f"use_sigmoid={self.use_sigmoid}, use_mask={self.use_mask}, "
            f"avg_non_ignore={self.avg_non_ignore}"
        )

    def forward(
        self,
        cls_score: Tensor,
        label: Tensor,
        weight: Tensor | None = None,
        avg_factor: float | None = None,
        reduction_override: Reduction | None = None,
        ignore_index: int | None = None,
    ) -> Tensor:
        """Args: cls_score (N, C[, ...]) logits; label (N[, ...]) indices. With ``use_mask``:
        cls_score (R, C, H, W), label the (R, H, W) mask target and the third argument the (R,)
        RoI classes, as mmdet's mask heads call it."""
        check_reduction(reduction_override, allow_none=True)
        reduction = reduction_override or self.reduction
        ignore_index = self.ignore_index if ignore_index is None else ignore_index
        class_weight = (
            None if self.class_weight is None else cls_score.new_tensor(self.class_weight)
        )
        if self.use_mask:
            if weight is None:
                raise ValueError("CrossEntropyLoss(use_mask=True) needs the (R,) RoI classes")
            return self.loss_weight * mask_cross_entropy(
                cls_score,
                label,
                weight.long(),
                reduction=reduction,
                avg_factor=avg_factor,
                class_weight=class_weight,
                ignore_index=ignore_index,
            )
        return self.loss_weight * self.cls_criterion(
            cls_score,
            label,
            weight,
            reduction=reduction,
            avg_factor=avg_factor,
            class_weight=class_weight,
            ignore_index=ignore_index,
            avg_non_ignore=self.avg_non_ignore,
        )
