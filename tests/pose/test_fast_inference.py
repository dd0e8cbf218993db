"""The fast inference path (BatchNorm folding, channels-last) keeps every pose model's outputs."""

from __future__ import annotations

import os.path as osp

import pytest
import torch

from visionbox.core.engine import load_config
from visionbox.core.testing import assert_optimized_model_matches
from visionbox.pose.registry import MODELS

CONFIGS = osp.join(osp.dirname(__file__), "..", "..", "packages/pose/src/visionbox/pose/configs")
COCO = "body_2d_keypoint/{}/coco/{}_coco-{}.py"
FAMILIES = [
    ("shapes/td-hm_res18-slim_shapes-96x128.py", (128, 96)),
    ("shapes/ae_res18-slim_shapes-128x128.py", (128, 128)),
    (COCO.format("topdown_heatmap", "td-hm_res50_8xb64-210e", "256x192"), (128, 96)),
    (COCO.format("topdown_heatmap", "td-hm_hrnet-w32_8xb64-210e", "256x192"), (128, 96)),
    (COCO.format("topdown_regression", "td-reg_res50_rle-8xb64-210e", "256x192"), (256, 192)),
    (COCO.format("simcc", "simcc_res50_8xb64-210e", "256x192"), (256, 192)),
]


@pytest.mark.parametrize(("name", "size"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_optimized_pose_model_computes_the_same_outputs(name, size):
    cfg = load_config(osp.join(CONFIGS, name))
    cfg.model.backbone.pop("init_cfg", None)
    model = MODELS.build(cfg.model)
    inputs = torch.randn(2, 3, *size, generator=torch.Generator().manual_seed(0))
    assert_optimized_model_matches(model, lambda m: m(inputs, None, mode="tensor"))
