"""Helpers shared by the pose heads: decoding a batch with a codec, flip-test helpers and
collecting targets from data samples.

Shape shorthand: B samples, K keypoints, H x W heatmaps, W_x / W_y SimCC bins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from mmengine.structures import InstanceData
from torch import Tensor

from ...registry import KEYPOINT_CODECS

__all__ = [
    "build_decoder",
    "decode_batch",
    "flip_coordinates",
    "flip_heatmaps",
    "flip_vectors",
    "gather_labels",
    "to_numpy",
]


def build_decoder(decoder: dict | Any | None) -> Any:
    """Build a codec from its config (or take a built one); None stays None."""
    if decoder is None or not isinstance(decoder, dict):
        return decoder
    return KEYPOINT_CODECS.build(decoder)


def to_numpy(x: Tensor | tuple | list) -> Any:
    """Detach tensors (also inside tuples/lists) to NumPy float32 arrays."""
    if isinstance(x, (tuple, list)):
        return type(x)(to_numpy(v) for v in x)
    return x.detach().float().cpu().numpy()


def decode_batch(decoder: Any, batch_outputs: Any) -> list[InstanceData]:
    """Decode per-sample outputs with ``decoder`` into ``InstanceData(keypoints,
    keypoint_scores)``.

    Args:
        decoder: A keypoint codec; None raises.
        batch_outputs: A (B, ...) tensor, or a tuple of them (decoded together, e.g. SimCC x/y).

    Raises:
        RuntimeError: when the head has no decoder.
    """
    if decoder is None:
        raise RuntimeError(
            "The head has no decoder: set decoder=<codec config> on the head to predict keypoints."
        )
    outputs = to_numpy(batch_outputs)
    if isinstance(outputs, tuple):
        samples = list(zip(*outputs))
        decoded = [decoder.decode(*sample) for sample in samples]
    else:
        decoded = [decoder.decode(sample) for sample in outputs]
    results = []
    for keypoints, scores in decoded:
        results.append(InstanceData(keypoints=keypoints, keypoint_scores=scores))
    return results


def flip_heatmaps(
    heatmaps: Tensor,
    flip_mode: str = "heatmap",
    flip_indices: Sequence[int] | None = None,
    shift_heatmap: bool = False,
) -> Tensor:
    """Undo a horizontal image flip on (B, K, H, W) heatmaps.

    Args:
        flip_mode: ``'heatmap'`` (swap left/right channels by ``flip_indices``), ``'udp_combined'``
            or ``'offset'`` (mmpose's other layouts, not supported here).
        shift_heatmap: Shift one pixel right: a flipped image's pixel ``x`` maps to
            ``W - 1 - x`` in the input but to ``W_h - 1 - x / stride`` in the heatmap.
    """
    if flip_mode != "heatmap":
        raise ValueError(f"flip_mode must be 'heatmap'; got {flip_mode!r}.")
    if flip_indices is None:
        raise ValueError("Flip test needs the dataset's flip_indices in the data samples.")
    if len(flip_indices) != heatmaps.shape[1]:
        raise ValueError(
            f"flip_indices has {len(flip_indices)} entries for {heatmaps.shape[1]} heatmaps."
        )
    heatmaps = heatmaps.flip(-1)[:, list(flip_indices)]
    if shift_heatmap:
        heatmaps = torch.cat([heatmaps[..., :1], heatmaps[..., :-1]], dim=-1)
    return heatmaps


def flip_vectors(x_labels: Tensor, y_labels: Tensor, flip_indices: Sequence[int]) -> tuple:
    """Undo a horizontal flip on (B, K, W_x) / (B, K, W_y) SimCC vectors."""
    index = list(flip_indices)
    if len(index) != x_labels.shape[1]:
        raise ValueError(
            f"flip_indices has {len(index)} entries for {x_labels.shape[1]} keypoints."
        )
    return x_labels.flip(-1)[:, index], y_labels[:, index]


def flip_coordinates(
    coords: Tensor,
    flip_indices: Sequence[int],
    shift_coords: bool,
    input_size: tuple[int, int],
) -> Tensor:
    """Undo a horizontal flip on (B, K, 2) coordinates normalised by the input size."""
    coords = coords[:, list(flip_indices)].clone()
    coords[..., 0] = 1.0 - coords[..., 0]
    if shift_coords:
        coords[..., 0] -= 1.0 / input_size[0]
    return coords


def gather_labels(batch_data_samples: Sequence, key: str, device: torch.device) -> Tensor:
    """Concatenate ``gt_instance_labels.<key>`` of every sample along the instance axis."""
    parts = []
    for sample in batch_data_samples:
        labels = getattr(sample, "gt_instance_labels", None)
        if labels is None or key not in labels:
            raise KeyError(
                f"The data samples have no gt_instance_labels.{key}: check that the pipeline's "
                "GenerateTarget uses the head's codec."
            )
        value = labels.get(key)
        parts.append(torch.as_tensor(np.asarray(value)) if not isinstance(value, Tensor) else value)
    return torch.cat(parts).to(device).float()
