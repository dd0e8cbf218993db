"""End-to-end export of segmentors: ``seg_logits`` and ``seg_pred`` of the exported ONNX and
``torch.export`` files equal the eager wrapper's, which equal ``predict``'s, for each decode head
type, on a batch of two and of three."""

from __future__ import annotations

import pytest
import torch

from visionbox.core.deploy import end2end
from visionbox.core.testing.export import FORMATS, export_and_verify
from visionbox.segmentation.deploy import SegmentorEnd2End

from .test_models import HEADS, _segmentor

EXPORTED = ["FCNHead", "PSPHead", "DepthwiseSeparableASPPHead", "UPerHead", "SegformerHead"]
SIZE = 96  # a 12 x 12 feature map: PSP's pool scales (1, 2, 3, 6) divide it, as ONNX needs


def _model(head: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return _segmentor(HEADS[head]).eval()


@pytest.mark.parametrize("head", list(HEADS))
def test_end2end_wrapper_equals_predict(head):
    model = _model(head)
    wrapper = end2end(model)
    assert isinstance(wrapper, SegmentorEnd2End)
    inputs = torch.randn(2, 3, SIZE, SIZE)
    with torch.no_grad():
        logits, pred = wrapper(inputs)
        samples = model.predict(inputs)
    assert logits.shape == (2, 3, SIZE, SIZE) and pred.shape == (2, SIZE, SIZE)
    assert pred.dtype == torch.int64
    for i, sample in enumerate(samples):
        torch.testing.assert_close(logits[i], sample.seg_logits.data, atol=1e-5, rtol=1e-5)
        assert torch.equal(pred[i], sample.pred_sem_seg.data[0])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("head", EXPORTED)
def test_exported_segmentor_equals_eager(head, fmt, tmp_path):
    wrapper = end2end(_model(head))
    inputs = torch.randn(2, 3, SIZE, SIZE)
    export_and_verify(wrapper, inputs, fmt, tmp_path, also=(torch.randn(3, 3, SIZE, SIZE),))
