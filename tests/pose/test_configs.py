"""Every shipped pose config loads and validates; the mmpose-named models have mmpose 1.3's
parameter counts and ``state_dict`` keys.

The models are built on the ``meta`` device (shapes without memory or initialisation).
"""

from __future__ import annotations

import glob
import os.path as osp

import pytest
import torch

from visionbox.core.engine import load_config
from visionbox.pose.registry import MODELS

CONFIGS = osp.join(osp.dirname(__file__), "..", "..", "packages/pose/src/visionbox/pose/configs")
SHIPPED = sorted(
    osp.relpath(p, CONFIGS)
    for p in glob.glob(osp.join(CONFIGS, "**", "*.py"), recursive=True)
    if "_base_" not in p
)

# mmpose 1.3's parameter counts and a few of its state_dict keys.
MMPOSE = {
    "body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py": (
        33_999_697,
        [
            "backbone.layer4.2.conv3.weight",
            "head.deconv_layers.0.weight",
            "head.deconv_layers.7.running_var",
            "head.final_layer.bias",
        ],
    ),
    "body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py": (
        28_536_113,
        ["backbone.stage4.2.branches.0.3.conv2.weight", "head.final_layer.weight"],
    ),
    "body_2d_keypoint/topdown_regression/coco/td-reg_res50_rle-8xb64-210e_coco-256x192.py": (
        23_701_148,
        [
            "head.fc.weight",
            "head.loss_module.flow_model.s.5.4.weight",
            "head.loss_module.flow_model.t.0.0.bias",
            "head.loss_module.flow_model.mask",
        ],
    ),
    "body_2d_keypoint/simcc/coco/simcc_res50_8xb64-210e_coco-256x192.py": (
        36_753_105,
        [
            "head.deconv_head.deconv_layers.0.weight",
            "head.deconv_head.final_layer.weight",
            "head.mlp_head_x.weight",
            "head.mlp_head_y.bias",
        ],
    ),
    "body_2d_keypoint/associative_embedding/coco/ae_hrnet-w32_8xb24-300e_coco-512x512.py": (
        28_536_674,
        ["head.final_layer.weight", "backbone.stage4.2.branches.3.3.bn2.weight"],
    ),
    "body_3d_keypoint/video_pose_lift/h36m/video-pose-lift_tcn-243frm-supv_8xb128-160e_h36m.py": (
        16_952_371,
        [
            "backbone.expand_conv.conv.weight",
            "backbone.tcn_blocks.3.conv1.0.bn.running_mean",
            "head.conv.weight",
        ],
    ),
}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_config_loads_and_validates(name):
    cfg = load_config(osp.join(CONFIGS, name))
    assert cfg.default_scope == "pose"
    cfg.validate()


@pytest.mark.parametrize("name", sorted(n for n in MMPOSE if n in SHIPPED))
def test_mmpose_model_has_mmpose_parameter_count_and_keys(name):
    expected, keys = MMPOSE[name]
    cfg = load_config(osp.join(CONFIGS, name))
    with torch.device("meta"):
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == expected
    state = model.state_dict()
    missing = [k for k in keys if k not in state]
    assert not missing, missing
