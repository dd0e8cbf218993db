"""Anchor generator, box coder, assigner and samplers against plain references."""

from __future__ import annotations

import pytest
import torch
from mmengine.structures import InstanceData
from torchvision.ops import box_iou

from visionbox.core.testing import random_boxes
from visionbox.detection.registry import TASK_UTILS
from visionbox.detection.structures import bbox_overlaps


def test_anchor_generator_layout_matches_a_direct_construction():
    gen = TASK_UTILS.build(
        dict(type="AnchorGenerator", scales=[8], ratios=[0.5, 1.0, 2.0], strides=[4, 8])
    )
    assert gen.num_base_priors == [3, 3]
    anchors = gen.grid_priors([(2, 3), (1, 2)])
    assert [a.shape for a in anchors] == [(18, 4), (6, 4)]
    # Location (y=1, x=2) of level 0, ratio 0.5 (h/w): w = 32 / sqrt(0.5), h = 32 * sqrt(0.5).
    w, h = 32 / 0.5**0.5, 32 * 0.5**0.5
    cx, cy = 2 * 4, 1 * 4
    expected = torch.tensor([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    torch.testing.assert_close(anchors[0][(1 * 3 + 2) * 3 + 0], expected)
    flags = gen.valid_flags([(2, 3), (1, 2)], pad_shape=(4, 4))
    # Level 0 keeps columns x < ceil(4 / 4) = 1 and rows y < 1.
    assert flags[0].view(2, 3, 3)[:, :, 0].tolist() == [[True, False, False], [False] * 3]


def test_anchor_generator_rejects_a_level_mismatch():
    gen = TASK_UTILS.build(dict(type="AnchorGenerator", scales=[8], ratios=[1.0], strides=[4]))
    with pytest.raises(ValueError, match="num_outs"):
        gen.grid_priors([(2, 2), (1, 1)])


def test_delta_coder_round_trip_and_clipping():
    coder = TASK_UTILS.build(
        dict(type="DeltaXYWHBBoxCoder", target_means=[0.0] * 4, target_stds=[0.1, 0.1, 0.2, 0.2])
    )
    priors = random_boxes(50, 128, min_size=4, seed=1)
    gts = random_boxes(50, 128, min_size=4, seed=2)
    deltas = coder.encode(priors, gts)
    torch.testing.assert_close(coder.decode(priors, deltas), gts, atol=1e-3, rtol=1e-4)
    # Class-specific deltas (N, 4 * K) decode per class; clipping honours max_shape.
    multi = torch.cat([deltas, deltas + 5.0], dim=1)
    decoded = coder.decode(priors, multi, max_shape=(64, 96)).view(50, 2, 4)
    assert decoded[..., 0::2].max() <= 96 and decoded[..., 1::2].max() <= 64
    with pytest.raises(ValueError, match="same leading dims"):
        coder.decode(priors, deltas[:10])


def test_bbox_overlaps_equals_torchvision():
    a, b = random_boxes(20, 64, seed=3), random_boxes(30, 64, seed=4)
    torch.testing.assert_close(bbox_overlaps(a, b), box_iou(a, b))
    torch.testing.assert_close(bbox_overlaps(a, a[:20], is_aligned=True), torch.ones(20))


def _reference_assign(overlaps, pos_thr, neg_thr, min_pos, low_quality):
    """mmdet's MaxIoUAssigner written with plain loops."""
    num_gts, num_priors = overlaps.shape
    inds = [-1] * num_priors
    for j in range(num_priors):
        col = overlaps[:, j]
        best = float(col.max())
        arg = int(col.argmax())
        if 0 <= best < neg_thr:
            inds[j] = 0
        if best >= pos_thr:
            inds[j] = arg + 1
    if low_quality:
        for i in range(num_gts):
            gmax = float(overlaps[i].max())
            if gmax >= min_pos:
                for j in range(num_priors):
                    if float(overlaps[i, j]) == gmax:
                        inds[j] = i + 1
    return inds


@pytest.mark.parametrize("low_quality", [True, False])
def test_max_iou_assigner_matches_a_loop_reference(low_quality):
    gts = torch.tensor([[0.0, 0, 10, 10], [20, 20, 40, 40], [5, 5, 15, 15]])
    priors = torch.tensor(
        [[0.0, 0, 10, 9], [21, 19, 40, 41], [50, 50, 60, 60], [4, 4, 14, 16], [0, 0, 30, 30],
         [19, 19, 30, 30]]
    )  # fmt: skip
    assigner = TASK_UTILS.build(
        dict(
            type="MaxIoUAssigner",
            pos_iou_thr=0.7,
            neg_iou_thr=0.3,
            min_pos_iou=0.3,
            match_low_quality=low_quality,
        )
    )
    result = assigner.assign(
        InstanceData(priors=priors), InstanceData(bboxes=gts, labels=torch.tensor([3, 1, 2]))
    )
    expected = _reference_assign(box_iou(gts, priors), 0.7, 0.3, 0.3, low_quality)
    assert result.gt_inds.tolist() == expected
    labels = [-1 if i <= 0 else [3, 1, 2][i - 1] for i in expected]
    assert result.labels.tolist() == labels


def test_max_iou_assigner_empty_gt_and_ignored_boxes():
    assigner = TASK_UTILS.build(
        dict(type="MaxIoUAssigner", pos_iou_thr=0.5, neg_iou_thr=0.5, ignore_iof_thr=0.5)
    )
    priors = torch.tensor([[0.0, 0, 10, 10], [30, 30, 40, 40]])
    empty = InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    result = assigner.assign(InstanceData(priors=priors), empty)
    assert result.gt_inds.tolist() == [0, 0] and result.labels.tolist() == [-1, -1]
    gts = InstanceData(bboxes=torch.tensor([[0.0, 0, 10, 10]]), labels=torch.tensor([1]))
    ignored = InstanceData(bboxes=torch.tensor([[29.0, 29, 41, 41]]))
    result = assigner.assign(InstanceData(priors=priors), gts, ignored)
    assert result.gt_inds.tolist() == [1, -1]


def test_random_sampler_respects_its_budget_and_adds_gt():
    gts = InstanceData(bboxes=torch.tensor([[0.0, 0, 10, 10]]), labels=torch.tensor([2]))
    priors = torch.cat([torch.tensor([[0.0, 0, 10, 10.5]] * 30), random_boxes(200, 100, seed=5)])
    assigner = TASK_UTILS.build(
        dict(type="MaxIoUAssigner", pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5)
    )
    sampler = TASK_UTILS.build(
        dict(type="RandomSampler", num=64, pos_fraction=0.25, add_gt_as_proposals=True)
    )
    pred = InstanceData(priors=priors)
    assign = assigner.assign(pred, gts)
    num_pos_available = int((assign.gt_inds > 0).sum()) + 1  # + the ground truth itself
    result = sampler.sample(assign, pred, gts)
    assert result.pos_inds.numel() == min(16, num_pos_available)
    assert result.pos_inds.numel() + result.neg_inds.numel() == 64
    assert len(set(result.pos_inds.tolist())) == result.pos_inds.numel()
    # Every sampled positive overlaps the box >= 0.5, every negative < 0.5.
    ious = box_iou(result.pos_priors, gts.bboxes).flatten()
    assert (ious >= 0.5).all() and (box_iou(result.neg_priors, gts.bboxes) < 0.5).all()
    assert (result.pos_gt_labels == 2).all() and result.pos_gt_bboxes.shape == (len(ious), 4)


def test_pseudo_sampler_keeps_everything():
    gts = InstanceData(bboxes=torch.tensor([[0.0, 0, 10, 10]]), labels=torch.tensor([0]))
    priors = torch.tensor([[0.0, 0, 10, 10], [50, 50, 60, 60], [0, 0, 6, 10]])
    assign = TASK_UTILS.build(
        dict(type="MaxIoUAssigner", pos_iou_thr=0.7, neg_iou_thr=0.3, match_low_quality=False)
    ).assign(InstanceData(priors=priors), gts)
    result = TASK_UTILS.build(dict(type="PseudoSampler")).sample(
        assign, InstanceData(priors=priors), gts
    )
    assert result.pos_inds.tolist() == [0] and result.neg_inds.tolist() == [1]
    assert result.avg_factor == 1


def test_multiclass_nms_equals_a_per_class_loop():
    from torchvision.ops import nms

    from visionbox.detection.models.layers import multiclass_nms

    torch.manual_seed(0)
    boxes = random_boxes(40, 64, seed=6)
    multi = torch.cat([boxes, boxes + 1.0, boxes * 0.9], dim=1)  # (N, 3 * 4)
    scores = torch.rand(40, 4)
    dets, labels, keep = multiclass_nms(multi, scores, 0.3, dict(type="nms", iou_threshold=0.5))
    expected = []
    for c in range(3):
        b = multi[:, 4 * c : 4 * c + 4]
        s = scores[:, c]
        valid = s > 0.3
        kept = nms(b[valid], s[valid], 0.5)
        expected += [(float(s[valid][k]), c) for k in kept]
    got = sorted(zip(dets[:, 4].tolist(), labels.tolist()))
    assert got == sorted(expected)
    assert (dets[:-1, 4] >= dets[1:, 4]).all()
    torch.testing.assert_close(dets[:, :4], multi.view(40, 3, 4).reshape(-1, 4)[keep])
    with pytest.raises(ValueError, match="soft_nms"):
        multiclass_nms(multi, scores, 0.3, dict(type="soft_nms", iou_threshold=0.5))
