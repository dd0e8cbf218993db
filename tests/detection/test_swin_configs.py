"""Mask R-CNN Swin-T (mmdet 3.3's parameter count and keys) and the narrow-Swin Shapes demo."""

from __future__ import annotations

import os.path as osp
import warnings

import torch

from visionbox.core.engine import load_config
from visionbox.detection.registry import MODELS

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
