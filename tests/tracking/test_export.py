"""Export of tracking models' networks: the MOT detector (through the detection wrapper), the
ReID network and SiamRPN++'s backbone + head; ONNX and ``torch.export`` equal eager."""

from __future__ import annotations

import copy

import pytest
import torch

from visionbox.core.deploy import end2end
from visionbox.core.testing.export import FORMATS, export_and_verify
from visionbox.core.utils.errors import UserError
from visionbox.detection.deploy import DenseDetectorEnd2End
from visionbox.tracking.deploy import ReIDEnd2End, SiamRPNEnd2End
from visionbox.tracking.registry import MODELS

from .test_mot_models import TINY_REID
from .test_sot_models import TINY

YOLOX = dict(
    type="detection.YOLOX",
    backbone=dict(type="CSPDarknet", deepen_factor=0.33, widen_factor=0.125),
    neck=dict(type="YOLOXPAFPN", in_channels=[32, 64, 128], out_channels=16, num_csp_blocks=1),
    bbox_head=dict(type="YOLOXHead", num_classes=1, in_channels=16, feat_channels=16),
    test_cfg=dict(score_thr=0.01, nms=dict(type="nms", iou_threshold=0.7)),
)


def _deepsort() -> torch.nn.Module:
    torch.manual_seed(0)
    cfg = dict(
        type="DeepSORT",
        detector=copy.deepcopy(YOLOX),
        reid=copy.deepcopy(TINY_REID),
        tracker=dict(
            type="SORTTracker",
            obj_score_thr=0.5,
            reid=dict(num_samples=3, img_scale=(32, 16), match_score_thr=2.0),
        ),
    )
    return MODELS.build(cfg).eval()


def test_mot_model_exports_its_detector_and_reid():
    model = _deepsort()
    assert isinstance(end2end(model), DenseDetectorEnd2End)
    assert end2end(model).model is model.detector
    reid = end2end(model, component="reid")
    assert isinstance(reid, ReIDEnd2End)
    crops = torch.randn(4, 3, 32, 16)
    with torch.no_grad():
        torch.testing.assert_close(reid(crops), model.reid(crops, mode="tensor"))
    with pytest.raises(UserError, match="has no 'tracker'"):
        end2end(model, component="tracker")


@pytest.mark.parametrize("fmt", FORMATS)
def test_exported_reid_and_detector_equal_eager(fmt, tmp_path):
    model = _deepsort()
    reid = end2end(model, component="reid")
    export_and_verify(reid, torch.randn(2, 3, 32, 16), fmt, tmp_path / "reid")
    detector = end2end(model)
    export_and_verify(detector, torch.randn(2, 3, 64, 64), fmt, tmp_path / "det")


@pytest.mark.parametrize("fmt", FORMATS)
def test_exported_siamrpn_equals_eager(fmt, tmp_path):
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(TINY)).eval()
    wrapper = end2end(model)
    assert isinstance(wrapper, SiamRPNEnd2End)
    template, search = torch.randn(2, 3, 127, 127), torch.randn(2, 3, 255, 255)
    with torch.no_grad():
        cls_score, bbox_pred = wrapper(template, search)
        cut = model.forward_template(template)
        eager = model.head(cut, model.forward_search(search))
    torch.testing.assert_close(cls_score, eager[0])
    assert cut[0].shape[-1] == model.test_cfg["center_size"]
    if fmt == "onnx":
        with pytest.raises(UserError, match="fixed batch"):
            export_and_verify(wrapper, (template, search), fmt, tmp_path)
    export_and_verify(wrapper, (template, search), fmt, tmp_path, dynamic_batch=fmt != "onnx")
