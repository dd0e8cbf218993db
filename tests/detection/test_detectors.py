"""Detectors: forward and backward on tiny inputs (every parameter gets a gradient), predict,
modes and bad inputs."""

from __future__ import annotations

import pytest
import torch

from visionbox.core.testing import assert_all_params_have_grad
from visionbox.detection.registry import MODELS

from .conftest import make_samples, tiny_model_cfg


def _batch(model, masks=False, size=64):
    samples = make_samples(2, size, masks=masks)
    images = [torch.randint(0, 255, (3, size, size), dtype=torch.uint8) for _ in samples]
    return model.data_preprocessor(dict(inputs=images, data_samples=samples), True)


def _double_head_cfg():
    cfg = tiny_model_cfg()
    cfg.roi_head.type = "DoubleHeadRoIHead"
    cfg.roi_head.reg_roi_scale_factor = 1.3
    cfg.roi_head.bbox_head = dict(
        type="DoubleConvFCBBoxHead",
        num_convs=1,
        num_fcs=2,
        in_channels=16,
        conv_out_channels=32,
        fc_out_channels=32,
        roi_feat_size=7,
        num_classes=3,
    )
    return cfg


@pytest.mark.parametrize("kind", ["faster", "mask", "double"])
def test_every_parameter_gets_a_gradient(kind):
    cfg = _double_head_cfg() if kind == "double" else tiny_model_cfg(kind)
    model = MODELS.build(cfg)
    model.init_weights()
    data = _batch(model, masks=kind == "mask")
    losses = model(**data, mode="loss")
    expected = {"loss_rpn_cls", "loss_rpn_bbox", "loss_cls", "acc", "loss_bbox"}
    if kind == "mask":
        expected.add("loss_mask")
    assert set(losses) == expected
    total = sum(v for k, v in losses.items() if "loss" in k)
    assert torch.isfinite(total)
    total.backward()
    assert_all_params_have_grad(model)


@pytest.mark.parametrize("kind", ["faster", "mask"])
def test_predict_and_tensor_modes(kind):
    model = MODELS.build(tiny_model_cfg(kind)).eval()
    data = model.data_preprocessor(
        dict(
            inputs=[torch.randint(0, 255, (3, 64, 80), dtype=torch.uint8)] * 2,
            data_samples=make_samples(2, 64),
        ),
        False,
    )
    with torch.no_grad():
        results = model(**data, mode="predict")
        raw = model(data["inputs"], mode="tensor")
    assert len(results) == 2
    pred = results[0].pred_instances
    assert pred.bboxes.shape[1] == 4 and len(pred.scores) == len(pred.labels) <= 100
    if kind == "mask":
        assert pred.masks.shape[1:] == (64, 64)
    assert isinstance(raw, tuple) and len(raw) == 1  # ((cls_score, bbox_pred[, mask]),)
    assert len(raw[0]) == (3 if kind == "mask" else 2)


def test_train_step_decreases_the_loss_on_one_batch():
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg())
    model.init_weights()
    optim = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    data = _batch(model)

    def loss():
        out = model(**data, mode="loss")
        return sum(v for k, v in out.items() if "loss" in k)

    first = float(loss().detach())
    for _ in range(4):
        optim.zero_grad()
        value = loss()
        value.backward()
        optim.step()
    assert float(loss().detach()) < first


def test_bad_inputs_are_reported():
    model = MODELS.build(tiny_model_cfg())
    data = _batch(model)
    with pytest.raises(ValueError, match="data samples for a batch of 2"):
        model(data["inputs"], data["data_samples"][:1], mode="loss")
    with pytest.raises(ValueError, match="allowed modes"):
        model(data["inputs"], data["data_samples"], mode="train")
    del data["data_samples"][0].gt_instances.labels
    with pytest.raises(ValueError, match="gt_instances with bboxes and labels"):
        model(**data, mode="loss")
    cfg = tiny_model_cfg()
    cfg.neck.in_channels = [8, 16, 32, 65]
    with pytest.raises(ValueError, match="in_channels"):
        MODELS.build(cfg)
    cfg = tiny_model_cfg()
    cfg.roi_head.bbox_head.fc_out_chanels = 32
    with pytest.raises(TypeError, match="fc_out_channels"):
        MODELS.build(cfg)
