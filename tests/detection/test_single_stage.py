"""SingleStageDetector: the head receives train_cfg/test_cfg; loss, predict and tensor modes;
bad inputs. An RPN head serves as the dense head here (RetinaNet and FCOS have their own tests)."""

from __future__ import annotations

import copy

import pytest
import torch

from visionbox.core.testing import assert_all_params_have_grad
from visionbox.detection.models import SingleStageDetector
from visionbox.detection.registry import MODELS

from .conftest import make_samples, tiny_model_cfg


def _rpn_detector_cfg() -> dict:
    base = tiny_model_cfg()
    return dict(
        type="SingleStageDetector",
        data_preprocessor=copy.deepcopy(base.data_preprocessor),
        backbone=base.backbone,
        neck=base.neck,
        bbox_head=base.rpn_head,
        train_cfg=base.train_cfg.rpn,
        test_cfg=base.test_cfg.rpn,
    )


def _data(model, train: bool, size: int = 64):
    samples = make_samples(2, size)
    images = [torch.randint(0, 255, (3, size, size), dtype=torch.uint8) for _ in samples]
    return model.data_preprocessor(dict(inputs=images, data_samples=samples), train)


def test_head_gets_train_and_test_cfg_and_keys_follow_mmdetection():
    cfg = _rpn_detector_cfg()
    model = MODELS.build(cfg)
    assert isinstance(model, SingleStageDetector) and model.with_bbox
    assert (
        model.bbox_head.train_cfg["assigner"]["pos_iou_thr"]
        == cfg["train_cfg"].assigner["pos_iou_thr"]
    )
    assert model.bbox_head.test_cfg["max_per_img"] == 100
    keys = set(model.state_dict())
    assert "bbox_head.rpn_conv.weight" in keys and "neck.fpn_convs.0.conv.weight" in keys


def test_loss_backward_predict_and_tensor_modes():
    model = MODELS.build(_rpn_detector_cfg())
    model.init_weights()
    losses = model(**_data(model, True), mode="loss")
    assert set(losses) == {"loss_rpn_cls", "loss_rpn_bbox"}
    sum(losses.values()).backward()
    assert_all_params_have_grad(model)
    model.eval()
    with torch.no_grad():
        data = _data(model, False)
        results = model(**data, mode="predict")
        raw = model(data["inputs"], mode="tensor")
    assert len(results) == 2 and results[0].pred_instances.bboxes.shape[1] == 4
    assert len(results[0].pred_instances) <= 100
    cls_maps, box_maps = raw
    assert len(cls_maps) == len(box_maps) == 5 and cls_maps[0].shape[-2:] == (16, 16)


def test_bad_inputs_are_reported():
    model = MODELS.build(_rpn_detector_cfg())
    data = _data(model, True)
    with pytest.raises(ValueError, match="data samples for a batch of 2"):
        model(data["inputs"], data["data_samples"][:1], mode="loss")
    with pytest.raises(ValueError, match="needs a bbox_head"):
        MODELS.build({**_rpn_detector_cfg(), "bbox_head": None})
