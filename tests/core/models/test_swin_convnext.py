"""SwinTransformer and ConvNeXt: shapes, gradients, gradient checkpointing, freezing, and loading
checkpoints in the original / timm layouts (synthetic files written here)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from visionbox.core.engine.loading import CheckpointMismatchError
from visionbox.core.models.backbones import ConvNeXt, SwinTransformer
from visionbox.core.models.backbones.weight_layouts import convert_swin_weights
from visionbox.core.models.layers import GRN, LayerNorm2d, PatchMerging
from visionbox.core.registry import MODELS

TINY_SWIN = dict(embed_dims=8, depths=(2, 2), num_heads=(2, 2), strides=(4, 2), window_size=3)
TINY_CONVNEXT = dict(arch=dict(depths=[1, 2], channels=[8, 16]), out_indices=[0, 1])


def tiny_swin(**kwargs) -> SwinTransformer:
    return SwinTransformer(**{**TINY_SWIN, "out_indices": (0, 1), **kwargs})


def tiny_convnext(**kwargs) -> ConvNeXt:
    return ConvNeXt(**{**TINY_CONVNEXT, "gap_before_final_norm": False, **kwargs})


def test_swin_shapes_on_sizes_that_are_not_window_multiples():
    model = MODELS.build(dict(type="SwinTransformer", **TINY_SWIN, out_indices=(0, 1)))
    outs = model(torch.randn(2, 3, 38, 53))
    # patch embedding pads to 40x56 -> 10x14 tokens; merging pads to 10x14 -> 5x7
    assert [tuple(o.shape) for o in outs] == [(2, 8, 10, 14), (2, 16, 5, 7)]
    assert model.out_channels == [8, 16]


def test_swin_tiny_defaults_and_keys():
    model = SwinTransformer()
    assert sum(p.numel() for p in model.parameters()) == 27_520_698  # mmdet's Swin-T backbone
    keys = model.state_dict()
    assert "stages.0.blocks.1.attn.w_msa.relative_position_bias_table" in keys
    assert keys["stages.0.blocks.1.attn.w_msa.relative_position_index"].shape == (49, 49)
    assert "stages.2.downsample.reduction.weight" in keys and "stages.3.downsample" not in str(
        list(keys)
    )
    assert {"norm0.weight", "norm3.bias", "patch_embed.projection.weight"} <= set(keys)
    with pytest.raises(ValueError, match="patch_size"):
        SwinTransformer(patch_size=2)
    with pytest.raises(ValueError, match="out_indices"):
        SwinTransformer(out_indices=(4,))


@pytest.mark.parametrize("build", [tiny_swin, tiny_convnext])
def test_every_parameter_receives_a_gradient(build):
    torch.manual_seed(0)
    model = build(drop_path_rate=0.1)
    model.init_weights()
    sum(o.square().mean() for o in model(torch.randn(2, 3, 32, 32))).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert not missing


@pytest.mark.parametrize("build", [tiny_swin, tiny_convnext])
def test_with_cp_gives_the_same_outputs_and_gradients(build):
    torch.manual_seed(0)
    plain, checkpointed = build(), build(with_cp=True)
    plain.init_weights()
    checkpointed.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 32, 32)
    grads = []
    for model in (plain, checkpointed):
        inp = x.clone().requires_grad_(True)
        sum(o.square().mean() for o in model(inp)).backward()
        grads.append({n: p.grad for n, p in model.named_parameters()} | {"input": inp.grad})
    for name, grad in grads[0].items():
        torch.testing.assert_close(grads[1][name], grad, rtol=1e-5, atol=1e-7, msg=name)


def test_frozen_stages_stop_gradients_and_stay_in_eval():
    swin = tiny_swin(frozen_stages=1, drop_rate=0.5)
    swin.train()
    frozen = [n for n, p in swin.named_parameters() if not p.requires_grad]
    assert all(n.startswith(("patch_embed", "stages.0", "norm0")) for n in frozen)
    assert any(n.startswith("stages.0") for n in frozen) and not swin.stages[0].training
    assert all(p.requires_grad for p in swin.stages[1].parameters()) and swin.stages[1].training
    convnext = tiny_convnext(frozen_stages=1)
    convnext.train()
    assert not any(p.requires_grad for p in convnext.downsample_layers[0].parameters())
    assert all(p.requires_grad for p in convnext.stages[1].parameters())


def test_convnext_tiny_keys_outputs_and_arch_errors():
    model = ConvNeXt(arch="tiny", out_indices=[0, 1, 2, 3], gap_before_final_norm=False)
    assert sum(p.numel() for p in model.parameters()) == 27_821_472
    keys = set(model.state_dict())
    assert {"downsample_layers.0.0.weight", "downsample_layers.1.0.weight", "norm3.weight"} <= keys
    assert {"stages.2.8.depthwise_conv.weight", "stages.2.8.pointwise_conv2.bias"} <= keys
    assert "stages.0.0.gamma" in keys
    pooled = ConvNeXt(arch="atto")(torch.randn(1, 3, 32, 32))
    assert len(pooled) == 1 and pooled[0].shape == (1, 320)
    with pytest.raises(KeyError, match="tiny"):
        ConvNeXt(arch="tiyn")


def test_layer_norm_2d_and_grn_formulas():
    x = torch.randn(2, 4, 3, 5)
    norm = LayerNorm2d(4, eps=1e-6)
    torch.nn.init.normal_(norm.weight)
    mean, var = x.mean(1, keepdim=True), x.var(1, unbiased=False, keepdim=True)
    expected = (x - mean) / (var + 1e-6).sqrt() * norm.weight.view(1, 4, 1, 1) + norm.bias.view(
        1, 4, 1, 1
    )
    torch.testing.assert_close(norm(x), expected)
    torch.testing.assert_close(
        norm(x.permute(0, 2, 3, 1), data_format="channel_last"), expected.permute(0, 2, 3, 1)
    )
    grn = GRN(4)
    torch.nn.init.normal_(grn.gamma)
    energy = x.square().sum((2, 3), keepdim=True).sqrt()
    scale = energy / (energy.mean(1, keepdim=True) + 1e-6)
    expected = grn.gamma.view(1, 4, 1, 1) * x * scale + x
    torch.testing.assert_close(grn(x), expected)


# ---- checkpoints in the original / timm layouts --------------------------------------------


def _original_merge(x: torch.Tensor, norm_weight, norm_bias, reduction) -> torch.Tensor:
    """The original Swin PatchMerging: concatenate x0..x3, LayerNorm, Linear."""
    x0, x1 = x[:, 0::2, 0::2], x[:, 1::2, 0::2]
    x2, x3 = x[:, 0::2, 1::2], x[:, 1::2, 1::2]
    merged = torch.cat([x0, x1, x2, x3], -1).flatten(1, 2)
    merged = F.layer_norm(merged, merged.shape[-1:], norm_weight, norm_bias)
    return merged @ reduction.T


def test_converted_patch_merging_equals_the_original_merge():
    torch.manual_seed(0)
    channels = 6
    weight, bias = torch.randn(4 * channels), torch.randn(4 * channels)
    reduction = torch.randn(2 * channels, 4 * channels)
    converted = convert_swin_weights(
        {
            "layers.0.downsample.norm.weight": weight,
            "layers.0.downsample.norm.bias": bias,
            "layers.0.downsample.reduction.weight": reduction,
            "layers.0.blocks.0.norm1.weight": torch.ones(channels),
        }
    )
    merge = PatchMerging(channels, 2 * channels)
    merge.load_state_dict(
        {
            k.removeprefix("stages.0.downsample."): v
            for k, v in converted.items()
            if "downsample" in k
        }
    )
    x = torch.randn(2, 4, 6, channels)
    ours, _ = merge(x.flatten(1, 2), (4, 6))
    torch.testing.assert_close(ours, _original_merge(x, weight, bias, reduction))


def _official_swin_keys(model: SwinTransformer, timm: bool) -> dict[str, torch.Tensor]:
    """Our Swin's tensors renamed to the original (or timm >= 0.9) release's names, random values;
    merging weights are stored in the original concatenation order."""
    names = {
        "attn.w_msa.": "attn.",
        "ffn.layers.0.0.": "mlp.fc1.",
        "ffn.layers.1.": "mlp.fc2.",
        "patch_embed.projection.": "patch_embed.proj.",
    }
    out = {"head.weight": torch.randn(10, 16), "norm.weight": torch.ones(16)}
    for key, value in model.state_dict().items():
        if key.startswith("norm"):
            continue
        new = key
        for ours, theirs in names.items():
            new = new.replace(ours, theirs)
        if new.startswith("stages."):
            stage, rest = new[len("stages.") :].split(".", 1)
            if timm and rest.startswith("downsample."):
                stage = str(int(stage) + 1)
            new = f"layers.{stage}.{rest}"
        out[new] = (
            torch.randn_like(value.float()).to(value.dtype) if value.is_floating_point() else value
        )
    out["layers.0.blocks.1.attn_mask"] = torch.zeros(4, 9, 9)
    return out


@pytest.mark.parametrize("timm", [False, True])
def test_swin_loads_original_and_timm_checkpoints(tmp_path, timm):
    torch.manual_seed(0)
    model = tiny_swin(convert_weights=True)
    official = _official_swin_keys(model, timm)
    path = tmp_path / "swin.pth"
    torch.save({"model": official}, path)
    model = tiny_swin(
        convert_weights=not timm, init_cfg=dict(type="Pretrained", checkpoint=str(path))
    )
    model.init_weights()
    state = model.state_dict()
    torch.testing.assert_close(
        state["patch_embed.projection.weight"], official["patch_embed.proj.weight"]
    )
    torch.testing.assert_close(
        state["stages.1.blocks.1.attn.w_msa.relative_position_bias_table"],
        official["layers.1.blocks.1.attn.relative_position_bias_table"],
    )
    torch.testing.assert_close(
        state["stages.0.blocks.0.ffn.layers.1.weight"], official["layers.0.blocks.0.mlp.fc2.weight"]
    )
    source = "layers.1.downsample." if timm else "layers.0.downsample."
    x = torch.randn(1, 4, 6, 8)
    ours, _ = model.stages[0].downsample(x.flatten(1, 2), (4, 6))
    expected = _original_merge(
        x,
        official[source + "norm.weight"],
        official[source + "norm.bias"],
        official[source + "reduction.weight"],
    )
    torch.testing.assert_close(ours, expected)


def test_swin_resizes_bias_tables_and_refuses_unrelated_checkpoints(tmp_path):
    torch.manual_seed(0)
    other = tiny_swin(window_size=5)  # tables of 9x9 rows
    path = tmp_path / "swin_w5.pth"
    torch.save({"state_dict": {f"backbone.{k}": v for k, v in other.state_dict().items()}}, path)
    model = tiny_swin(init_cfg=dict(type="Pretrained", checkpoint=str(path)))
    model.init_weights()  # window 3: 5x5 rows, bicubic-resized
    assert model.stages[0].blocks[0].attn.w_msa.relative_position_bias_table.shape == (25, 2)
    torch.testing.assert_close(
        model.stages[1].blocks[0].ffn.layers[1].weight,
        other.stages[1].blocks[0].ffn.layers[1].weight,
    )
    unrelated = tmp_path / "unrelated.pth"
    torch.save({"state_dict": {"head.fc.weight": torch.zeros(2, 2)}}, unrelated)
    model = tiny_swin(init_cfg=dict(type="Pretrained", checkpoint=str(unrelated)))
    with pytest.raises(CheckpointMismatchError, match="unrelated.pth"):
        model.init_weights()


def _official_convnext_keys(model: ConvNeXt, timm: bool) -> dict[str, torch.Tensor]:
    out = {"head.weight" if not timm else "head.fc.weight": torch.randn(10, 16)}
    for key, value in model.state_dict().items():
        new = key
        if key.startswith("norm1."):
            new = ("head.norm." if timm else "norm.") + key.split(".")[-1]
        elif key.startswith("norm0."):
            continue
        elif timm:
            new = new.replace("depthwise_conv", "conv_dw").replace("pointwise_conv", "mlp.fc")
            if new.startswith("downsample_layers.0."):
                new = new.replace("downsample_layers.0.", "stem.")
            elif new.startswith("downsample_layers."):
                stage = new.split(".")[1]
                new = new.replace(f"downsample_layers.{stage}.", f"stages.{stage}.downsample.")
            elif new.startswith("stages."):
                _, stage, block, rest = new.split(".", 3)
                new = f"stages.{stage}.blocks.{block}.{rest}"
        else:
            new = new.replace("depthwise_conv", "dwconv").replace("pointwise_conv", "pwconv")
        out[new] = torch.randn_like(value)
    return out


@pytest.mark.parametrize("timm", [False, True])
def test_convnext_loads_original_and_timm_checkpoints(tmp_path, timm):
    torch.manual_seed(0)
    reference = ConvNeXt(**TINY_CONVNEXT)
    official = _official_convnext_keys(reference, timm)
    path = tmp_path / "convnext.pth"
    torch.save(official, path)
    model = ConvNeXt(**TINY_CONVNEXT, init_cfg=dict(type="Pretrained", checkpoint=str(path)))
    model.init_weights()
    state = model.state_dict()
    dw = "stages.1.blocks.1.conv_dw.weight" if timm else "stages.1.1.dwconv.weight"
    torch.testing.assert_close(state["stages.1.1.depthwise_conv.weight"], official[dw])
    fc2 = "stages.0.blocks.0.mlp.fc2.bias" if timm else "stages.0.0.pwconv2.bias"
    torch.testing.assert_close(state["stages.0.0.pointwise_conv2.bias"], official[fc2])
    stem = "stem.1.weight" if timm else "downsample_layers.0.1.weight"
    torch.testing.assert_close(state["downsample_layers.0.1.weight"], official[stem])
    final = "head.norm.weight" if timm else "norm.weight"
    torch.testing.assert_close(state["norm1.weight"], official[final])


def test_convnext_pretrained_prefix_of_mmpretrain_checkpoints(tmp_path):
    torch.manual_seed(0)
    source = ConvNeXt(**TINY_CONVNEXT)
    path = tmp_path / "mmpretrain.pth"
    state = {f"backbone.{k}": torch.randn_like(v) for k, v in source.state_dict().items()}
    torch.save({"state_dict": {**state, "head.fc.weight": torch.zeros(3, 16)}}, path)
    model = ConvNeXt(
        **TINY_CONVNEXT, init_cfg=dict(type="Pretrained", checkpoint=str(path), prefix="backbone.")
    )
    model.init_weights()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, state[f"backbone.{key}"])


def test_convnext_layer_depth_follows_mmpretrain():
    tiny = ConvNeXt(arch="tiny")  # depths[-2] = 9: 6 layers, 8 in all
    expected = {
        "backbone.downsample_layers.0.0.weight": (0, 8),
        "backbone.downsample_layers.2.1.weight": (3, 8),
        "backbone.downsample_layers.3.1.weight": (6, 8),
        "backbone.stages.1.2.gamma": (2, 8),
        "backbone.stages.2.5.gamma": (4, 8),
        "backbone.stages.3.0.gamma": (6, 8),
        "backbone.norm3.weight": (7, 8),
        "head.fc.weight": (7, 8),
    }
    for name, depth in expected.items():
        assert tiny.get_layer_depth(name, prefix="backbone.") == depth, name
    assert ConvNeXt(arch="small").get_layer_depth("backbone.stages.2.26.gamma", "backbone.") == (
        3 + 26 // 3,
        14,
    )
