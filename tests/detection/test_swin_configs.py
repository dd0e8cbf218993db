"""Mask R-CNN Swin-T (mmdet 3.3's parameter count and keys) and the narrow-Swin Shapes demo
(its full training is @slow)."""

from __future__ import annotations

import json
import os
import os.path as osp
import subprocess
import sys
import warnings

import pytest
import torch

from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.engine import load_config
from visionbox.detection.registry import MODELS

from .conftest import repo_path

CONFIGS = osp.join(
    osp.dirname(__file__), "..", "..", "packages/detection/src/visionbox/detection/configs"
)


def _build(name: str, device: str = "meta"):
    cfg = load_config(osp.join(CONFIGS, name))
    cfg.validate()
    with warnings.catch_warnings(), torch.device(device):
        warnings.simplefilter("ignore")
        return cfg, MODELS.build(cfg.model)


def test_mask_rcnn_swin_t_has_mmdet_parameter_count_and_keys():
    cfg, model = _build("swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py")
    assert sum(p.numel() for p in model.parameters()) == 47_794_602
    state = model.state_dict()
    for key in (
        "backbone.patch_embed.projection.weight",
        "backbone.stages.1.blocks.1.attn.w_msa.qkv.weight",
        "backbone.stages.2.blocks.5.ffn.layers.0.0.weight",
        "backbone.norm2.bias",
        "neck.lateral_convs.0.conv.weight",
        "roi_head.mask_head.conv_logits.weight",
    ):
        assert key in state, key
    assert model.backbone.convert_weights
    assert cfg.optim_wrapper.optimizer.type == "AdamW"


def test_swin_shapes_demo_builds_and_feeds_its_fpn():
    cfg, model = _build("shapes/mask-rcnn_swin-n_fpn_shapes.py", device="cpu")
    assert model.backbone.out_channels == cfg.model.neck.in_channels
    torch.manual_seed(0)
    inputs = torch.rand(1, 3, 64, 64) * 255
    feats = model.extract_feat(model.data_preprocessor({"inputs": [inputs[0]]})["inputs"])
    assert [f.shape[-1] for f in feats] == [16, 8, 4, 2, 1]  # FPN levels of a 64x64 image


@pytest.mark.slow
def test_swin_shapes_demo_reaches_its_bbox_map(tmp_path):
    """tools/detection/train.py + test.py on the full Shapes set: bbox mAP >= 0.6."""
    repo = repo_path("")
    data = os.path.join(repo, "data", "shapes_det")
    if not os.path.isfile(os.path.join(data, "annotations", "instances_val.json")):
        make_shapes("detection", data, seed=0)
    config = "shapes/mask-rcnn_swin-n_fpn_shapes.py"
    cfg = load_config(osp.join(CONFIGS, config))
    work = str(tmp_path / "work")
    path = osp.join(CONFIGS, config)
    subprocess.run(
        [sys.executable, "tools/detection/train.py", path, "--work-dir", work], cwd=repo, check=True
    )
    ckpt = os.path.join(work, f"epoch_{cfg.train_cfg.max_epochs}.pth")
    subprocess.run(
        [sys.executable, "tools/detection/test.py", path, ckpt, "--work-dir", work],
        cwd=repo,
        check=True,
    )
    with open(os.path.join(work, "metrics.json")) as f:
        assert json.load(f)["coco/bbox_mAP"] >= 0.6
