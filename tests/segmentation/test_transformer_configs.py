"""UPerNet Swin-T and ConvNeXt-T on ADE20K: mmseg 1.2's parameter counts and keys.

Built on the ``meta`` device: shapes without memory or initialisation.
"""

from __future__ import annotations

import os.path as osp
import warnings

import pytest
import torch

from visionbox.core.engine import load_config
from visionbox.segmentation.registry import MODELS

CONFIGS = osp.join(
    osp.dirname(__file__), "..", "..", "packages/segmentation/src/visionbox/segmentation/configs"
)
# mmsegmentation 1.2's parameter counts and a few of its state_dict keys.
ADE20K = {
    "swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py": (
        59_941_862,
        [
            "backbone.stages.2.blocks.5.attn.w_msa.relative_position_bias_table",
            "backbone.stages.2.downsample.reduction.weight",
            "backbone.norm3.weight",
        ],
    ),
    "convnext/convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512.py": (
        60_242_636,
        [
            "backbone.downsample_layers.3.1.weight",
            "backbone.stages.2.8.pointwise_conv1.weight",
            "backbone.stages.3.2.gamma",
            "backbone.norm0.bias",
        ],
    ),
}


@pytest.mark.parametrize("name", list(ADE20K))
def test_ade20k_transformer_model_has_mmseg_parameter_count_and_keys(name):
    expected, keys = ADE20K[name]
    cfg = load_config(osp.join(CONFIGS, name))
    cfg.validate()
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")  # SyncBN -> BN in one process
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == expected
    state = model.state_dict()
    assert not [k for k in keys + ["decode_head.fpn_bottleneck.conv.weight"] if k not in state]
    assert model.decode_head.num_classes == 150 and model.auxiliary_head.num_classes == 150
    assert model.backbone.out_channels == [96, 192, 384, 768]
