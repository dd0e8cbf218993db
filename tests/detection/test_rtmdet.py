"""RTMDet: DynamicSoftLabelAssigner on a hand-worked case and against a per-box loop, head
losses on empty and non-empty ground truth, the gradient contract, mmdetection's parameter
counts and keys, configs, CachedMosaic / CachedMixUp keeping boxes on their pixels."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData

from visionbox.core.models import fuse_conv_bn
from visionbox.core.testing import (
    assert_all_params_have_grad,
    count_batchnorms,
    randomize_batchnorm,
)
from visionbox.detection.registry import MODELS, TASK_UTILS, TRANSFORMS

from .conftest import load_cfg, make_samples
from .test_mix_transforms import COLOURS, _image

RTMDET = "rtmdet/rtmdet_{}_8xb32-300e_coco.py"


def _num_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def tiny_rtmdet_cfg(num_classes: int = 3, **head):
    cfg = load_cfg(RTMDET.format("tiny")).model
    cfg.backbone.update(widen_factor=0.125, init_cfg=None)
    cfg.neck.update(in_channels=[32, 64, 128], out_channels=16)
    cfg.bbox_head.update(in_channels=16, feat_channels=16, num_classes=num_classes, **head)
    return cfg


def _batch(model, samples, size=64):
    images = [torch.randint(0, 255, (3, size, size), dtype=torch.uint8) for _ in samples]
    return model.data_preprocessor(dict(inputs=images, data_samples=samples), True)


# DynamicSoftLabelAssigner ----------------------------------------------------------------------


def test_dsl_assigner_hand_worked_case():
    """One box [0, 0, 16, 16] of class 1. Points (4, 4) and (12, 12) lie inside it, (20, 20)
    does not. The first point predicts the box exactly (IoU 1), the second a quarter of it
    (IoU 0.25), so k = int(1 + 0.25) = 1 and the exact point, the cheapest, is the one match."""
    assigner = TASK_UTILS.build(dict(type="DynamicSoftLabelAssigner", topk=13))
    priors = torch.tensor([[4.0, 4, 8, 8], [12, 12, 8, 8], [20, 20, 8, 8]])
    bboxes = torch.tensor([[0.0, 0, 16, 16], [8, 8, 16, 16], [16, 16, 24, 24]])
    scores = torch.zeros(3, 2)
    gt = InstanceData(bboxes=torch.tensor([[0.0, 0, 16, 16]]), labels=torch.tensor([1]))
    result = assigner.assign(InstanceData(priors=priors, bboxes=bboxes, scores=scores), gt)
    assert result.gt_inds.tolist() == [1, 0, 0]
    assert result.labels.tolist() == [1, -1, -1]
    assert result.max_overlaps[0].item() == pytest.approx(1.0)
    # The hand-computed costs: soft-centre 10 ** (d / 8 - 3), IoU -3 log(IoU), QFL-style class.
    d0, d1 = (2 * 4**2) ** 0.5, (2 * 4**2) ** 0.5
    assert d0 == d1  # both points are equally far from the centre (8, 8)
    # the class term of point 0 at IoU 1: BCE(0, [0, 1]) * |[0, 1] - 0.5|^2 summed over classes
    cls0 = (F.binary_cross_entropy_with_logits(torch.zeros(2), torch.tensor([0.0, 1])) * 2) * 0.25
    cls1 = (
        F.binary_cross_entropy_with_logits(
            torch.zeros(2), torch.tensor([0.0, 0.25]), reduction="none"
        )
        * torch.tensor([0.25, 0.0625])
    ).sum()
    cost0 = cls0 + 10 ** (d0 / 8 - 3) - 3 * torch.log(torch.tensor(1.0 + 1e-7))
    cost1 = cls1 + 10 ** (d1 / 8 - 3) - 3 * torch.log(torch.tensor(0.25 + 1e-7))
    assert cost0 < cost1


def test_dsl_assigner_empty_cases():
    assigner = TASK_UTILS.build(dict(type="DynamicSoftLabelAssigner"))
    pred = InstanceData(
        priors=torch.tensor([[4.0, 4, 8, 8]]),
        bboxes=torch.tensor([[0.0, 0, 8, 8]]),
        scores=torch.zeros(1, 2),
    )
    empty = InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    assert assigner.assign(pred, empty).gt_inds.tolist() == [0]
    far = InstanceData(bboxes=torch.tensor([[50.0, 50, 60, 60]]), labels=torch.tensor([0]))
    assert assigner.assign(pred, far).gt_inds.tolist() == [0]
    with pytest.raises(ValueError, match="topk"):
        TASK_UTILS.build(dict(type="DynamicSoftLabelAssigner", topk=0))


def _loop_assign(priors, bboxes, scores, gt_bboxes, gt_labels, topk=13, iou_weight=3.0, radius=3.0):
    """mmdetection's algorithm written with loops over boxes and priors (the reference)."""
    from visionbox.detection.models.task_modules.assigners import BboxOverlaps2D

    num_priors, num_gt = len(priors), len(gt_bboxes)
    inside = torch.zeros(num_priors, num_gt, dtype=torch.bool)
    for p in range(num_priors):
        for g in range(num_gt):
            x, y = priors[p, :2]
            x1, y1, x2, y2 = gt_bboxes[g]
            inside[p, g] = min(x - x1, y - y1, x2 - x, y2 - y) > 0
    valid = inside.any(1)
    vidx = torch.nonzero(valid).flatten()
    ious = BboxOverlaps2D()(bboxes[valid], gt_bboxes)
    cost = torch.zeros(len(vidx), num_gt)
    for v, p in enumerate(vidx.tolist()):
        for g in range(num_gt):
            centre = (gt_bboxes[g, :2] + gt_bboxes[g, 2:]) / 2
            dist = (priors[p, :2] - centre).norm() / priors[p, 2]
            target = F.one_hot(gt_labels[g], scores.size(1)).float() * ious[v, g]
            bce = F.binary_cross_entropy_with_logits(scores[p], target, reduction="none")
            cls = (bce * (target - scores[p].sigmoid()).abs() ** 2).sum()
            cost[v, g] = cls - iou_weight * torch.log(ious[v, g] + 1e-7) + 10 ** (dist - radius)
    match = torch.zeros_like(cost, dtype=torch.bool)
    k_top = min(topk, len(vidx))
    for g in range(num_gt):
        k = max(int(ious[:, g].topk(k_top).values.sum()), 1)
        match[cost[:, g].topk(k, largest=False).indices, g] = True
    gt_inds = torch.zeros(num_priors, dtype=torch.long)
    for v, p in enumerate(vidx.tolist()):
        if match[v].sum() > 1:
            gt_inds[p] = int(cost[v].argmin()) + 1
        elif match[v].any():
            gt_inds[p] = int(match[v].float().argmax()) + 1
    return gt_inds


