"""The fast inference path (BatchNorm folding, channels-last) keeps every detector's outputs."""

from __future__ import annotations

import pytest
import torch
from mmengine.structures import InstanceData

from visionbox.core.testing import assert_optimized_model_matches, random_boxes
from visionbox.detection.registry import MODELS

from .conftest import load_cfg, make_samples

TWO_STAGE = [
    "shapes/faster-rcnn_r18_fpn_shapes.py",
    "shapes/mask-rcnn_r18_fpn_shapes.py",
    "faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py",
]
ONE_STAGE = [
    "shapes/retinanet_r18_fpn_shapes.py",
    "shapes/fcos_r18_fpn_shapes.py",
    "shapes/yolox_tiny_shapes.py",
]


def _model_and_batch(name):
    cfg = load_cfg(name)
    cfg.model.backbone.pop("init_cfg", None)
    model = MODELS.build(cfg.model)
    torch.manual_seed(0)
    images = [torch.randint(0, 255, (3, 96, 128), dtype=torch.uint8) for _ in range(2)]
    data = model.data_preprocessor(dict(inputs=images, data_samples=make_samples(2, 96)), False)
    return model, data["inputs"], data["data_samples"]


@pytest.mark.parametrize("name", ONE_STAGE)
def test_optimized_one_stage_detector_computes_the_same_tensors(name):
    model, inputs, samples = _model_and_batch(name)
    optimized = assert_optimized_model_matches(model, lambda m: m(inputs, samples, mode="tensor"))
    assert not optimized.training


@pytest.mark.parametrize("name", TWO_STAGE)
def test_optimized_two_stage_detector_computes_the_same_tensors(name):
    """Features, RPN outputs and RoI head outputs (boxes and masks) on fixed proposals."""
    model, inputs, samples = _model_and_batch(name)
    proposals = [InstanceData(bboxes=random_boxes(50, (96, 128), seed=i)) for i in range(2)]

    def run(m):
        x = m.extract_feat(inputs)
        return x, m.rpn_head(x), m.roi_head.forward(x, proposals, samples)

    assert_optimized_model_matches(model, run)
