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
SIZE = 96  # a 12 x 12 feature map


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


def test_psp_exports_to_onnx_where_its_pool_scales_do_not_divide_the_features(tmp_path):
    """ONNX has no adaptive pooling: at 80 x 80 (a 10 x 10 map; scales 3 and 6 do not divide
    it) the pooled branches run as matrix products and still equal eager."""
    pytest.importorskip("onnxruntime")
    wrapper = end2end(_model("PSPHead"))
    export_and_verify(wrapper, torch.randn(2, 3, 80, 80), "onnx", tmp_path)
