"""Parameter groups of the transformer-era configs equal the peers' rules on the same models.

The references below transcribe mmsegmentation 1.2's / mmdetection 3.3's
``LearningRateDecayOptimizerConstructor.add_params`` (with ``get_layer_id_for_convnext``,
``get_stage_id_for_convnext`` and ``get_layer_id_for_vit``) and mmengine's ``custom_keys`` rule,
statement by statement, so that any difference in our constructor shows up as a failed group.
"""

# ruff: noqa: SIM114  (the peer's if/elif chains are transcribed as written)
from __future__ import annotations

import pytest
import torch
from torch import nn

from visionbox.core.models.backbones import ConvNeXt, SwinTransformer
from visionbox.core.optim import build_optim_wrapper


def _peer_convnext_layer_id(var_name: str, max_layer_id: int) -> int:
    if var_name in ("backbone.cls_token", "backbone.mask_token", "backbone.pos_embed"):
        return 0
    elif var_name.startswith("backbone.downsample_layers"):
        stage_id = int(var_name.split(".")[2])
        if stage_id == 0:
            layer_id = 0
        elif stage_id == 1:
            layer_id = 2
        elif stage_id == 2:
            layer_id = 3
        elif stage_id == 3:
            layer_id = max_layer_id
        return layer_id
    elif var_name.startswith("backbone.stages"):
        stage_id = int(var_name.split(".")[2])
        block_id = int(var_name.split(".")[3])
        if stage_id == 0:
            layer_id = 1
        elif stage_id == 1:
            layer_id = 2
        elif stage_id == 2:
            layer_id = 3 + block_id // 3
        elif stage_id == 3:
            layer_id = max_layer_id
        return layer_id
    else:
        return max_layer_id + 1


def _peer_convnext_stage_id(var_name: str, max_stage_id: int) -> int:
    if var_name in ("backbone.cls_token", "backbone.mask_token", "backbone.pos_embed"):
        return 0
    elif var_name.startswith("backbone.downsample_layers"):
        return 0
    elif var_name.startswith("backbone.stages"):
        stage_id = int(var_name.split(".")[2])
        return stage_id + 1
    else:
        return max_stage_id - 1


def _peer_vit_layer_id(var_name: str, max_layer_id: int) -> int:
    if var_name in ("backbone.cls_token", "backbone.mask_token", "backbone.pos_embed"):
        return 0
    elif var_name.startswith("backbone.patch_embed"):
        return 0
    elif var_name.startswith("backbone.layers"):
        layer_id = int(var_name.split(".")[2])
        return layer_id + 1
    else:
        return max_layer_id - 1


def _peer_groups(model: nn.Module, paramwise: dict, base_lr: float, base_wd: float, kind: str):
    """{param name: (lr, weight_decay, group_name)} as the peer's add_params assigns them."""
    num_layers = paramwise["num_layers"] + 2
    decay_rate = paramwise["decay_rate"]
    decay_type = paramwise.get("decay_type", "layer_wise")
    out = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if len(param.shape) == 1 or name.endswith(".bias") or name in ("pos_embed", "cls_token"):
            group_name, this_weight_decay = "no_decay", 0.0
        else:
            group_name, this_weight_decay = "decay", base_wd
        if "layer_wise" in decay_type:
            if kind == "convnext":
                layer_id = _peer_convnext_layer_id(name, paramwise["num_layers"])
            else:
                layer_id = _peer_vit_layer_id(name, num_layers)
        elif decay_type == "stage_wise":
            layer_id = _peer_convnext_stage_id(name, num_layers)
        scale = decay_rate ** (num_layers - layer_id - 1)
        out[name] = (scale * base_lr, this_weight_decay, f"layer_{layer_id}_{group_name}")
    return out


def _our_groups(model: nn.Module, cfg: dict) -> dict:
    wrapper = build_optim_wrapper(model, cfg)
    names = {id(p): n for n, p in model.named_parameters()}
    out = {}
    for group in wrapper.optimizer.param_groups:
        for param in group["params"]:
            out[names[id(param)]] = (group["lr"], group["weight_decay"], group["group_name"])
    return out


class _Segmentor(nn.Module):
    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.decode_head = nn.Conv2d(8, 2, 1)


def _assert_same(ours: dict, peer: dict) -> None:
    assert set(ours) == set(peer)
    for name, (lr, wd, group) in peer.items():
        assert ours[name][0] == pytest.approx(lr), name
        assert ours[name][1:] == (wd, group), name


