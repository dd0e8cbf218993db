"""MixVisionTransformer (SegFormer's MiT) and its spatial-reduction attention."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from visionbox.core.models.backbones import MixVisionTransformer
from visionbox.core.models.layers.sr_attention import (
    EfficientMultiheadAttention,
    nchw_to_nlc,
    nlc_to_nchw,
)
from visionbox.core.registry import MODELS


def _tiny(**kwargs) -> MixVisionTransformer:
    args = dict(embed_dims=8, num_layers=[1, 1, 2, 1], num_heads=[1, 2, 2, 4])
    args.update(kwargs)
    model = MixVisionTransformer(**args)
    model.init_weights()
    return model


@pytest.mark.parametrize(("sr_ratio", "hw", "reduced"), [
    (1, (13, 10), (13, 10)),
    (2, (13, 10), (6, 5)),
    (4, (13, 10), (3, 2)),
    (8, (16, 24), (2, 3)),
])  # fmt: skip
def test_spatial_reduction_shapes(sr_ratio, hw, reduced):
    torch.manual_seed(0)
    attn = EfficientMultiheadAttention(16, 2, sr_ratio=sr_ratio, qkv_bias=True).eval()
    x = torch.randn(3, hw[0] * hw[1], 16)
    kv = attn.reduce(x, hw)
    assert kv.shape == (3, reduced[0] * reduced[1], 16)
    assert attn(x, hw).shape == x.shape
    assert hasattr(attn, "sr") == (sr_ratio > 1)


def test_sr_attention_equals_explicit_softmax_on_reduced_tokens():
    """The peer's math: nn.MultiheadAttention with its weights on the conv-reduced, normed map."""
    torch.manual_seed(0)
    attn = EfficientMultiheadAttention(16, 4, sr_ratio=2, qkv_bias=True).eval()
    hw = (6, 8)
    x = torch.randn(2, 48, 16)
    identity = torch.randn(2, 48, 16)
    kv = attn.norm(attn.sr(x.transpose(1, 2).reshape(2, 16, 6, 8)).flatten(2).transpose(1, 2))
    q, k, v = x.transpose(0, 1), kv.transpose(0, 1), kv.transpose(0, 1)
    expected = attn.attn(q, k, v, need_weights=True)[0].transpose(0, 1) + identity
    torch.testing.assert_close(attn(x, hw, identity=identity), expected, atol=1e-5, rtol=1e-5)


def test_token_layout_round_trip():
    x = torch.randn(2, 5, 3, 4)
    tokens = nchw_to_nlc(x)
    assert tokens.shape == (2, 12, 5)
    assert torch.equal(tokens[0, 4 + 1], x[0, :, 1, 1])  # row-major: token 5 = (y=1, x=1)
    assert torch.equal(nlc_to_nchw(tokens, (3, 4)), x)
    with pytest.raises(ValueError, match="do not form a 4x4 map"):
        nlc_to_nchw(tokens, (4, 4))


def test_mit_stage_shapes_and_channels():
    model = _tiny().eval()
    outs = model(torch.randn(2, 3, 65, 97))
    # overlapping patch embeds: stride 4 (k7, p3) then stride 2 (k3, p1): ceil divisions
    sizes = [(17, 25), (9, 13), (5, 7), (3, 4)]
    assert [tuple(o.shape) for o in outs] == [(2, c, *s) for c, s in zip([8, 16, 16, 32], sizes)]
    assert model.out_channels == [8, 16, 16, 32]
    assert _tiny(out_indices=(1, 3)).out_channels == [16, 32]


def test_mit_state_dict_keys_follow_mmseg():
    state = _tiny().state_dict()
    for key, shape in {
        "layers.0.0.projection.weight": (8, 3, 7, 7),
        "layers.0.0.norm.weight": (8,),
        "layers.0.1.0.norm1.weight": (8,),
        "layers.0.1.0.attn.attn.in_proj_weight": (24, 8),
        "layers.0.1.0.attn.attn.in_proj_bias": (24,),
        "layers.0.1.0.attn.attn.out_proj.weight": (8, 8),
        "layers.0.1.0.attn.sr.weight": (8, 8, 8, 8),
        "layers.0.1.0.attn.norm.weight": (8,),
        "layers.0.1.0.ffn.layers.0.weight": (32, 8, 1, 1),
        "layers.0.1.0.ffn.layers.1.weight": (32, 1, 3, 3),
        "layers.0.1.0.ffn.layers.4.weight": (8, 32, 1, 1),
        "layers.2.1.1.norm2.bias": (16,),
        "layers.3.0.projection.weight": (32, 16, 3, 3),
        "layers.3.2.weight": (32,),
    }.items():
        assert tuple(state[key].shape) == shape, key
    assert not any(k.startswith("layers.3.1.0.attn.sr") for k in state)  # sr_ratio 1


def test_mit_b0_backbone_parameter_count():
    with torch.device("meta"):
        model = MODELS.build(
            dict(type="MixVisionTransformer", embed_dims=32, num_layers=[2, 2, 2, 2],
                 num_heads=[1, 2, 5, 8])
        )  # fmt: skip
    # SegFormer-b0 (3,753,718 in mmseg 1.2) minus its 434,326-parameter SegformerHead; the whole
    # model is counted in tests/segmentation/test_segformer.py.
    assert sum(p.numel() for p in model.parameters()) == 3_319_392


def test_every_parameter_gets_a_gradient():
    torch.manual_seed(0)
    model = _tiny(drop_path_rate=0.1).train()
    outs = model(torch.randn(2, 3, 32, 32))
    # A random projection of each output: a plain mean of a LayerNorm output over its channels is
    # constant, so it would give the last stage no gradient whatever the model does.
    sum((o * torch.randn_like(o)).sum() for o in outs).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert not missing


def test_with_cp_gives_the_same_gradients():
    torch.manual_seed(0)
    plain = _tiny()
    checkpointed = _tiny(with_cp=True)
    checkpointed.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    grads = []
    for model in (plain, checkpointed):
        x.grad = None
        model.zero_grad()
        sum(o.square().mean() for o in model(x)).backward()
        grads.append([x.grad.clone()] + [p.grad for p in model.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b)


def test_drop_path_rises_linearly_over_all_blocks():
    model = _tiny(drop_path_rate=0.4)
    rates = [
        block.attn.dropout_layer.drop_prob for _, blocks, _ in model.layers for block in blocks
    ]
    assert rates == pytest.approx([0.4 * i / 4 for i in range(5)])
    assert isinstance(model.layers[0][1][0].attn.dropout_layer, nn.Module)


def test_init_weights_follows_mmseg():
    model = _tiny()
    conv = model.layers[0][0].projection
    fan_out = 7 * 7 * 8
    assert abs(conv.weight.std().item() - math.sqrt(2 / fan_out)) < 0.02
    assert torch.all(model.layers[0][2].weight == 1)


def test_configuration_errors_name_the_arguments():
    with pytest.raises(ValueError, match=r"per-stage lists have other lengths: \{'sr_ratios': 3\}"):
        MixVisionTransformer(sr_ratios=[8, 4, 2])
    with pytest.raises(ValueError, match=r"out_indices must be in range\(0, 4\)"):
        MixVisionTransformer(out_indices=(0, 4))
    with pytest.raises(ValueError, match="sr_ratio must be >= 1"):
        EfficientMultiheadAttention(8, 2, sr_ratio=0)
