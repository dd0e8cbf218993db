"""``CascadeEncoderDecoder``: an encoder-decoder whose decode heads run in stages, each later
stage reading the previous stage's logits (e.g. OCRNet: an FCN head, then an OCR head)."""

from __future__ import annotations

from torch import Tensor, nn

from ...registry import MODELS
from ..utils import add_prefix, build_component
from .encoder_decoder import EncoderDecoder

__all__ = ["CascadeEncoderDecoder"]


@MODELS.register_module()
class CascadeEncoderDecoder(EncoderDecoder):
    """Cascade segmentor.

    Args:
        num_stages: Number of decode heads; ``decode_head`` is a list of that length whose heads
            after the first are cascade heads (``forward(inputs, prev_output)``).
        backbone, decode_head, neck, auxiliary_head, train_cfg, test_cfg, data_preprocessor,
        pretrained, init_cfg: As in :class:`EncoderDecoder`.
    """

    def __init__(
        self,
        num_stages: int,
        backbone: dict | nn.Module,
        decode_head: list[dict | nn.Module],
        neck: dict | nn.Module | None = None,
        auxiliary_head: dict | list[dict] | nn.Module | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        data_preprocessor: dict | nn.Module | None = None,
        pretrained: str | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        self.num_stages = num_stages
        super().__init__(
            backbone=backbone,
            decode_head=decode_head,
            neck=neck,
            auxiliary_head=auxiliary_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            pretrained=pretrained,
            init_cfg=init_cfg,
        )

    def _init_decode_head(self, decode_head: list) -> None:  # type: ignore[override]
        if not isinstance(decode_head, (list, tuple)) or len(decode_head) != self.num_stages:
            raise ValueError(
                f"CascadeEncoderDecoder needs a list of num_stages={self.num_stages} decode "
                f"heads, got {decode_head!r}."
            )
        self.decode_head = nn.ModuleList(build_component(cfg) for cfg in decode_head)
        last = self.decode_head[-1]
        self.align_corners = last.align_corners
        self.num_classes = last.num_classes
        self.out_channels = last.out_channels

    def _forward(self, inputs: Tensor, data_samples: list | None = None) -> Tensor:
        feats = self.extract_feat(inputs)
        out = self.decode_head[0].forward(feats)
        for head in self.decode_head[1:]:
            out = head.forward(feats, out)
        return out

    def encode_decode(self, inputs: Tensor, batch_img_metas: list[dict]) -> Tensor:
        feats = self.extract_feat(inputs)
        out = self.decode_head[0].forward(feats)
        for head in self.decode_head[1:-1]:
            out = head.forward(feats, out)
        return self.decode_head[-1].predict(feats, out, batch_img_metas, self.test_cfg)

    def _decode_head_forward_train(self, feats: tuple[Tensor, ...], data_samples: list) -> dict:
        losses = add_prefix(
            self.decode_head[0].loss(feats, data_samples, self.train_cfg), "decode_0"
        )
        prev = self.decode_head[0].forward(feats)
        for i in range(1, self.num_stages):
            head = self.decode_head[i]
            losses.update(
                add_prefix(head.loss(feats, prev, data_samples, self.train_cfg), f"decode_{i}")
            )
            if i < self.num_stages - 1:
                prev = head.forward(feats, prev)
        return losses