@pytest.mark.parametrize(
    "paramwise",
    [
        # mmseg convnext-*_upernet_8xb2-amp-160k_ade20k-512x512.py
        {"decay_rate": 0.9, "decay_type": "stage_wise", "num_layers": 6},
        # mmdet convnext/cascade-mask-rcnn_convnext-t-p4-w7_fpn_4conv1fc-giou_amp-ms-crop-3x_coco
        {"decay_rate": 0.7, "decay_type": "layer_wise", "num_layers": 6},
        {"decay_rate": 0.8, "decay_type": "layer_wise", "num_layers": 12},
    ],
)
def test_convnext_groups_equal_the_peer_rule(paramwise):
    backbone = ConvNeXt(
        arch=dict(depths=[2, 2, 7, 2], channels=[8, 8, 8, 8]),
        out_indices=[0, 1, 2, 3],
        gap_before_final_norm=False,
    )
    model = _Segmentor(backbone)
    cfg = dict(
        optimizer=dict(type="AdamW", lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
        paramwise_cfg=paramwise,
        constructor="LearningRateDecayOptimizerConstructor",
    )
    _assert_same(_our_groups(model, cfg), _peer_groups(model, paramwise, 1e-4, 0.05, "convnext"))


class _ViTLike(nn.Module):
    """mmpretrain's VisionTransformer parameter names (patch_embed, cls_token, pos_embed,
    layers.<i>, ln1) and a head."""

    def __init__(self, depth: int = 4) -> None:
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.cls_token = nn.Parameter(torch.zeros(1, 1, 8))
        self.backbone.pos_embed = nn.Parameter(torch.zeros(1, 5, 8))
        self.backbone.patch_embed = nn.Module()
        self.backbone.patch_embed.projection = nn.Conv2d(3, 8, 2, 2)
        self.backbone.layers = nn.ModuleList(nn.Linear(8, 8) for _ in range(depth))
        self.backbone.ln1 = nn.LayerNorm(8)
        self.head = nn.Linear(8, 2)


@pytest.mark.parametrize("decay_type", ["layer_wise", "layer_wise_vit"])
def test_vit_groups_equal_the_peer_rule(decay_type):
    model = _ViTLike()
    paramwise = {"decay_rate": 0.65, "decay_type": decay_type, "num_layers": 4}
    cfg = dict(
        optimizer=dict(type="AdamW", lr=3e-5, weight_decay=0.05),
        paramwise_cfg=paramwise,
        constructor="LayerDecayOptimizerConstructor",
    )
    _assert_same(_our_groups(model, cfg), _peer_groups(model, paramwise, 3e-5, 0.05, "vit"))


def _mmengine_custom_key_wd(name: str, custom_keys: dict, base_wd: float) -> float:
    """mmengine's DefaultOptimWrapperConstructor: the longest matching custom key wins."""
    for key in sorted(sorted(custom_keys), key=len, reverse=True):
        if key in name:
            return base_wd * custom_keys[key].get("decay_mult", 1.0)
    return base_wd


def test_swin_adamw_paramwise_cfg_equals_the_peer_rule():
    backbone = SwinTransformer(
        embed_dims=8,
        depths=(2, 2),
        num_heads=(2, 2),
        strides=(4, 2),
        window_size=3,
        out_indices=(0, 1),
        use_abs_pos_embed=True,
        pretrain_img_size=16,
    )
    model = _Segmentor(backbone)
    custom_keys = {
        "absolute_pos_embed": dict(decay_mult=0.0),
        "relative_position_bias_table": dict(decay_mult=0.0),
        "norm": dict(decay_mult=0.0),
    }
    cfg = dict(
        optimizer=dict(type="AdamW", lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
        paramwise_cfg=dict(custom_keys=custom_keys),
    )
    wrapper = build_optim_wrapper(model, cfg)
    names = {id(p): n for n, p in model.named_parameters()}
    seen = set()
    for group in wrapper.optimizer.param_groups:
        for param in group["params"]:
            name = names[id(param)]
            seen.add(name)
            assert group["weight_decay"] == _mmengine_custom_key_wd(name, custom_keys, 0.01), name
            assert group["lr"] == 6e-5
    assert seen == set(names.values())
    no_decay = {n for n in seen if _mmengine_custom_key_wd(n, custom_keys, 0.01) == 0}
    assert "backbone.absolute_pos_embed" in no_decay
    assert "backbone.stages.1.blocks.1.attn.w_msa.relative_position_bias_table" in no_decay
    assert "backbone.stages.0.downsample.norm.weight" in no_decay
    assert "backbone.stages.0.blocks.0.attn.w_msa.qkv.weight" not in no_decay
