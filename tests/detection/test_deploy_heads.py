"""The dense heads' deploy form: ``topk`` instead of a full sort picks the same per-level
candidates (no tied scores) and the detector's detections are unchanged."""

from __future__ import annotations

import torch

from visionbox.core.models import optimize_for_inference
from visionbox.detection.models.dense_heads.dense_predict import _level_candidates
from visionbox.detection.registry import MODELS

from .conftest import load_cfg


def test_topk_candidates_equal_the_full_ranking():
    torch.manual_seed(0)
    logits = torch.randn(3, 500, 7, dtype=torch.float64)  # distinct scores: no ties
    logits[1] -= 3.0  # fewer candidates above the threshold in the second image
    for use_sigmoid, thr in ((True, 0.3), (False, 0.05)):
        for nms_pre in (-1, 40, 1000, 10_000):
            exact = _level_candidates(logits, nms_pre, thr, use_sigmoid, exact_ties=True)
            fast = _level_candidates(logits, nms_pre, thr, use_sigmoid, exact_ties=False)
            for a, b in zip(exact, fast, strict=True):
                assert torch.equal(a, b), (use_sigmoid, nms_pre)
    img_inds = _level_candidates(logits, 40, 0.3, True, exact_ties=False)[0]
    assert torch.bincount(img_inds).tolist() == [40, 40, 40]


def test_deploy_heads_detect_what_the_plain_ones_do():
    """RetinaNet's head and Faster R-CNN's RPN after ``optimize_for_inference``."""
    torch.manual_seed(0)
    feats = tuple(torch.randn(1, 256, 64 // 2**i, 64 // 2**i) for i in range(5))
    metas = [dict(img_shape=(256, 256), scale_factor=(1.0, 1.0))]
    retina = load_cfg("retinanet/retinanet_r50_fpn_1x_coco.py").model
    retina.bbox_head.num_classes = 4
    retina.test_cfg.update(nms_pre=50, score_thr=0.0)
    rpn = load_cfg("faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py").model
    rpn.rpn_head.update(train_cfg=None, test_cfg=dict(rpn.test_cfg.rpn, nms_pre=50))
    for head_cfg in (dict(retina.bbox_head, test_cfg=retina.test_cfg), rpn.rpn_head):
        head = MODELS.build(head_cfg).eval()
        outs = head(feats)
        plain = head.predict_by_feat(*outs, batch_img_metas=metas)[0]
        optimize_for_inference(head)
        assert head.deploy
        deployed = head.predict_by_feat(*outs, batch_img_metas=metas)[0]
        assert len(plain) > 20
        for key in ("bboxes", "scores", "labels"):
            if key in plain:
                assert torch.equal(plain[key], deployed[key])
