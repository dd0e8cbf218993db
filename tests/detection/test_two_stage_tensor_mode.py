"""Two-stage ``mode='tensor'`` returns mmdet 3.3's structure, and tied scores keep their order.

mmdet 3.3's ``TwoStageDetector._forward`` returns ``(roi_head.forward(...),)`` only (no RPN
maps), and ``StandardRoIHead.forward`` returns ``(cls_score, bbox_pred[, mask_preds])`` with the
mask branch on the first 100 RoIs. The RPN ranks each level's anchors by torch's default sort
(not ``topk``) and mmcv's NMS visits boxes in the same sort's order, so anchors of equal score
come out in mmdet's order (torch's default CPU sort is not stable beyond 16 elements).
"""

from __future__ import annotations

import pytest
import torch
from torchvision.ops import box_iou

from visionbox.detection.registry import MODELS

from .conftest import make_samples, tiny_model_cfg


def _inputs(model, num_imgs=2, size=64):
    torch.manual_seed(0)
    return model.data_preprocessor(
        dict(
            inputs=[torch.randint(0, 255, (3, size, size), dtype=torch.uint8)] * num_imgs,
            data_samples=make_samples(num_imgs, size),
        ),
        False,
    )


@pytest.mark.parametrize("kind", ["faster", "mask"])
def test_tensor_mode_is_the_roi_head_output_on_the_proposals(kind):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(kind)).eval()
    data = _inputs(model)
    with torch.no_grad():
        raw = model(data["inputs"], data["data_samples"], mode="tensor")
        feats = model.extract_feat(data["inputs"])
        proposals = model.rpn_head.predict(feats, data["data_samples"], rescale=False)
    assert isinstance(raw, tuple) and len(raw) == 1
    roi_outs = raw[0]
    assert len(roi_outs) == (3 if kind == "mask" else 2)
    num_rois = sum(len(p) for p in proposals)
    cls_score, bbox_pred = roi_outs[:2]
    assert cls_score.shape == (num_rois, 3 + 1)
    assert bbox_pred.shape == (num_rois, 4 * 3)
    # The same numbers as the box branch run by hand on the proposals' RoIs.
    from visionbox.detection.structures import bbox2roi

    with torch.no_grad():
        ref = model.roi_head._bbox_forward(feats, bbox2roi([p.bboxes for p in proposals]))
    torch.testing.assert_close(cls_score, ref["cls_score"], rtol=0, atol=0)
    if kind == "mask":
        assert roi_outs[2].shape[:2] == (min(num_rois, 100), 3)


def _reference_rpn(scores_lv, anchors_lv, nms_pre, iou_thr, max_per_img, img_hw):
    """mmdet 3.3 ``RPNHead._predict_by_feat_single`` with zero deltas, NMS as a plain loop.

    Per level: ``scores.sort(descending=True)`` (torch's default sort), keep ``nms_pre``. Then
    mmcv's NMS kernel: visit the concatenation in ``scores.sort(descending=True)`` order and
    keep a box unless a kept box of its level overlaps it by IoU > ``iou_thr``.
    """
    boxes, scores, levels = [], [], []
    for lvl, (s, a) in enumerate(zip(scores_lv, anchors_lv)):
        ranked, order = s.sort(descending=True)
        boxes.append(a[order[:nms_pre]])
        scores.append(ranked[:nms_pre])
        levels += [lvl] * len(scores[-1])
    boxes, scores = torch.cat(boxes), torch.cat(scores)
    h, w = img_hw
    boxes = torch.stack(
        [
            boxes[:, 0].clamp(0, w),
            boxes[:, 1].clamp(0, h),
            boxes[:, 2].clamp(0, w),
            boxes[:, 3].clamp(0, h),
        ],
        1,
    )
    kept: list[int] = []
    for i in scores.sort(descending=True)[1].tolist():
        if all(
            levels[j] != levels[i] or box_iou(boxes[i : i + 1], boxes[j : j + 1]).item() <= iou_thr
            for j in kept
        ):
            kept.append(i)
    kept = kept[:max_per_img]
    return boxes[kept], scores[kept]


def test_rpn_orders_tied_anchors_as_mmdet():
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg("faster")).eval()
    head = model.rpn_head
    with torch.no_grad():
        # Every anchor scores sigmoid(0) = 0.5 except a few, and every delta is zero.
        head.rpn_cls.weight.zero_()
        head.rpn_cls.bias.zero_()
        head.rpn_reg.weight.zero_()
        head.rpn_reg.bias.zero_()
    cfg = dict(nms_pre=40, max_per_img=60, nms=dict(type="nms", iou_threshold=0.7), min_bbox_size=0)
    size = 64
    data = _inputs(model, num_imgs=1, size=size)
    with torch.no_grad():
        feats = model.extract_feat(data["inputs"])
        cls_scores, bbox_preds = head(feats)
        for c in cls_scores:  # raise every 5th location of the first anchor to break some ties
            c[:, 0, :, :].view(-1)[::5] = 1.0
        metas = [s.metainfo for s in data["data_samples"]]
        got = head.predict_by_feat(cls_scores, bbox_preds, metas, cfg=cfg)[0]
        sizes = [tuple(c.shape[-2:]) for c in cls_scores]
        anchors = head.prior_generator.grid_priors(sizes, device=cls_scores[0].device)
    scores_lv = [c[0].permute(1, 2, 0).reshape(-1).sigmoid() for c in cls_scores]
    ref_boxes, ref_scores = _reference_rpn(scores_lv, anchors, 40, 0.7, 60, (size, size))
    assert len(got.bboxes) == len(ref_boxes) > 40  # tied anchors were both selected and kept
    torch.testing.assert_close(got.scores, ref_scores, rtol=0, atol=0)
    # Zero deltas decode to the anchors up to float rounding; anchors differ by >= 4 px.
    torch.testing.assert_close(got.bboxes, ref_boxes, rtol=0, atol=1e-4)
