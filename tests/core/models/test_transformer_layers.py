"""Transformer bricks: windows, shifted-window masks, relative positions, PatchEmbed / PatchMerging,
FFN, DropPath and MultiheadAttention against plain references computed another way."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from visionbox.core.models.layers import (
    FFN,
    DropPath,
    MultiheadAttention,
    PatchEmbed,
    PatchMerging,
    ShiftWindowMSA,
    WindowMSA,
    build_dropout,
    relative_position_index,
    shifted_window_mask,
    window_partition,
    window_reverse,
)


def _partition_loop(x: torch.Tensor, w: int) -> torch.Tensor:
    batch, height, width, _ = x.shape
    windows = [
        x[b, i : i + w, j : j + w]
        for b in range(batch)
        for i in range(0, height, w)
        for j in range(0, width, w)
    ]
    return torch.stack(windows)


def _mask_loop(height: int, width: int, w: int, s: int) -> torch.Tensor:
    """The Swin paper's mask: label 9 regions by slices, compare labels pixel by pixel."""
    label = torch.zeros(height, width)
    slices = (slice(0, -w), slice(-w, -s), slice(-s, None))
    for count, (hs, ws) in enumerate(itertools.product(slices, slices)):
        label[hs, ws] = count
    windows = _partition_loop(label[None, :, :, None], w).view(-1, w * w)
    n = w * w
    mask = torch.zeros(windows.shape[0], n, n)
    for k in range(windows.shape[0]):
        for p in range(n):
            for q in range(n):
                if windows[k, p] != windows[k, q]:
                    mask[k, p, q] = -100.0
    return mask


def test_window_partition_and_reverse_against_a_loop():
    x = torch.randn(2, 12, 8, 5)
    windows = window_partition(x, 4)
    assert windows.shape == (2 * 3 * 2, 4, 4, 5)
    assert torch.equal(windows, _partition_loop(x, 4))
    assert torch.equal(window_reverse(windows, 12, 8), x)


@pytest.mark.parametrize(("height", "width", "w", "s"), [(8, 8, 4, 2), (12, 8, 4, 1), (6, 9, 3, 1)])
def test_shifted_window_mask_against_a_loop(height, width, w, s):
    mask = shifted_window_mask(height, width, w, s)
    expected = _mask_loop(height, width, w, s)
    assert torch.equal(mask, expected)
    # the first window never straddles regions; the last one (bottom right) does
    assert (mask[0] == 0).all() and (mask[-1] != 0).any()


def test_relative_position_index_against_a_hand_built_table():
    wh, ww = 2, 3
    tokens = [(i, j) for i in range(wh) for j in range(ww)]
    expected = torch.tensor(
        [[(i - k + wh - 1) * (2 * ww - 1) + (j - m + ww - 1) for k, m in tokens] for i, j in tokens]
    )
    assert torch.equal(relative_position_index((wh, ww)), expected)
    # a token and itself read the centre of the table; opposite offsets mirror around it
    index = relative_position_index((7, 7))
    centre = 6 * 13 + 6
    assert (index.diagonal() == centre).all()
    assert torch.equal(index + index.T, torch.full_like(index, 2 * centre))


def _window_attention_reference(module: WindowMSA, x: torch.Tensor, mask: torch.Tensor | None):
    """Swin's attention written out: softmax(q k^T * scale + bias + mask) v."""
    batch_windows, n, c = x.shape
    heads = module.num_heads
    qkv = module.qkv(x).reshape(batch_windows, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0] * module.scale, qkv[1], qkv[2]
    attn = q @ k.transpose(-2, -1)
    table = module.relative_position_bias_table
    bias = torch.stack(
        [
            torch.stack([table[module.relative_position_index[p, q_]] for q_ in range(n)])
            for p in range(n)
        ]
    ).permute(2, 0, 1)
    attn = attn + bias[None]
    if mask is not None:
        num_windows = mask.shape[0]
        attn = attn.view(-1, num_windows, heads, n, n) + mask[None, :, None]
        attn = attn.view(-1, heads, n, n)
    out = (attn.softmax(-1) @ v).transpose(1, 2).reshape(batch_windows, n, c)
    return module.proj(out)


@pytest.mark.parametrize("shift", [0, 2])
def test_window_attention_equals_the_written_out_math(shift):
    torch.manual_seed(0)
    module = ShiftWindowMSA(16, 2, window_size=4, shift_size=shift).eval()
    torch.nn.init.normal_(module.w_msa.relative_position_bias_table, std=1.0)
    x = torch.randn(2, 7 * 6, 16)
    out = module(x, (7, 6))
    # reference: pad to 8x8, roll, window, attend, unroll, crop
    grid = F.pad(x.view(2, 7, 6, 16), (0, 0, 0, 2, 0, 1))
    if shift:
        grid = torch.roll(grid, (-shift, -shift), (1, 2))
    mask = shifted_window_mask(8, 8, 4, shift) if shift else None
    windows = _partition_loop(grid, 4).view(-1, 16, 16)
    attended = _window_attention_reference(module.w_msa, windows, mask).view(-1, 4, 4, 16)
    grid = window_reverse(attended, 8, 8)
    if shift:
        grid = torch.roll(grid, (shift, shift), (1, 2))
    expected = grid[:, :7, :6].reshape(2, 42, 16)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_window_attention_keys_and_checks():
    module = ShiftWindowMSA(8, 2, window_size=3, shift_size=1)
    assert set(module.state_dict()) == {
        "w_msa.relative_position_bias_table",
        "w_msa.relative_position_index",
        "w_msa.qkv.weight",
        "w_msa.qkv.bias",
        "w_msa.proj.weight",
        "w_msa.proj.bias",
    }
    assert module.w_msa.relative_position_bias_table.shape == (25, 2)
    with pytest.raises(ValueError, match="shift_size"):
        ShiftWindowMSA(8, 2, window_size=3, shift_size=3)
    with pytest.raises(ValueError, match="tokens"):
        module(torch.randn(1, 10, 8), (3, 3))