@pytest.mark.parametrize("seed", range(4))
def test_dsl_assigner_equals_a_loop_over_boxes(seed):
    g = torch.Generator().manual_seed(seed)
    points = TASK_UTILS.build(dict(type="MlvlPointGenerator", offset=0, strides=[8, 16]))
    priors = torch.cat(points.grid_priors([(8, 8), (4, 4)], with_stride=True))
    xy = torch.rand(6, 2, generator=g) * 40
    wh = torch.rand(6, 2, generator=g) * 30 + 8
    gt_bboxes = torch.cat([xy, xy + wh], 1)
    gt_labels = torch.randint(0, 4, (6,), generator=g)
    jitter = torch.randn(len(priors), 4, generator=g) * 4
    bboxes = torch.cat([priors[:, :2] - 10, priors[:, :2] + 10], 1) + jitter
    scores = torch.randn(len(priors), 4, generator=g)
    assigner = TASK_UTILS.build(dict(type="DynamicSoftLabelAssigner", topk=13))
    result = assigner.assign(
        InstanceData(priors=priors, bboxes=bboxes, scores=scores),
        InstanceData(bboxes=gt_bboxes, labels=gt_labels),
    )
    expected = _loop_assign(priors, bboxes, scores, gt_bboxes, gt_labels)
    assert (expected > 0).sum() > 3
    assert result.gt_inds.tolist() == expected.tolist()


