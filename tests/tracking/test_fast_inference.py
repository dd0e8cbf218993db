"""The fast inference path (BatchNorm folding, channels-last) keeps SiamRPN's tracking."""

from __future__ import annotations

import copy

import torch
from mmengine.registry import init_default_scope

from visionbox.core.models import optimize_for_inference
from visionbox.core.testing import count_batchnorms, randomize_batchnorm
from visionbox.tracking.registry import MODELS

from .test_sot_models import TINY, _frame_sample


def _track(model, img, frames=4):
    model.memo = {}
    out = [model.predict(img, [_frame_sample(0, [50.0, 60.0, 90.0, 110.0])])[0][0]]
    out += [model.predict(img, [_frame_sample(fid)])[0][0] for fid in range(1, frames)]
    return [(o.pred_track_instances.bboxes, o.pred_track_instances.scores) for o in out]


def test_optimized_siamrpn_tracks_the_same_boxes():
    init_default_scope("tracking")
    torch.manual_seed(0)
    model = randomize_batchnorm(MODELS.build(copy.deepcopy(TINY))).eval()
    fast = optimize_for_inference(copy.deepcopy(model))
    assert count_batchnorms(model) > 0 and count_batchnorms(fast) == 0
    img = torch.randn(1, 1, 3, 180, 200, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        for (box, score), (fast_box, fast_score) in zip(
            _track(model, img), _track(fast, img), strict=True
        ):
            torch.testing.assert_close(fast_box, box, atol=1e-3, rtol=1e-4)
            torch.testing.assert_close(fast_score, score, atol=1e-4, rtol=1e-4)