def test_patch_embed_corner_padding_and_out_size():
    embed = PatchEmbed(3, 8, kernel_size=4, stride=4, norm_cfg=dict(type="LN"), input_size=(30, 31))
    assert set(embed.state_dict()) == {
        "projection.weight",
        "projection.bias",
        "norm.weight",
        "norm.bias",
    }
    x = torch.randn(2, 3, 30, 31)
    tokens, size = embed(x)
    assert size == (8, 8) == embed.init_out_size and tokens.shape == (2, 64, 8)
    padded = F.pad(x, (0, 1, 0, 2))  # bottom and right only
    expected = embed.norm(embed.projection(padded).flatten(2).transpose(1, 2))
    torch.testing.assert_close(tokens, expected)
    same = PatchEmbed(3, 8, kernel_size=4, stride=4, padding="same")
    same.load_state_dict(embed.state_dict(), strict=False)
    expected = same.projection(F.pad(x, (0, 1, 1, 1))).flatten(2).transpose(1, 2)
    torch.testing.assert_close(same(x)[0], expected)
    with pytest.raises(ValueError, match="corner"):
        PatchEmbed(3, 8, padding="middle")


def test_patch_merging_groups_channel_major_neighbourhoods():
    merge = PatchMerging(4, 6, norm_cfg=None)
    x = torch.randn(1, 5 * 4, 4)
    out, size = merge(x, (5, 4))
    assert size == (3, 2) and out.shape == (1, 6, 6)
    grid = F.pad(x.view(1, 5, 4, 4), (0, 0, 0, 0, 0, 1))  # corner padding to 6x4
    # neighbourhood (0, 0): channel-major order c * 4 + di * 2 + dj
    first = torch.stack([grid[0, di, dj, c] for c in range(4) for di in (0, 1) for dj in (0, 1)])
    torch.testing.assert_close(out[0, 0], merge.reduction(first))
    assert set(PatchMerging(4, 8).state_dict()) == {"norm.weight", "norm.bias", "reduction.weight"}


def test_ffn_keys_identity_and_layer_scale():
    ffn = FFN(8, 16, act_cfg=dict(type="GELU"))
    assert set(ffn.state_dict()) == {
        "layers.0.0.weight",
        "layers.0.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    }
    x = torch.randn(2, 5, 8)
    hidden = F.gelu(ffn.layers[0][0](x))
    torch.testing.assert_close(ffn(x), x + ffn.layers[1](hidden))
    identity = torch.randn(2, 5, 8)
    torch.testing.assert_close(ffn(x, identity=identity), identity + ffn.layers[1](hidden))
    scaled = FFN(8, 16, add_identity=False, layer_scale_init_value=0.5)
    assert "gamma2.weight" in scaled.state_dict()
    torch.testing.assert_close(scaled(x), 0.5 * scaled.layers(x))
    with pytest.raises(ValueError, match="num_fcs"):
        FFN(8, 16, num_fcs=1)


def test_drop_path_drops_whole_samples_and_rescales():
    torch.manual_seed(0)
    layer = build_dropout(dict(type="DropPath", drop_prob=0.5))
    assert isinstance(layer, DropPath)
    x = torch.ones(400, 3, 2)
    out = layer(x)
    per_sample = out.flatten(1)
    kept = per_sample[:, 0] > 0
    assert set(per_sample.unique().tolist()) <= {0.0, 2.0}
    assert (per_sample == per_sample[:, :1]).all()  # a sample is kept or dropped as a whole
    assert 0.35 < kept.float().mean() < 0.65
    assert torch.equal(layer.eval()(x), x)
    with pytest.raises(KeyError, match="DropPath"):
        build_dropout(dict(type="DropPth", drop_prob=0.1))


def test_multihead_attention_equals_explicit_softmax():
    torch.manual_seed(0)
    attn = MultiheadAttention(8, 2, batch_first=True).eval()
    keys = set(attn.state_dict())
    assert keys == {
        "attn.in_proj_weight",
        "attn.in_proj_bias",
        "attn.out_proj.weight",
        "attn.out_proj.bias",
    }
    x = torch.randn(2, 5, 8)
    pos = torch.randn(2, 5, 8)
    weights, bias = attn.attn.in_proj_weight, attn.attn.in_proj_bias
    q = F.linear(x + pos, weights[:8], bias[:8]).view(2, 5, 2, 4).transpose(1, 2)
    k = F.linear(x + pos, weights[8:16], bias[8:16]).view(2, 5, 2, 4).transpose(1, 2)
    v = F.linear(x, weights[16:], bias[16:]).view(2, 5, 2, 4).transpose(1, 2)
    mixed = ((q @ k.transpose(-1, -2)) / 2.0).softmax(-1) @ v
    expected = x + attn.attn.out_proj(mixed.transpose(1, 2).reshape(2, 5, 8))
    torch.testing.assert_close(attn(x, query_pos=pos), expected, rtol=1e-5, atol=1e-6)
