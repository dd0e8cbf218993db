"""``BaseCascadeDecodeHead``: a decode head that also reads the previous head's logits, as the
later stages of :class:`~visionbox.segmentation.models.segmentors.CascadeEncoderDecoder` do."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

from torch import Tensor

from .decode_head import BaseDecodeHead

__all__ = ["BaseCascadeDecodeHead"]


class BaseCascadeDecodeHead(BaseDecodeHead):
    """Base of cascade heads: ``forward(inputs, prev_output)``; ``prev_output`` is the previous
    stage's (N, K, h, w) logits."""

    @abstractmethod
    def forward(self, inputs: Sequence[Tensor], prev_output: Tensor) -> Tensor:  # type: ignore[override]
        """Backbone levels and previous logits -> (N, K, h, w) logits."""

    def loss(  # type: ignore[override]
        self,
        inputs: Sequence[Tensor],
        prev_output: Tensor,
        batch_data_samples: list,
        train_cfg: dict | None = None,
    ) -> dict:
        """Losses of this stage."""
        return self.loss_by_feat(self.forward(inputs, prev_output), batch_data_samples)

    def predict(  # type: ignore[override]
        self,
        inputs: Sequence[Tensor],
        prev_output: Tensor,
        batch_img_metas: list[dict],
        test_cfg: dict | None = None,
    ) -> Tensor:
        """(N, K, H, W) logits at the padded input size."""
        return self.predict_by_feat(self.forward(inputs, prev_output), batch_img_metas)
