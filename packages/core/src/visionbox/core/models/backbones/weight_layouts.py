"""Backbone weights published in other layouts, mapped to the OpenMMLab keys of our backbones.

* Swin: the original release (microsoft/Swin-Transformer: ``layers.<i>.blocks.<j>.attn.*``,
  ``mlp.fc1``, ``layers.<i>.downsample`` at the end of stage ``i``) and timm >= 0.9 (the same
  names with ``layers.<i>.downsample`` at the start of stage ``i``) become mmdetection's /
  mmsegmentation's keys, as mmdetection's ``swin_converter`` (``convert_weights=True``) and
  mmsegmentation's ``swin2mmseg.py`` do: ``attn.`` -> ``attn.w_msa.``, ``mlp.fc1`` ->
  ``ffn.layers.0.0``, ``mlp.fc2`` -> ``ffn.layers.1``, ``patch_embed.proj`` ->
  ``patch_embed.projection``, ``layers`` -> ``stages``, and the patch-merging weights reordered
  from the ``[x0, x1, x2, x3]`` concatenation to ``nn.Unfold``'s channel-major order.
* ConvNeXt: the original release (facebookresearch/ConvNeXt: ``dwconv``, ``pwconv1/2``, ``norm``)
  and timm (``stem``, ``stages.<i>.downsample``, ``stages.<i>.blocks.<j>.conv_dw``, ``mlp.fc1/2``,
  ``head.norm``) become mmpretrain's keys, as mmpretrain's ``convnext_to_mmpretrain.py`` does.

Classification heads are dropped. Keys already in the OpenMMLab layout pass through unchanged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping

from mmengine.logging import print_log
from torch import Tensor, nn

__all__ = [
    "convert_convnext_weights",
    "convert_swin_weights",
    "is_convnext_official_layout",
    "is_swin_official_layout",
    "load_backbone_weights",
    "strip_prefix",
]


def strip_prefix(state_dict: Mapping[str, Tensor], prefix: str) -> dict[str, Tensor]:
    """Keep the keys under ``prefix`` (e.g. ``'backbone.'``), without it; all keys when none is."""
    if not prefix or not any(k.startswith(prefix) for k in state_dict):
        return dict(state_dict)
    return {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}


def is_swin_official_layout(state_dict: Mapping[str, Tensor]) -> bool:
    """True for the original / timm key layout (``layers.<i>.blocks...``)."""
    return any(k.startswith("layers.") and ".blocks." in k for k in state_dict)


def _unfold_order_weight(weight: Tensor) -> Tensor:
    """(C_out, 4 * C) in [x0, x1, x2, x3] order -> ``nn.Unfold``'s (C, kh, kw) order."""
    out_channels, in_channels = weight.shape
    weight = weight.reshape(out_channels, 4, in_channels // 4)[:, [0, 2, 1, 3], :]
    return weight.transpose(1, 2).reshape(out_channels, in_channels)


def _unfold_order_vector(vector: Tensor) -> Tensor:
    """(4 * C,) in [x0, x1, x2, x3] order -> ``nn.Unfold``'s order."""
    in_channels = vector.shape[0]
    return vector.reshape(4, in_channels // 4)[[0, 2, 1, 3], :].transpose(0, 1).reshape(-1)


_SWIN_RENAMES = (
    ("attn.", "attn.w_msa."),
    ("mlp.fc1.", "ffn.layers.0.0."),
    ("mlp.fc2.", "ffn.layers.1."),
)
_SWIN_DOWNSAMPLE = re.compile(r"^layers\.(\d+)\.downsample\.")


def convert_swin_weights(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Map an original or timm Swin checkpoint's backbone keys to ``SwinTransformer``'s.

    The final ``norm`` and ``head`` of the classifier are dropped (our outputs have one norm per
    ``out_indices`` entry, ``norm<i>``); so are the ``attn_mask`` buffers of the original code.
    """
    keys = list(state_dict)
    # timm >= 0.9 keeps stage i's merging at the start of stage i + 1: layers.1.downsample is the
    # merging after stage 0. The original code has it at the end: layers.0.downsample.
    downsample_stages = {int(m.group(1)) for k in keys if (m := _SWIN_DOWNSAMPLE.match(k))}
    shift = 1 if downsample_stages and 0 not in downsample_stages else 0
    converted: dict[str, Tensor] = {}
    for key, value in state_dict.items():
        if key.startswith(("head", "norm.")) or key.endswith("attn_mask"):
            continue
        new_key = key
        if key.startswith("layers."):
            match = _SWIN_DOWNSAMPLE.match(key)
            if match:
                stage = int(match.group(1)) - shift
                new_key = f"layers.{stage}.downsample." + key[match.end() :]
                if "reduction." in key:
                    value = _unfold_order_weight(value)
                elif "norm." in key:
                    value = _unfold_order_vector(value)
            for old, new in _SWIN_RENAMES:
                new_key = new_key.replace(old, new, 1)
            new_key = "stages." + new_key[len("layers.") :]
        elif key.startswith("patch_embed.proj."):
            new_key = key.replace("patch_embed.proj.", "patch_embed.projection.")
        converted[new_key] = value
    return converted


def is_convnext_official_layout(state_dict: Mapping[str, Tensor]) -> bool:
    """True for the original (``dwconv``) or timm (``conv_dw`` / ``stem``) key layout."""
    return any(".dwconv." in k or ".conv_dw." in k or k.startswith("stem.") for k in state_dict)


_CONVNEXT_TIMM = (
    (re.compile(r"^stem\."), "downsample_layers.0."),
    (re.compile(r"^stages\.(\d+)\.downsample\."), r"downsample_layers.\1."),
    (re.compile(r"^stages\.(\d+)\.blocks\.(\d+)\."), r"stages.\1.\2."),
)
_CONVNEXT_NAMES = (
    (".conv_dw.", ".depthwise_conv."),
    (".dwconv.", ".depthwise_conv."),
    (".mlp.fc1.", ".pointwise_conv1."),
    (".mlp.fc2.", ".pointwise_conv2."),
    (".pwconv1.", ".pointwise_conv1."),
    (".pwconv2.", ".pointwise_conv2."),
)


def convert_convnext_weights(
    state_dict: Mapping[str, Tensor], last_stage: int = 3
) -> dict[str, Tensor]:
    """Map an original or timm ConvNeXt checkpoint's keys to mmpretrain's ``ConvNeXt`` keys.

    The classifier's final norm (``norm`` / ``head.norm``) becomes ``norm<last_stage>``; the
    classifier (``head`` / ``head.fc``) is dropped.
    """
    converted: dict[str, Tensor] = {}
    for key, value in state_dict.items():
        if key.startswith(("norm.", "head.norm.")):
            converted[f"norm{last_stage}." + key.rsplit(".", 1)[1]] = value
            continue
        if key.startswith("head"):
            continue
        new_key = key
        for pattern, replacement in _CONVNEXT_TIMM:
            new_key = pattern.sub(replacement, new_key)
        for old, new in _CONVNEXT_NAMES:
            new_key = new_key.replace(old, new)
        converted[new_key] = value
    return converted


def load_backbone_weights(
    module: nn.Module,
    checkpoint: str,
    prefix: str = "backbone.",
    convert: Callable[[dict[str, Tensor]], dict[str, Tensor]] | None = None,
    adapt: Callable[[dict[str, Tensor]], dict[str, Tensor]] | None = None,
) -> dict[str, Tensor]:
    """Load the backbone weights of ``checkpoint`` into ``module``; return what was loaded.

    The checkpoint is read through core's safe loader; its ``state_dict`` / ``model`` is taken,
    ``prefix`` stripped (keys outside it dropped, when any key has it), ``convert`` applied (a
    layout mapping above) and then ``adapt`` (e.g. resizing tables to the model). Tensors whose
    name and shape fit are loaded; the rest is logged, as the peers load with ``strict=False``.

    Raises:
        CheckpointMismatchError: no tensor of the checkpoint fits ``module`` (a wrong file or
            layout); the message names the file and the first keys of both sides.
    """
    from ...engine.loading import (
        CheckpointMismatchError,
        compare_state_dicts,
        extract_state_dict,
        read_checkpoint,
    )

    state = extract_state_dict(read_checkpoint(checkpoint), f"Checkpoint {checkpoint!r}")
    state = strip_prefix(state, prefix)
    if convert is not None:
        state = convert(state)
    if adapt is not None:
        state = adapt(state)
    own = module.state_dict()
    mismatch = compare_state_dicts(own, state)
    fits = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    name = type(module).__name__
    if not fits:
        raise CheckpointMismatchError(
            f"No weight of checkpoint {checkpoint!r} fits {name} (init_cfg prefix {prefix!r}):\n"
            f"{mismatch.describe()}\nCheck the file, the prefix and the architecture arguments.",
            mismatch,
        )
    if mismatch:
        print_log(
            f"{name}: loaded {len(fits)} tensors of {checkpoint}; the rest:\n{mismatch.describe()}",
            logger="current",
            level=logging.WARNING,
        )
    module.load_state_dict(fits, strict=False)
    return fits