# Head and detector -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "extra"),
    [("RTMDetSepBNHead", {}), ("RTMDetHead", dict(norm_cfg=dict(type="BN")))],
)
def test_head_losses_on_empty_and_non_empty_ground_truth(head, extra):
    torch.manual_seed(0)
    cfg = tiny_rtmdet_cfg()
    cfg.bbox_head.type = head
    if head == "RTMDetHead":
        for key in ("exp_on_reg", "share_conv"):
            cfg.bbox_head.pop(key)
        cfg.bbox_head.update(with_objectness=True, **extra)
    model = MODELS.build(cfg)
    model.init_weights()
    model.train()
    empty = make_samples(boxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    losses = model(**_batch(model, empty), mode="loss")
    assert losses["loss_cls"] > 0 and losses["loss_bbox"] == 0
    losses = model(**_batch(model, make_samples()), mode="loss")
    assert losses["loss_cls"] > 0 and losses["loss_bbox"] > 0
    sum(losses.values()).backward()
    assert_all_params_have_grad(model)


def test_predict_and_tensor_modes():
    torch.manual_seed(0)
    model = MODELS.build(tiny_rtmdet_cfg()).eval()
    batch = _batch(model, make_samples(), size=64)
    cls_scores, bbox_preds = model(batch["inputs"], batch["data_samples"], mode="tensor")
    assert [tuple(c.shape) for c in cls_scores] == [(2, 3, 8, 8), (2, 3, 4, 4), (2, 3, 2, 2)]
    assert [tuple(b.shape) for b in bbox_preds] == [(2, 4, 8, 8), (2, 4, 4, 4), (2, 4, 2, 2)]
    with torch.no_grad():
        out = model(**batch, mode="predict")
    pred = out[0].pred_instances
    assert pred.bboxes.shape[1] == 4 and len(pred.scores) == len(pred.labels) <= 300
    assert (pred.bboxes[:, 0::2] <= 64).all() and (pred.bboxes >= 0).all()


def test_shared_convs_and_separate_norms():
    model = MODELS.build(tiny_rtmdet_cfg())
    head = model.bbox_head
    assert head.cls_convs[1][0].conv is head.cls_convs[0][0].conv
    assert head.cls_convs[1][0].bn is not head.cls_convs[0][0].bn
    keys = model.state_dict().keys()
    for key in (
        "bbox_head.cls_convs.2.1.conv.weight",
        "bbox_head.rtm_reg.2.bias",
        "bbox_head.reg_convs.0.0.bn.running_var",
        "backbone.stage4.1.conv2.conv.weight",
    ):
        assert key in keys


@pytest.mark.parametrize(
    ("size", "count"),
    [
        ("tiny", 4_896_168),
        ("s", 8_886_924),
        ("m", 24_709_188),
        ("l", 52_315_804),
        ("x", 94_855_572),
    ],
)
def test_rtmdet_has_mmdetection_parameter_counts(size, count):
    assert _num_params(MODELS.build(load_cfg(RTMDET.format(size)).model)) == count


def test_rtmdet_recipe_hooks():
    cfg = load_cfg(RTMDET.format("s"))
    hooks = {h["type"]: h for h in cfg.custom_hooks}
    assert hooks["EMAHook"]["ema_type"] == "ExpMomentumEMA"
    assert hooks["PipelineSwitchHook"]["switch_epoch"] == 280
    stage2 = [t["type"] for t in hooks["PipelineSwitchHook"]["switch_pipeline"]]
    assert "CachedMosaic" not in stage2 and "CachedMixUp" not in stage2


# Cached mixing transforms ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_cached_mosaic_keeps_boxes_on_their_pixels(seed):
    np.random.seed(seed)
    mosaic = TRANSFORMS.build(
        dict(type="CachedMosaic", img_scale=(64, 64), max_cached_images=6, random_pop=False)
    )
    boxes = [(5, 7, 30, 40), (20, 2, 60, 20), (0, 30, 25, 64), (33, 33, 50, 61)]
    outs = [mosaic(_image(b, c)) for b, c in zip(boxes, COLOURS)]
    assert all(o["img"].shape == (64, 64, 3) for o in outs)  # cache of <= 4: unchanged
    out = mosaic(_image((8, 8, 40, 40), COLOURS[0]))
    assert out["img"].shape == (128, 128, 3) and "mix_results" not in out
    assert len(mosaic.results_cache) == 5
    # every box (one source image may be drawn twice) has its colour at its corners and centre
    assert len(out["gt_bboxes"]) >= 1
    for box, label in zip(out["gt_bboxes"], out["gt_bboxes_labels"]):
        x1, y1, x2, y2 = box
        for x, y in ((x1, y1), (x2 - 1, y2 - 1), ((x1 + x2) / 2, (y1 + y2) / 2)):
            assert tuple(out["img"][int(y), int(x)]) == COLOURS[label], (box, label)
    mosaic(_image((1, 1, 9, 9), COLOURS[1]))
    assert len(mosaic.results_cache) == 6
    mosaic(_image((1, 1, 9, 9), COLOURS[1]))
    assert len(mosaic.results_cache) == 6


@pytest.mark.parametrize("seed", range(4))
def test_cached_mixup_keeps_boxes_on_their_pixels(seed):
    np.random.seed(seed)
    mixup = TRANSFORMS.build(
        dict(type="CachedMixUp", img_scale=(64, 64), ratio_range=(1.0, 1.0), max_cached_images=4)
    )
    first = mixup(_image((30, 30, 60, 60), COLOURS[1]))
    assert len(first["gt_bboxes"]) == 1  # one cached result: unchanged
    own = _image((2, 2, 20, 20), COLOURS[0])
    own_img = own["img"].copy()
    out = mixup(own)
    assert len(out["gt_bboxes"]) == 2 and "mix_results" not in out
    np.testing.assert_allclose(out["gt_bboxes"][0], [2, 2, 20, 20])
    x1, y1, x2, y2 = out["gt_bboxes"][1].round().astype(int)
    # the other image's pixels inside its moved box: mixed = 0.5 own + 0.5 colour
    other = out["img"][y1:y2, x1:x2].astype(float) * 2 - own_img[y1:y2, x1:x2]
    # (the cache holds both images, so the other one may be the image itself)
    colour = np.array(COLOURS[out["gt_bboxes_labels"][1]])
    assert np.abs(other - colour).max() <= 2
    with pytest.raises(ValueError, match="max_cached_images"):
        TRANSFORMS.build(dict(type="CachedMixUp", max_cached_images=1))


# RTMDet-Ins ------------------------------------------------------------------------------------

RTMDET_INS = "rtmdet/rtmdet-ins_{}_8xb32-300e_coco.py"


def tiny_rtmdet_ins_cfg(num_classes: int = 3):
    cfg = load_cfg(RTMDET_INS.format("tiny")).model
    cfg.backbone.update(widen_factor=0.125, init_cfg=None)
    cfg.neck.update(in_channels=[32, 64, 128], out_channels=16)
    cfg.bbox_head.update(in_channels=16, feat_channels=16, num_classes=num_classes)
    return cfg


@pytest.mark.parametrize(("size", "count"), [("tiny", 5_638_187), ("s", 10_183_311)])
def test_rtmdet_ins_has_mmdetection_parameter_counts(size, count):
    model = MODELS.build(load_cfg(RTMDET_INS.format(size)).model)
    assert _num_params(model) == count
    head = model.bbox_head
    assert head.reg_convs is head.cls_convs  # mmdetection's layout
    assert head.kernel_convs[1][0].conv is not head.kernel_convs[0][0].conv
    assert head.num_gen_params == 169  # (8 + 2) * 8 + 8 * 8 + 8 weights, 8 + 8 + 1 biases


def test_rtmdet_ins_losses_on_empty_and_non_empty_ground_truth():
    torch.manual_seed(0)
    model = MODELS.build(tiny_rtmdet_ins_cfg())
    model.init_weights()
    model.train()
    empty = make_samples(
        boxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long), masks=True
    )
    losses = model(**_batch(model, empty), mode="loss")
    assert losses["loss_cls"] > 0 and losses["loss_bbox"] == 0 and losses["loss_mask"] == 0
    losses = model(**_batch(model, make_samples(masks=True)), mode="loss")
    assert losses["loss_cls"] > 0 and losses["loss_bbox"] > 0 and losses["loss_mask"] > 0
    sum(losses.values()).backward()
    assert_all_params_have_grad(model)


