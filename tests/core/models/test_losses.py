"""Losses against independent computations (torch.nn.functional, torchvision.ops)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torchvision import ops

from visionbox.core.models.losses import weight_reduce_loss, weighted_loss
from visionbox.core.registry import MODELS
from visionbox.core.testing import random_boxes


def _build(**cfg):
    return MODELS.build(cfg)


@pytest.fixture
def cls_data():
    g = torch.Generator().manual_seed(1)
    pred = torch.randn(12, 5, generator=g)
    label = torch.randint(0, 5, (12,), generator=g)
    weight = torch.rand(12, generator=g)
    return pred, label, weight


def test_softmax_ce_plain_weight_and_avg_factor(cls_data):
    pred, label, weight = cls_data
    loss = _build(type="CrossEntropyLoss", loss_weight=2.0)
    assert torch.allclose(loss(pred, label), 2 * F.cross_entropy(pred, label))
    per = F.cross_entropy(pred, label, reduction="none")
    assert torch.allclose(loss(pred, label, weight, avg_factor=7.0), 2 * (per * weight).sum() / 7.0)
    assert torch.allclose(loss(pred, label, reduction_override="sum"), 2 * per.sum())
    assert loss(pred, label, reduction_override="none").shape == (12,)


def test_softmax_ce_class_weight_and_ignore_index(cls_data):
    pred, label, _ = cls_data
    class_weight = [0.5, 1.0, 2.0, 1.5, 0.1]
    cw = torch.tensor(class_weight)
    loss = _build(type="CrossEntropyLoss", class_weight=class_weight)
    expected = F.cross_entropy(
        pred, label, weight=cw, reduction="none"
    ).mean()  # mmdet: mean over elements
    assert torch.allclose(loss(pred, label), expected)
    assert torch.allclose(
        loss(pred, label, reduction_override="sum"),
        F.cross_entropy(pred, label, weight=cw, reduction="sum"),
    )
    ignored = label.clone()
    ignored[:4] = 255
    non_ignore = _build(type="CrossEntropyLoss", ignore_index=255, avg_non_ignore=True)
    assert torch.allclose(
        non_ignore(pred, ignored), F.cross_entropy(pred, ignored, ignore_index=255)
    )
    plain = _build(type="CrossEntropyLoss", ignore_index=255)
    assert torch.allclose(
        plain(pred, ignored), F.cross_entropy(pred, ignored, ignore_index=255) * 8 / 12
    )


def test_sigmoid_ce_with_background_label(cls_data):
    pred, label, weight = cls_data
    label = label.clone()
    label[:3] = 5  # background
    target = F.one_hot(label, 6)[:, :5].float()
    loss = _build(type="CrossEntropyLoss", use_sigmoid=True)
    per = F.binary_cross_entropy_with_logits(pred, target, reduction="none")
    assert torch.allclose(loss(pred, label), per.mean())
    assert torch.allclose(
        loss(pred, label, weight, avg_factor=3.0), (per * weight[:, None]).sum() / 3.0
    )


def test_mask_ce_picks_each_rois_class():
    pred = torch.randn(3, 4, 5, 5)
    target = (torch.rand(3, 5, 5) > 0.5).float()
    labels = torch.tensor([2, 0, 3])
    loss = _build(type="CrossEntropyLoss", use_mask=True)
    expected = F.binary_cross_entropy_with_logits(pred[torch.arange(3), labels], target)
    assert torch.allclose(loss(pred, target, labels), expected)


def test_focal_loss_equals_torchvision(cls_data):
    pred, label, weight = cls_data
    label = label.clone()
    label[:2] = 5
    target = F.one_hot(label, 6)[:, :5].float()
    loss = _build(type="FocalLoss", gamma=2.0, alpha=0.25, loss_weight=1.5)
    ref = ops.sigmoid_focal_loss(pred, target, alpha=0.25, gamma=2.0, reduction="none")
    assert torch.allclose(loss(pred, label), 1.5 * ref.mean(), atol=1e-6)
    assert torch.allclose(
        loss(pred, label, weight, avg_factor=4.0),
        1.5 * (ref * weight[:, None]).sum() / 4.0,
        atol=1e-6,
    )
    assert torch.allclose(loss(pred, target), 1.5 * ref.mean(), atol=1e-6)  # one-hot target


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_focal_loss_with_labels_equals_the_one_hot_form(reduction):
    """Class-index targets skip the one-hot matrix; loss and gradient equal the one-hot path."""
    from visionbox.core.models.losses.focal_loss import (
        sigmoid_focal_loss,
        sigmoid_focal_loss_with_labels,
    )

    g = torch.Generator().manual_seed(5)
    pred = (torch.randn(40, 6, generator=g, dtype=torch.float64) * 4).requires_grad_(True)
    labels = torch.randint(0, 7, (40,), generator=g)  # 6 = background
    labels[:3] = torch.tensor([6, 0, 5])
    one_hot = F.one_hot(labels, 7)[:, :6]
    for weight in (None, torch.rand(40, generator=g, dtype=torch.float64)):
        for avg_factor in (None, 7.0):
            if reduction != "mean" and avg_factor is not None:
                continue
            args = (weight, 2.0, 0.25, reduction, avg_factor)
            fast = sigmoid_focal_loss_with_labels(pred, labels, *args)
            (grad_fast,) = torch.autograd.grad(fast.sum(), pred)
            ref = sigmoid_focal_loss(pred, one_hot, *args)
            (grad_ref,) = torch.autograd.grad(ref.sum(), pred)
            torch.testing.assert_close(fast, ref, rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(grad_fast, grad_ref, rtol=1e-10, atol=1e-12)
    background = torch.full((40,), 6)
    torch.testing.assert_close(
        sigmoid_focal_loss_with_labels(pred, background),
        sigmoid_focal_loss(pred, torch.zeros(40, 6, dtype=torch.long)),
    )


def test_focal_loss_on_empty_ground_truth_is_positive():
    pred = torch.randn(10, 3, requires_grad=True)
    background = torch.full((10,), 3)
    assert _build(type="FocalLoss")(pred, background) > 0


@pytest.fixture
def box_pair():
    target = random_boxes(16, 64, seed=3)
    pred = target + torch.randn(16, 4, generator=torch.Generator().manual_seed(4)) * 3
    x1y1 = torch.minimum(pred[:, :2], pred[:, 2:] - 1)
    return torch.cat([x1y1, pred[:, 2:]], 1), target


def test_giou_equals_torchvision(box_pair):
    pred, target = box_pair
    weight = torch.rand(16)
    loss = _build(type="GIoULoss", loss_weight=2.0)
    ref = ops.generalized_box_iou_loss(pred, target, reduction="none")
    assert torch.allclose(loss(pred, target), 2 * ref.mean(), atol=1e-5)
    assert torch.allclose(
        loss(pred, target, weight, avg_factor=5.0), 2 * (ref * weight).sum() / 5.0, atol=1e-5
    )


def test_iou_and_diou_equal_torchvision(box_pair):
    pred, target = box_pair
    iou = ops.box_iou(pred, target).diagonal()
    assert torch.allclose(
        _build(type="IoULoss")(pred, target), -iou.clamp(min=1e-6).log().mean(), atol=1e-5
    )
    assert torch.allclose(
        _build(type="IoULoss", mode="linear")(pred, target), (1 - iou).mean(), atol=1e-5
    )
    ref = ops.distance_box_iou_loss(pred, target, reduction="mean")
    assert torch.allclose(_build(type="DIoULoss")(pred, target), ref, atol=1e-5)


def test_ciou_equals_torchvision_where_iou_above_half():
    target = random_boxes(8, 64, min_size=10, seed=5)
    pred = target.clone()
    pred[:, 2:] += 1.0  # IoU well above 0.5: the aspect term is active in both definitions
    ref = ops.complete_box_iou_loss(pred, target, reduction="none")
    got = _build(type="CIoULoss")(pred, target, reduction_override="none")
    assert torch.allclose(got, ref, atol=1e-5)


def test_regression_losses_equal_functional(box_pair):
    pred, target = box_pair
    weight = torch.rand(16, 4)
    assert torch.allclose(_build(type="L1Loss")(pred, target), F.l1_loss(pred, target))
    assert torch.allclose(_build(type="MSELoss")(pred, target), F.mse_loss(pred, target))
    smooth = _build(type="SmoothL1Loss", beta=0.5)
    assert torch.allclose(smooth(pred, target), F.smooth_l1_loss(pred, target, beta=0.5))
    expected = ((pred - target).abs() * weight).sum() / 10.0
    assert torch.allclose(_build(type="L1Loss")(pred, target, weight, avg_factor=10.0), expected)


def test_box_losses_on_empty_ground_truth_are_zero():
    pred = torch.randn(0, 4, requires_grad=True)
    for name in ("L1Loss", "SmoothL1Loss", "GIoULoss"):
        loss = _build(type=name)(pred, torch.zeros(0, 4), reduction_override="sum")
        assert loss.item() == 0
        loss.backward()
    zero_weight = _build(type="L1Loss")(
        torch.randn(3, 4, requires_grad=True), torch.randn(3, 4), torch.zeros(3, 4)
    )
    assert zero_weight.item() == 0 and zero_weight.requires_grad


def test_dice_loss_matches_formula():
    logits = torch.randn(3, 6, 6)
    target = (torch.rand(3, 6, 6) > 0.5).float()
    p = logits.sigmoid().flatten(1)
    t = target.flatten(1)
    vnet = 1 - 2 * (p * t).sum(1) / ((p * p).sum(1) + (t * t).sum(1) + 2e-3)
    assert torch.allclose(_build(type="DiceLoss")(logits, target), vnet.mean(), atol=1e-6)
    naive = 1 - (2 * (p * t).sum(1) + 1e-3) / (p.sum(1) + t.sum(1) + 1e-3)
    assert torch.allclose(
        _build(type="DiceLoss", naive_dice=True)(logits, target), naive.mean(), atol=1e-6
    )


def test_weighted_loss_decorator_and_reduction_errors():
    @weighted_loss
    def cube(pred, target):
        return (pred - target) ** 3

    pred, target, weight = torch.rand(5), torch.zeros(5), torch.rand(5)
    assert torch.allclose(
        cube(pred, target, weight, avg_factor=2.0), (pred**3 * weight).sum() / 2.0
    )
    assert torch.allclose(cube(pred, target, reduction="sum"), (pred**3).sum())
    with pytest.raises(ValueError, match="avg_factor"):
        weight_reduce_loss(pred, reduction="sum", avg_factor=2.0)
    with pytest.raises(ValueError, match="'none', 'mean', 'sum'"):
        _build(type="L1Loss", reduction="avg")
    with pytest.raises(ValueError, match="'none', 'mean', 'sum'"):
        _build(type="L1Loss")(pred, target, reduction_override="max")
