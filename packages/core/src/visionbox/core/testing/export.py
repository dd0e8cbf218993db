"""Helpers of the export tests: export a wrapper in a format and check it against eager."""

from __future__ import annotations

import os

import numpy as np
import torch
from torch import Tensor, nn

from ..deploy import export, verify

__all__ = ["export_and_verify", "assert_dets_equal", "FORMATS"]

FORMATS = ("onnx", "torch-export")


def export_and_verify(
    wrapper: nn.Module,
    inputs: Tensor,
    format: str,
    folder: str | os.PathLike,
    dynamic_batch: bool = True,
    also: tuple[Tensor, ...] = (),
) -> str:
    """Export ``wrapper`` on ``inputs`` to ``folder`` and verify it on ``inputs`` and on every
    tensor of ``also`` (other batch sizes, other images); return the file's path."""
    suffix = ".onnx" if format == "onnx" else ".pt2"
    path = os.path.join(os.fspath(folder), f"end2end{suffix}")
    export(wrapper, inputs, format=format, path=path, dynamic_batch=dynamic_batch)
    for batch in (inputs, *also):
        verify(path, wrapper, batch, print_fn=None)
    return path


def _by_score(rows: np.ndarray) -> np.ndarray:
    """(D, 6) ``[x1, y1, x2, y2, score, label]`` rows by decreasing score (scores within 1e-6
    count as equal), then by label and box."""
    score = np.round(rows[:, 4] * 1e6)
    order = np.lexsort((rows[:, 3], rows[:, 2], rows[:, 1], rows[:, 0], rows[:, 5], -score))
    return rows[order]


def assert_dets_equal(dets: Tensor, labels: Tensor, results: list) -> None:
    """End-to-end ``dets`` (N, K, 5) / ``labels`` (N, K) equal the eager ``pred_instances`` of
    each image (the same count, boxes within 1e-2 px, scores within 1e-4, same labels), with
    padding rows (score 0, label -1) after them. Rows of equal scores may come in either order."""
    assert dets.size(0) == len(results)
    for i, pred in enumerate(results):
        count = len(pred.scores)
        assert count <= dets.size(1)
        got = dets[i]
        valid = got[:, 4] > 0
        assert int(valid.sum()) == count, f"image {i}: {int(valid.sum())} rows, eager {count}"
        mine = np.concatenate([got[:count].numpy(), labels[i, :count, None].numpy()], 1)
        theirs = torch.cat([pred.bboxes, pred.scores[:, None], pred.labels[:, None].float()], 1)
        mine, theirs = _by_score(mine), _by_score(theirs.numpy())
        np.testing.assert_allclose(mine[:, :4], theirs[:, :4], atol=1e-2)
        np.testing.assert_allclose(mine[:, 4], theirs[:, 4], atol=1e-4)
        assert np.array_equal(mine[:, 5], theirs[:, 5])
        assert bool((labels[i, count:] == -1).all()) and bool((got[count:] == 0).all())