def test_rtmdet_ins_dynamic_masks_and_prediction():
    torch.manual_seed(0)
    model = MODELS.build(tiny_rtmdet_ins_cfg()).eval()
    head = model.bbox_head
    # the dynamic network equals the same 1x1 convs run instance by instance
    mask_feat = torch.randn(8, 6, 5)
    kernels = torch.randn(3, head.num_gen_params)
    priors = torch.tensor([[8.0, 16, 8, 8], [24, 8, 16, 16], [0, 0, 32, 32]])
    out = head.mask_logits(mask_feat, kernels, priors)
    ys, xs = torch.meshgrid(torch.arange(6.0) * 8, torch.arange(5.0) * 8, indexing="ij")
    for n in range(3):
        rel = torch.stack([priors[n, 0] - xs, priors[n, 1] - ys]) / (priors[n, 2] * 8)
        x = torch.cat([rel, mask_feat])[None]
        w = torch.split(kernels[n], head.weight_nums + head.bias_nums)
        x = F.relu(F.conv2d(x, w[0].reshape(8, 10, 1, 1), w[3]))
        x = F.relu(F.conv2d(x, w[1].reshape(8, 8, 1, 1), w[4]))
        x = F.conv2d(x, w[2].reshape(1, 8, 1, 1), w[5])
        torch.testing.assert_close(out[n], x[0, 0], rtol=1e-5, atol=1e-5)
    batch = _batch(model, make_samples(), size=64)
    model.bbox_head.test_cfg.score_thr = 0.0
    with torch.no_grad():
        pred = model(**batch, mode="predict")[0].pred_instances
    assert pred.masks.dtype == torch.bool and pred.masks.shape[1:] == (64, 64)
    assert len(pred.masks) == len(pred.bboxes) == len(pred.scores) > 0


@pytest.mark.parametrize("ins", [False, True], ids=["rtmdet", "rtmdet-ins"])
def test_folding_batchnorms_keeps_every_level_s_norm(ins):
    """The towers share their convs across levels but not their norms: folding the norms (what
    ``init_detector`` and ``test.py`` do) gives every level its own copy of the conv, and the
    folded model computes what the unfolded one did."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_rtmdet_ins_cfg() if ins else tiny_rtmdet_cfg())
    randomize_batchnorm(model).eval()
    inputs = torch.randn(2, 3, 64, 64)
    folded = fuse_conv_bn(copy.deepcopy(model))
    assert count_batchnorms(folded) == 0
    with torch.no_grad():
        expected = _flat(model(inputs, mode="tensor"))
        got = _flat(folded(inputs, mode="tensor"))
    assert len(got) == len(expected) >= 6
    for out, ref in zip(got, expected):
        torch.testing.assert_close(out, ref, atol=1e-4, rtol=1e-4)


def _flat(outputs) -> list[torch.Tensor]:
    if torch.is_tensor(outputs):
        return [outputs]
    return [t for item in outputs for t in _flat(item)]
