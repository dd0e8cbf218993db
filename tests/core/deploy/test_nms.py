"""Fixed-shape class-wise NMS of exported graphs against ``torchvision.ops.batched_nms`` per image,
in eager PyTorch, ``torch.export`` and ONNX (``NonMaxSuppression``), with shared and per-class
boxes, empty and single-survivor inputs; and the export entry points' user errors."""

from __future__ import annotations

import pytest
import torch
from torchvision.ops import batched_nms

from visionbox.core.deploy import export, nms_mask, topk_detections
from visionbox.core.testing.export import FORMATS, export_and_verify
from visionbox.core.utils.errors import UserError

K = 7


class _NMS(torch.nn.Module):
    output_names = ("dets", "labels")

    def forward(self, boxes, scores):
        keep = nms_mask(boxes, scores, 0.5)
        return topk_detections(boxes, scores, keep, K)[:2]


def _inputs(per_class: bool, batch: int = 2, classes: int = 3, count: int = 30):
    gen = torch.Generator().manual_seed(batch)
    boxes = torch.rand(batch, count, 4, generator=gen) * 50
    boxes[..., 2:] += boxes[..., :2] + 1
    if per_class:
        boxes = boxes[:, None] + torch.rand(batch, classes, count, 4, generator=gen) * 3
    scores = torch.rand(batch, classes, count, generator=gen)  # distinct: no ties
    return boxes, torch.where(scores > 0.3, scores, torch.zeros_like(scores))


def _reference(boxes, scores):
    """Per image: batched_nms over the (class, box) pairs scoring above 0, the K best."""
    out = []
    for i in range(scores.size(0)):
        cls, idx = torch.nonzero(scores[i] > 0, as_tuple=True)
        mine = boxes[i][idx] if boxes.dim() == 3 else boxes[i][cls, idx]
        keep = batched_nms(mine, scores[i][cls, idx], cls, 0.5)[:K]
        out.append((mine[keep], scores[i][cls, idx][keep], cls[keep]))
    return out


@pytest.mark.parametrize("per_class", [False, True])
def test_nms_equals_torchvision_batched_nms(per_class):
    boxes, scores = _inputs(per_class)
    dets, labels = _NMS()(boxes, scores)
    for i, (ref_boxes, ref_scores, ref_labels) in enumerate(_reference(boxes, scores)):
        n = len(ref_scores)
        torch.testing.assert_close(dets[i, :n, :4], ref_boxes)
        torch.testing.assert_close(dets[i, :n, 4], ref_scores)
        assert torch.equal(labels[i, :n], ref_labels)
        assert bool((dets[i, n:] == 0).all()) and bool((labels[i, n:] == -1).all())


def test_empty_and_single_survivor():
    boxes, scores = _inputs(False)
    dets, labels = _NMS()(boxes, torch.zeros_like(scores))
    assert bool((dets == 0).all()) and bool((labels == -1).all())
    one = torch.zeros_like(scores)
    one[1, 2, 5] = 0.9
    dets, labels = _NMS()(boxes, one)
    assert dets[1, 0, 4] == 0.9 and labels[1, 0] == 2 and bool((dets[0] == 0).all())
    assert torch.equal(dets[1, 0, :4], boxes[1, 5])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("per_class", [False, True])
def test_exported_nms_equals_eager(fmt, per_class, tmp_path):
    boxes, scores = _inputs(per_class)
    empty = (boxes[:1], torch.zeros_like(scores[:1]))
    single = torch.zeros_like(scores)
    single[0, 0, 3] = 0.7
    export_and_verify(
        _NMS(), (boxes, scores), fmt, tmp_path, also=(_inputs(per_class, 3), empty, (boxes, single))
    )


def test_export_user_errors(tmp_path):
    with pytest.raises(UserError, match="onnx, torch-export"):
        export(_NMS(), _inputs(False), format="tflite", path=str(tmp_path / "x"))
    with pytest.raises(ValueError, match=r"\(B, N, 4\)"):
        nms_mask(torch.zeros(3, 4), torch.zeros(1, 1, 3), 0.5)
