"""The fast inference path (BatchNorm folding, channels-last) keeps every segmentor's outputs."""

from __future__ import annotations

import os.path as osp

import pytest
import torch

from visionbox.core.engine import load_config
from visionbox.core.testing import assert_optimized_model_matches
from visionbox.segmentation.registry import MODELS

CONFIGS = osp.join(
    osp.dirname(__file__), "..", "..", "packages/segmentation/src/visionbox/segmentation/configs"
)
FAMILIES = [
    "shapes/fcn_r18-d8_shapes-256x256.py",
    "fcn/fcn_r50-d8_4xb2-40k_cityscapes-512x1024.py",
    "deeplabv3/deeplabv3_r50-d8_4xb2-40k_cityscapes-512x1024.py",
    "deeplabv3plus/deeplabv3plus_r50-d8_4xb2-40k_cityscapes-512x1024.py",
    "pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py",
    "upernet/upernet_r50_4xb2-40k_cityscapes-512x1024.py",
]


@pytest.mark.parametrize("name", FAMILIES)
def test_optimized_segmentor_computes_the_same_logits(name):
    cfg = load_config(osp.join(CONFIGS, name))
    cfg.model.pop("pretrained", None)
    cfg.model.backbone.pop("init_cfg", None)
    model = MODELS.build(cfg.model)
    inputs = torch.randn(1, 3, 48, 64, generator=torch.Generator().manual_seed(0))
    optimized = assert_optimized_model_matches(model, lambda m: m(inputs, None, mode="tensor"))
    convs = [m for m in optimized.modules() if isinstance(m, torch.nn.Conv2d)]
    assert all(c.weight.is_contiguous(memory_format=torch.channels_last) for c in convs)
