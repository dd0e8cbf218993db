"""paramwise_cfg of mmengine's default constructor and VisionBox's layer-wise lr decay."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from visionbox.core.optim import build_optim_wrapper, layer_id_table

BASE_LR, BASE_WD = 0.1, 0.01


def _group_of(wrapper, param: nn.Parameter) -> dict:
    groups = [g for g in wrapper.optimizer.param_groups if any(p is param for p in g["params"])]
    assert len(groups) == 1
    return groups[0]


class PwModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.conv = nn.Conv2d(3, 4, 3)
        self.backbone.bn = nn.BatchNorm2d(4)
        self.backbone.dw = nn.Conv2d(4, 4, 3, groups=4)
        self.head = nn.Linear(4, 2)


def test_paramwise_cfg_multipliers():
    model = PwModel()
    cfg = dict(
        optimizer=dict(type="SGD", lr=BASE_LR, momentum=0.9, weight_decay=BASE_WD),
        paramwise_cfg=dict(
            custom_keys={"head": dict(lr_mult=0.5, decay_mult=0.0)},
            bias_lr_mult=2.0,
            bias_decay_mult=0.5,
            norm_decay_mult=0.0,
            dwconv_decay_mult=0.1,
        ),
    )
    wrapper = build_optim_wrapper(model, cfg)
    b = model.backbone
    # (parameter, lr, weight decay): custom keys first, then norm > bias > depth-wise for decay;
    # bias_lr_mult skips norm biases.
    expected = [
        (b.conv.weight, BASE_LR, BASE_WD),
        (b.conv.bias, BASE_LR * 2, BASE_WD * 0.5),
        (b.bn.weight, BASE_LR, 0.0),
        (b.bn.bias, BASE_LR, 0.0),
        (b.dw.weight, BASE_LR, BASE_WD * 0.1),
        (b.dw.bias, BASE_LR * 2, BASE_WD * 0.5),
        (model.head.weight, BASE_LR * 0.5, 0.0),
        (model.head.bias, BASE_LR * 0.5, 0.0),
    ]
    for param, lr, wd in expected:
        group = _group_of(wrapper, param)
        assert group["lr"] == pytest.approx(lr)
        assert group["weight_decay"] == pytest.approx(wd)


def test_custom_keys_longest_match_wins():
    model = PwModel()
    keys = {"backbone": dict(lr_mult=0.1), "backbone.conv": dict(lr_mult=0.0)}
    wrapper = build_optim_wrapper(
        model, dict(optimizer=dict(type="SGD", lr=BASE_LR), paramwise_cfg=dict(custom_keys=keys))
    )
    assert _group_of(wrapper, model.backbone.conv.weight)["lr"] == 0.0
    assert _group_of(wrapper, model.backbone.bn.weight)["lr"] == pytest.approx(BASE_LR * 0.1)
    assert _group_of(wrapper, model.head.weight)["lr"] == pytest.approx(BASE_LR)


def test_bypass_duplicate():
    model = PwModel()
    model.tied = nn.Linear(4, 2)
    model.tied.weight = model.head.weight  # one parameter reachable from two modules
    cfg = dict(optimizer=dict(type="SGD", lr=BASE_LR), paramwise_cfg=dict(bias_lr_mult=2.0))
    with pytest.raises(ValueError, match="more than one parameter group"):
        build_optim_wrapper(model, cfg)
    cfg["paramwise_cfg"]["bypass_duplicate"] = True
    wrapper = build_optim_wrapper(model, cfg)
    total = sum(len(g["params"]) for g in wrapper.optimizer.param_groups)
    assert total == len(list(model.parameters()))


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(x))) + x


class ResNetLike(nn.Module):
    """``backbone.conv1/bn1`` stem, ``layer1``/``layer2`` of two blocks, then a head."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.conv1 = nn.Conv2d(3, 4, 3, bias=False)
        self.backbone.bn1 = nn.BatchNorm2d(4)
        self.backbone.layer1 = nn.Sequential(Block(), Block())
        self.backbone.layer2 = nn.Sequential(Block(), Block())
        self.decode_head = nn.Linear(4, 2)


def _decay_cfg(**paramwise) -> dict:
    return dict(
        constructor="LayerDecayOptimizerConstructor",
        optimizer=dict(type="AdamW", lr=1.0, weight_decay=0.05),
        paramwise_cfg=paramwise,
    )


def test_layer_wise_decay_on_a_resnet_like_backbone():
    model = ResNetLike()
    wrapper = build_optim_wrapper(model, _decay_cfg(num_layers=4, decay_rate=0.5))
    b = model.backbone
    # layer ids: stem 0, blocks 1..4 in order, head 5; lr = 0.5 ** (5 - id)
    expected = [
        (b.conv1.weight, 0, 0.05),
        (b.bn1.weight, 0, 0.0),
        (b.layer1[0].conv.weight, 1, 0.05),
        (b.layer1[1].conv.weight, 2, 0.05),
        (b.layer2[0].bn.bias, 3, 0.0),
        (b.layer2[1].conv.weight, 4, 0.05),
        (model.decode_head.weight, 5, 0.05),
        (model.decode_head.bias, 5, 0.0),
    ]
    for param, layer, wd in expected:
        group = _group_of(wrapper, param)
        assert group["lr"] == pytest.approx(0.5 ** (5 - layer))
        assert group["lr_scale"] == pytest.approx(0.5 ** (5 - layer))
        assert group["weight_decay"] == wd
        assert group["group_name"] == f"layer_{layer}_{'decay' if wd else 'no_decay'}"
    assert sum(len(g["params"]) for g in wrapper.optimizer.param_groups) == len(
        list(model.parameters())
    )


