"""IoU-family box losses (mmdet 3.x names and arguments): ``IoULoss`` (UnitBox,
https://arxiv.org/abs/1608.01471), ``GIoULoss`` (https://arxiv.org/abs/1902.09630), ``DIoULoss`` and
``CIoULoss`` (https://arxiv.org/abs/1911.08287).

Boxes are (N, 4) in x1y1x2y2, pixels; pairs are aligned (``pred[i]`` with ``target[i]``).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from ...registry import MODELS
from .utils import Reduction, check_reduction, weighted_loss

__all__ = [
    "CIoULoss",
    "DIoULoss",
    "GIoULoss",
    "IoULoss",
    "aligned_bbox_overlaps",
    "ciou_loss",
    "diou_loss",
    "giou_loss",
    "iou_loss",
]


def aligned_bbox_overlaps(
    bboxes1: Tensor, bboxes2: Tensor, mode: Literal["iou", "giou"] = "iou", eps: float = 1e-6
) -> Tensor:
    """IoU or GIoU of aligned pairs: (..., 4), (..., 4) -> (...)."""
    area1 = (bboxes1[..., 2] - bboxes1[..., 0]) * (bboxes1[..., 3] - bboxes1[..., 1])
    area2 = (bboxes2[..., 2] - bboxes2[..., 0]) * (bboxes2[..., 3] - bboxes2[..., 1])
    lt = torch.max(bboxes1[..., :2], bboxes2[..., :2])
    rb = torch.min(bboxes1[..., 2:], bboxes2[..., 2:])
    wh = (rb - lt).clamp(min=0)
    overlap = wh[..., 0] * wh[..., 1]
    union = (area1 + area2 - overlap).clamp(min=eps)
    ious = overlap / union
    if mode == "iou":
        return ious
    enclose_wh = (
        torch.max(bboxes1[..., 2:], bboxes2[..., 2:])
        - torch.min(bboxes1[..., :2], bboxes2[..., :2])
    ).clamp(min=0)
    enclose_area = (enclose_wh[..., 0] * enclose_wh[..., 1]).clamp(min=eps)
    return ious - (enclose_area - union) / enclose_area


@weighted_loss
def iou_loss(
    pred: Tensor, target: Tensor, linear: bool = False, mode: str = "log", eps: float = 1e-6
) -> Tensor:
    """``1 - iou`` (linear), ``1 - iou**2`` (square) or ``-log(iou)`` (log): (N, 4) -> (N,)."""
    if linear:
        mode = "linear"
    ious = aligned_bbox_overlaps(pred, target, eps=eps).clamp(min=eps)
    if mode == "linear":
        return 1 - ious
    if mode == "square":
        return 1 - ious**2
    return -ious.log()


@weighted_loss
def giou_loss(pred: Tensor, target: Tensor, eps: float = 1e-7) -> Tensor:
    """``1 - GIoU``: (N, 4) -> (N,)."""
    return 1 - aligned_bbox_overlaps(pred, target, mode="giou", eps=eps)


def _diou_terms(pred: Tensor, target: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    """IoU and the normalised squared centre distance ``rho**2 / c**2`` of aligned pairs."""
    lt = torch.max(pred[:, :2], target[:, :2])
    rb = torch.min(pred[:, 2:], target[:, 2:])
    wh = (rb - lt).clamp(min=0)
    overlap = wh[:, 0] * wh[:, 1]
    ap = (pred[:, 2] - pred[:, 0]) * (pred[:, 3] - pred[:, 1])
    ag = (target[:, 2] - target[:, 0]) * (target[:, 3] - target[:, 1])
    ious = overlap / (ap + ag - overlap + eps)
    enclose_wh = (
        torch.max(pred[:, 2:], target[:, 2:]) - torch.min(pred[:, :2], target[:, :2])
    ).clamp(min=0)
    c2 = enclose_wh[:, 0] ** 2 + enclose_wh[:, 1] ** 2 + eps
    centre_delta = (target[:, :2] + target[:, 2:]) - (pred[:, :2] + pred[:, 2:])
    rho2 = (centre_delta**2).sum(dim=1) / 4
    return ious, rho2 / c2


@weighted_loss
def diou_loss(pred: Tensor, target: Tensor, eps: float = 1e-7) -> Tensor:
    """``1 - (IoU - rho**2 / c**2)``: (N, 4) -> (N,)."""
    ious, distance = _diou_terms(pred, target, eps)
    return 1 - (ious - distance)


@weighted_loss
def ciou_loss(pred: Tensor, target: Tensor, eps: float = 1e-7) -> Tensor:
    """``1 - (IoU - rho**2 / c**2 - alpha v)`` with the aspect term ``v`` used where IoU > 0.5:
    (N, 4) -> (N,)."""
    ious, distance = _diou_terms(pred, target, eps)
    w1, h1 = pred[:, 2] - pred[:, 0], pred[:, 3] - pred[:, 1] + eps
    w2, h2 = target[:, 2] - target[:, 0], target[:, 3] - target[:, 1] + eps
    v = (4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2
    with torch.no_grad():
        alpha = (ious > 0.5).float() * v / (1 - ious + v)
    return 1 - (ious - (distance + alpha * v)).clamp(min=-1.0, max=1.0)


class _BoxLoss(nn.Module):
    """Shared ``forward`` of the IoU-family losses."""

    def __init__(self, eps: float, reduction: Reduction, loss_weight: float) -> None:
        super().__init__()
        check_reduction(reduction)
        self.eps = eps
        self.reduction = reduction
        self.loss_weight = loss_weight

    def _loss(self, pred: Tensor, target: Tensor, **kwargs: object) -> Tensor:
        raise NotImplementedError

    def forward(
        self,
        pred: Tensor,
        target: Tensor,
        weight: Tensor | None = None,
        avg_factor: float | None = None,
        reduction_override: Reduction | None = None,
    ) -> Tensor:
        """Args: pred, target (N, 4) x1y1x2y2; weight (N,) or (N, 4) (averaged over the 4)."""
        check_reduction(reduction_override, allow_none=True)
        reduction = reduction_override or self.reduction
        if weight is not None and not torch.any(weight > 0) and reduction != "none":
            if pred.dim() == weight.dim() + 1:
                weight = weight.unsqueeze(1)
            return (pred * weight).sum()  # zero, but connected to the graph
        if weight is not None and weight.dim() > 1:
            if weight.shape != pred.shape:
                raise ValueError(
                    f"weight {tuple(weight.shape)} must be (N,) or match pred {tuple(pred.shape)}"
                )
            weight = weight.mean(-1)
        return self.loss_weight * self._loss(
            pred, target, weight=weight, reduction=reduction, avg_factor=avg_factor
        )


@MODELS.register_module()
class IoULoss(_BoxLoss):
    """IoU loss. Args: linear (deprecated: mode='linear'), eps, reduction, loss_weight, mode
    ('linear' | 'square' | 'log')."""

    def __init__(
        self,
        linear: bool = False,
        eps: float = 1e-6,
        reduction: Reduction = "mean",
        loss_weight: float = 1.0,
        mode: Literal["linear", "square", "log"] = "log",
    ) -> None:
        super().__init__(eps, reduction, loss_weight)
        if mode not in ("linear", "square", "log"):
            raise ValueError(f"IoULoss: mode must be 'linear', 'square' or 'log', got {mode!r}")
        self.mode = "linear" if linear else mode
        self.linear = linear

    def _loss(self, pred: Tensor, target: Tensor, **kwargs: object) -> Tensor:
        return iou_loss(pred, target, mode=self.mode, eps=self.eps, **kwargs)


@MODELS.register_module()
class GIoULoss(_BoxLoss):
    """Generalized IoU loss. Args: eps, reduction, loss_weight."""

    def __init__(
        self, eps: float = 1e-6, reduction: Reduction = "mean", loss_weight: float = 1.0
    ) -> None:
        super().__init__(eps, reduction, loss_weight)

    def _loss(self, pred: Tensor, target: Tensor, **kwargs: object) -> Tensor:
        return giou_loss(pred, target, eps=self.eps, **kwargs)


@MODELS.register_module()
class DIoULoss(_BoxLoss):
    """Distance IoU loss. Args: eps, reduction, loss_weight."""

    def __init__(
        self, eps: float = 1e-6, reduction: Reduction = "mean", loss_weight: float = 1.0
    ) -> None:
        super().__init__(eps, reduction, loss_weight)

    def _loss(self, pred: Tensor, target: Tensor, **kwargs: object) -> Tensor:
        return diou_loss(pred, target, eps=self.eps, **kwargs)


@MODELS.register_module()
class CIoULoss(_BoxLoss):
    """Complete IoU loss. Args: eps, reduction, loss_weight."""

    def __init__(
        self, eps: float = 1e-6, reduction: Reduction = "mean", loss_weight: float = 1.0
    ) -> None:
        super().__init__(eps, reduction, loss_weight)

    def _loss(self, pred: Tensor, target: Tensor, **kwargs: object) -> Tensor:
        return ciou_loss(pred, target, eps=self.eps, **kwargs)
