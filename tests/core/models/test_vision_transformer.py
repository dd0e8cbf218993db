"""VisionTransformer (mmpretrain's, as ViTPose uses it) and its position-embedding resize."""

from __future__ import annotations

import pytest
import torch

from visionbox.core.models.backbones import VisionTransformer
from visionbox.core.models.backbones.vision_transformer import resize_pos_embed
from visionbox.core.models.layers.vit_attention import MultiheadSelfAttention

TINY = dict(embed_dims=16, num_layers=3, num_heads=2, feedforward_channels=32)


def _vit(**kwargs) -> VisionTransformer:
    args = dict(arch=TINY, img_size=32, patch_size=8)
    args.update(kwargs)
    model = VisionTransformer(**args)
    model.init_weights()
    return model


def test_resize_keeps_extra_tokens_and_replicates_cells_with_nearest():
    grid = torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(1, 6, 4)  # 2x3 grid, C=4
    pos = torch.cat([torch.full((1, 1, 4), -1.0), grid], dim=1)
    out = resize_pos_embed(pos, (2, 3), (4, 6), mode="nearest", num_extra_tokens=1)
    assert out.shape == (1, 1 + 24, 4)
    assert torch.equal(out[:, 0], pos[:, 0])
    # nearest x2: cell (i, j) of the new grid is cell (i // 2, j // 2) of the old one
    new = out[0, 1:].reshape(4, 6, 4)
    old = grid[0].reshape(2, 3, 4)
    for i in range(4):
        for j in range(6):
            assert torch.equal(new[i, j], old[i // 2, j // 2])
    assert resize_pos_embed(pos, (2, 3), (2, 3)) is pos


def test_resize_bicubic_matches_interpolating_the_grid_as_an_image():
    torch.manual_seed(0)
    pos = torch.randn(1, 12, 5)  # 3x4 grid, no extra token
    out = resize_pos_embed(pos, (3, 4), (5, 7), mode="bicubic", num_extra_tokens=0)
    image = pos[0].T.reshape(1, 5, 3, 4)
    expected = torch.nn.functional.interpolate(image, (5, 7), mode="bicubic").reshape(5, 35).T
    torch.testing.assert_close(out[0], expected)
    with pytest.raises(ValueError, match="pos_embed has 12 tokens, not 3x3"):
        resize_pos_embed(pos, (3, 3), (5, 7), num_extra_tokens=0)


def test_another_input_size_resizes_the_position_embedding_on_the_fly():
    torch.manual_seed(0)
    model = _vit(out_type="featmap", with_cls_token=False).eval()
    assert model.patch_resolution == (4, 4)
    (same,) = model(torch.randn(1, 3, 32, 32))
    assert same.shape == (1, 16, 4, 4)
    x = torch.randn(2, 3, 48, 40)
    (feat,) = model(x)
    assert feat.shape == (2, 16, 6, 5)
    # the same network with a position embedding learned for 48x40: identical output
    other = _vit(img_size=(48, 40), out_type="featmap", with_cls_token=False).eval()
    state = model.state_dict()
    state["pos_embed"] = resize_pos_embed(model.pos_embed, (4, 4), (6, 5), num_extra_tokens=0)
    other.load_state_dict(state)
    torch.testing.assert_close(other(x)[0], feat)


def test_a_checkpoint_of_another_size_is_resized_when_loaded():
    small = _vit(img_size=32)
    big = _vit(img_size=64, with_cls_token=False, out_type="featmap")
    big.load_state_dict({k: v for k, v in small.state_dict().items() if k != "cls_token"})
    assert big.pos_embed.shape == (1, 64, 16)  # 8x8 grid, the class token's entry dropped
    expected = resize_pos_embed(small.pos_embed[:, 1:], (4, 4), (8, 8), num_extra_tokens=0)
    torch.testing.assert_close(big.pos_embed.data, expected)
    odd = {**small.state_dict(), "pos_embed": torch.zeros(1, 1 + 12, 16)}
    with pytest.raises(ValueError, match="not a square grid"):
        _vit(img_size=64).load_state_dict(odd)


@pytest.mark.parametrize(("out_type", "shape"), [
    ("featmap", (2, 16, 4, 4)),
    ("cls_token", (2, 16)),
    ("avg_featmap", (2, 16)),
    ("raw", (2, 17, 16)),
])  # fmt: skip
def test_out_types(out_type, shape):
    model = _vit(out_type=out_type, out_indices=(0, -1)).eval()
    outs = model(torch.randn(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [shape, shape]
    assert model.out_indices == [0, 2]


def test_state_dict_keys_follow_mmpretrain():
    state = _vit(out_type="avg_featmap", layer_scale_init_value=0.1).state_dict()
    for key, shape in {
        "cls_token": (1, 1, 16),
        "pos_embed": (1, 17, 16),
        "patch_embed.projection.weight": (16, 3, 8, 8),
        "layers.0.ln1.weight": (16,),
        "layers.0.attn.qkv.weight": (48, 16),
        "layers.0.attn.proj.bias": (16,),
        "layers.0.attn.gamma1.weight": (16,),
        "layers.2.ffn.layers.0.0.weight": (32, 16),
        "layers.2.ffn.layers.1.weight": (16, 32),
        "layers.2.ffn.gamma2.weight": (16,),
        "ln1.weight": (16,),
        "ln2.weight": (16,),
    }.items():
        assert tuple(state[key].shape) == shape, key


def test_vitpose_small_backbone_parameter_count():
    with torch.device("meta"):
        model = VisionTransformer(
            arch=dict(embed_dims=384, num_layers=12, num_heads=12, feedforward_channels=1536),
            img_size=(256, 192),
            with_cls_token=False,
            out_type="featmap",
            patch_cfg=dict(padding=2),
        )
    assert model.patch_resolution == (16, 12)
    assert sum(p.numel() for p in model.parameters()) == 21_663_360


def test_attention_equals_explicit_softmax():
    torch.manual_seed(0)
    attn = MultiheadSelfAttention(12, 3).eval()
    x = torch.randn(2, 7, 12)
    q, k, v = attn.qkv(x).reshape(2, 7, 3, 3, 4).permute(2, 0, 3, 1, 4)
    weights = (q @ k.transpose(-2, -1) / 2.0).softmax(-1)  # 1 / sqrt(4)
    expected = attn.proj((weights @ v).transpose(1, 2).reshape(2, 7, 12))
    torch.testing.assert_close(attn(x), expected, atol=1e-6, rtol=1e-5)


def test_every_parameter_gets_a_gradient():
    torch.manual_seed(0)
    model = _vit(out_type="featmap", drop_path_rate=0.1, layer_scale_init_value=0.5).train()
    (feat,) = model(torch.randn(2, 3, 40, 24))
    feat.square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert not missing


def test_frozen_stages_stop_gradients_and_stay_in_eval():
    model = _vit(frozen_stages=2, drop_rate=0.1).train()
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert {"pos_embed", "cls_token", "patch_embed.projection.weight"} <= frozen
    assert any(n.startswith("layers.1.") for n in frozen)
    assert not any(n.startswith("layers.2.") or n.startswith("ln1") for n in frozen)
    assert not model.layers[0].training and model.layers[2].training


def test_layer_depth():
    model = _vit()
    assert model.get_layer_depth("backbone.pos_embed", "backbone.") == (0, 5)
    assert model.get_layer_depth("backbone.layers.1.attn.qkv.weight", "backbone.") == (2, 5)
    assert model.get_layer_depth("backbone.ln1.weight", "backbone.") == (4, 5)
    assert model.get_layer_depth("head.fc.weight", "backbone.") == (4, 5)


def test_configuration_errors_name_the_choices():
    with pytest.raises(KeyError, match="Did you mean 'base'"):
        VisionTransformer(arch="bsae")
    with pytest.raises(KeyError, match="needs the keys"):
        VisionTransformer(arch=dict(embed_dims=8))
    with pytest.raises(ValueError, match="out_type must be one of"):
        _vit(out_type="feature_map")
    with pytest.raises(ValueError, match="with_cls_token must be True"):
        _vit(with_cls_token=False)
    with pytest.raises(ValueError, match=r"out_indices \[3\] are outside the 3 layers"):
        _vit(out_indices=3)
    with pytest.raises(ValueError, match="ffn_type='origin' only"):
        _vit(layer_cfgs=dict(ffn_type="swiglu_fused"))