def test_fewer_layers_than_blocks_spreads_blocks_evenly():
    model = ResNetLike()
    wrapper = build_optim_wrapper(model, _decay_cfg(num_layers=2, decay_rate=0.5))
    b = model.backbone
    ids = [1, 1, 2, 2]  # 1 + g * 2 // 4 for the 4 blocks
    blocks = [b.layer1[0], b.layer1[1], b.layer2[0], b.layer2[1]]
    for block, layer in zip(blocks, ids):
        assert _group_of(wrapper, block.conv.weight)["lr"] == pytest.approx(0.5 ** (3 - layer))


def test_stage_wise_decay_and_the_mmseg_name():
    model = ResNetLike()
    cfg = _decay_cfg(num_layers=2, decay_rate=0.9, decay_type="stage_wise")
    cfg["constructor"] = "LearningRateDecayOptimizerConstructor"
    wrapper = build_optim_wrapper(model, cfg)
    b = model.backbone
    for param, layer in [
        (b.conv1.weight, 0),
        (b.layer1[1].conv.weight, 1),
        (b.layer2[0].conv.weight, 2),
    ]:
        assert _group_of(wrapper, param)["lr"] == pytest.approx(0.9 ** (3 - layer))
    assert _group_of(wrapper, model.decode_head.weight)["lr"] == pytest.approx(1.0)


def _mmseg_vit_layer_id(name: str, num_layers: int) -> int:
    """mmsegmentation's get_layer_id_for_vit, written out as a reference."""
    if name in ("backbone.cls_token", "backbone.mask_token", "backbone.pos_embed"):
        return 0
    if name.startswith("backbone.patch_embed"):
        return 0
    if name.startswith("backbone.layers"):
        return int(name.split(".")[2]) + 1
    return num_layers + 1


def test_vit_like_layers_match_the_mmseg_rule():
    names = ["backbone.cls_token", "backbone.pos_embed", "backbone.patch_embed.proj.weight"]
    names += [f"backbone.layers.{i}.attn.qkv.weight" for i in range(12)]
    names += ["backbone.ln1.weight", "decode_head.conv_seg.weight"]
    table = layer_id_table(names, num_layers=12)
    for name in names:
        assert table[name] == _mmseg_vit_layer_id(name, 12), name
    with pytest.raises(ValueError, match="stage_wise"):
        layer_id_table(names, num_layers=12, decay_type="stage_wise")


def test_swin_like_stages_spread_blocks_evenly():
    names = [
        "backbone.patch_embed.projection.weight",
        "backbone.stages.0.blocks.0.attn.w_msa.qkv.weight",
        "backbone.stages.0.blocks.1.attn.w_msa.qkv.weight",
        "backbone.stages.0.downsample.reduction.weight",
        "backbone.stages.1.blocks.0.ffn.layers.1.weight",
        "backbone.stages.1.blocks.1.ffn.layers.1.weight",
        "neck.conv.weight",
    ]
    table = layer_id_table(names, num_layers=4)
    assert [table[n] for n in names] == [0, 1, 2, 1, 3, 4, 5]
    table = layer_id_table(names, num_layers=2, decay_type="stage_wise")
    assert [table[n] for n in names] == [0, 1, 1, 1, 2, 2, 3]


def test_frozen_parameters_are_left_out():
    model = ResNetLike()
    model.backbone.conv1.weight.requires_grad_(False)
    wrapper = build_optim_wrapper(model, _decay_cfg(num_layers=4, decay_rate=0.5))
    params = [p for g in wrapper.optimizer.param_groups for p in g["params"]]
    assert all(p is not model.backbone.conv1.weight for p in params)
    assert len(params) == len(list(model.parameters())) - 1


@pytest.mark.parametrize(
    ("paramwise", "error", "match"),
    [
        (dict(num_layers=4, decay_rat=0.5), KeyError, "'decay_rat'.*Did you mean 'decay_rate'"),
        (dict(decay_rate=0.5), KeyError, "needs paramwise_cfg.num_layers"),
        (dict(num_layers=4, decay_rate=1.5), ValueError, r"decay_rate must be in \(0, 1\]"),
        (dict(num_layers=0, decay_rate=0.5), ValueError, "num_layers must be a positive int"),
        (
            dict(num_layers=4, decay_rate=0.5, decay_type="layerwise"),
            ValueError,
            "Did you mean 'layer_wise'",
        ),
        (
            dict(num_layers=1, decay_rate=0.5, decay_type="stage_wise"),
            ValueError,
            "found 2 backbone stages but num_layers=1",
        ),
    ],
)
def test_bad_layer_decay_config(paramwise, error, match):
    with pytest.raises(error, match=match):
        build_optim_wrapper(ResNetLike(), _decay_cfg(**paramwise))


def test_legacy_layer_decay_rate_and_missing_backbone():
    wrapper = build_optim_wrapper(ResNetLike(), _decay_cfg(num_layers=4, layer_decay_rate=0.5))
    assert min(g["lr"] for g in wrapper.optimizer.param_groups) == pytest.approx(0.5**5)
    with pytest.raises(ValueError, match="needs a model with a `backbone`"):
        build_optim_wrapper(nn.Linear(2, 2), _decay_cfg(num_layers=4, decay_rate=0.5))


def test_layer_decay_trains():
    model = ResNetLike()
    wrapper = build_optim_wrapper(model, _decay_cfg(num_layers=4, decay_rate=0.5))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    x = torch.randn(2, 3, 9, 9)
    backbone = model.backbone
    features = backbone.layer2(backbone.layer1(backbone.bn1(backbone.conv1(x))))
    loss = model.decode_head(features.mean((2, 3))).pow(2).sum()
    wrapper.update_params(loss)
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed == set(before)  # every parameter is in a group and gets updated
