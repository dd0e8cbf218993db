"""Export of segmentors: the end-to-end wrapper for :mod:`visionbox.core.deploy`, registered for
the ``segmentation`` scope.

Shape shorthand: N images of the preprocessed (N, 3, H, W) input; K classes.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from visionbox.core.deploy import register_end2end
from visionbox.core.utils.errors import UserError

from ..models.segmentors.encoder_decoder import EncoderDecoder

__all__ = ["SegmentorEnd2End", "segmentor_end2end"]


class SegmentorEnd2End(nn.Module):
    """An encoder-decoder (or cascade) segmentor with its test-time inference (``whole`` or
    ``slide``, as its ``test_cfg`` says) and the argmax.

    Outputs at the input size, as ``predict`` gives them for an unpadded, unresized image:

    - ``seg_logits`` (N, K, H, W): the logits (for a binary head, K = 1, the sigmoid);
    - ``seg_pred`` (N, H, W) int64: the argmax over K (binary: above the head's threshold).
    """

    output_names = ("seg_logits", "seg_pred")

    def __init__(self, model: EncoderDecoder) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: Tensor) -> tuple[Tensor, Tensor]:
        """(N, 3, H, W) -> ``seg_logits`` (N, K, H, W), ``seg_pred`` (N, H, W)."""
        shape = tuple(inputs.shape[-2:])
        # One meta for the batch (the heads read the first): a list of N would fix N in the graph.
        metas = [dict(ori_shape=shape, img_shape=shape, pad_shape=shape)]
        logits = self.model.inference(inputs, metas)
        if logits.size(1) > 1:
            return logits, logits.argmax(1)
        probs = logits.sigmoid()
        return probs, (probs[:, 0] > self.model.decode_head.threshold).to(torch.int64)


@register_end2end("segmentation")
def segmentor_end2end(model: nn.Module, component: str | None = None) -> nn.Module:
    """The end-to-end wrapper of a segmentor (``component`` must be ``None``)."""
    if component not in (None, "segmentor"):
        raise UserError(f"a segmentor exports as a whole; got component={component!r}")
    if not isinstance(model, EncoderDecoder):
        raise UserError(
            f"no end-to-end export for {type(model).__name__}; segmentation exports "
            "EncoderDecoder and its subclasses"
        )
    return SegmentorEnd2End(model)
