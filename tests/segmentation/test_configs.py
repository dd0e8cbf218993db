"""Every shipped config loads and validates; the Cityscapes models have mmseg 1.2's sizes and keys.

The R50 models are built on the ``meta`` device: the parameters get shapes but no memory or
initialisation, so building all five takes about a second.
"""

from __future__ import annotations

import glob
import os.path as osp
import warnings

import pytest
import torch

from visionbox.core.engine import load_config
from visionbox.segmentation.registry import MODELS

CONFIGS = osp.join(
    osp.dirname(__file__), "..", "..", "packages/segmentation/src/visionbox/segmentation/configs"
)
SHIPPED = sorted(
    osp.relpath(p, CONFIGS) for p in glob.glob(osp.join(CONFIGS, "*", "*.py")) if "_base_" not in p
)

# mmsegmentation 1.2's parameter counts and a few of its state_dict keys.
CITYSCAPES = {
    "pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py": (
        48_975_494,
        ["decode_head.psp_modules.3.1.conv.weight", "decode_head.bottleneck.bn.running_mean"],
    ),
    "fcn/fcn_r50-d8_4xb2-40k_cityscapes-512x1024.py": (
        49_497_734,
        ["decode_head.convs.1.conv.weight", "decode_head.conv_cat.conv.weight"],
    ),
    "deeplabv3/deeplabv3_r50-d8_4xb2-40k_cityscapes-512x1024.py": (
        68_113_030,
        ["decode_head.image_pool.1.conv.weight", "decode_head.aspp_modules.3.conv.weight"],
    ),
    "deeplabv3plus/deeplabv3plus_r50-d8_4xb2-40k_cityscapes-512x1024.py": (
        43_589_878,
        [
            "decode_head.c1_bottleneck.conv.weight",
            "decode_head.sep_bottleneck.1.pointwise_conv.conv.weight",
            "decode_head.aspp_modules.1.depthwise_conv.conv.weight",
        ],
    ),
    "upernet/upernet_r50_4xb2-40k_cityscapes-512x1024.py": (
        66_415_238,
        [
            "decode_head.lateral_convs.2.conv.weight",
            "decode_head.fpn_convs.0.bn.weight",
            "decode_head.fpn_bottleneck.conv.weight",
        ],
    ),
}
COMMON_KEYS = [
    "backbone.stem.0.weight",
    "backbone.stem.7.running_var",
    "backbone.layer4.2.conv3.weight",
    "decode_head.conv_seg.weight",
    "auxiliary_head.convs.0.conv.weight",
    "auxiliary_head.conv_seg.bias",
]


def test_the_five_cityscapes_configs_ship():
    assert set(CITYSCAPES) <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_config_loads_and_validates(name):
    cfg = load_config(osp.join(CONFIGS, name))
    assert cfg.default_scope == "segmentation"
    cfg.validate()


@pytest.mark.parametrize("name", list(CITYSCAPES))
def test_cityscapes_model_has_mmseg_parameter_count_and_keys(name):
    expected, keys = CITYSCAPES[name]
    cfg = load_config(osp.join(CONFIGS, name))
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")  # SyncBN -> BN in one process
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == expected
    state = model.state_dict()
    missing = [k for k in COMMON_KEYS + keys if k not in state]
    assert not missing, missing
    # mmseg's dilated ResNet-50-C: output stride 8 with the first dilated block contracted
    # (UPerNet: output stride 32, no dilation).
    dilated = not name.startswith("upernet")
    assert [b.conv2.dilation[0] for b in model.backbone.layer4] == (
        [2, 4, 4] if dilated else [1] * 3
    )
    assert model.decode_head.num_classes == 19
