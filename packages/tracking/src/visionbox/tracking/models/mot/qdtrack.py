"""``QDTrack`` (Pang et al., "Quasi-Dense Similarity Learning for Multiple Object Tracking",
CVPR 2021): a two-stage detector, a track head that embeds its boxes, and
``QuasiDenseTracker``. Training uses clips of a key and a reference frame (T = 2)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from visionbox.tracking.registry import MODELS

from .base import BaseMOTModel, build_part

__all__ = ["QDTrack"]


@MODELS.register_module()
class QDTrack(BaseMOTModel):
    """QDTrack.

    Args:
        detector: Two-stage detector config (``detection.FasterRCNN``: ``extract_feat``,
            ``rpn_head`` and ``roi_head`` are used).
        track_head: ``QuasiDenseTrackHead`` config.
        tracker: ``QuasiDenseTracker`` config.
        freeze_detector: Train the track head only (detector frozen, no detector losses).
        data_preprocessor: ``TrackDataPreprocessor`` config.
        init_cfg: Initialisation config.
    """

    def __init__(
        self,
        detector: dict | None = None,
        track_head: dict | None = None,
        tracker: dict | None = None,
        freeze_detector: bool = False,
        data_preprocessor: dict | None = None,
        init_cfg: dict | None = None,
    ) -> None:
        super().__init__(data_preprocessor, init_cfg)
        self.detector = build_part(detector)
        self.track_head = build_part(track_head)
        self.tracker = build_part(tracker)
        self.freeze_detector = freeze_detector
        if freeze_detector:
            self.freeze_module("detector")

    def _proposal_cfg(self) -> Any:
        train_cfg = getattr(self.detector, "train_cfg", None) or {}
        test_cfg = getattr(self.detector, "test_cfg", None) or {}
        return train_cfg.get("rpn_proposal", test_cfg.get("rpn"))

    def loss(self, inputs: Tensor, data_samples: list[Any]) -> dict:
        """Detector losses on the key frames and tracking losses of (key, reference) pairs.

        Args:
            inputs: (N, 2, C, H, W) clips, key frame first.
            data_samples: N ``TrackDataSample`` with two frames each.
        """
        if inputs.dim() != 5 or inputs.shape[1] != 2:
            raise ValueError(
                f"QDTrack trains on (N, 2, C, H, W) key/reference clips, got {tuple(inputs.shape)}"
            )
        key_samples = [s.video_data_samples[0] for s in data_samples]
        ref_samples = [s.video_data_samples[1] for s in data_samples]
        x = self.detector.extract_feat(inputs[:, 0].contiguous())
        losses: dict = {}
        if self.freeze_detector:
            with torch.no_grad():
                proposals = self.detector.rpn_head.predict(x, key_samples)
        else:
            rpn_losses, proposals = self.detector.rpn_head.loss_and_predict(
                x, key_samples, proposal_cfg=self._proposal_cfg()
            )
            losses.update({f"rpn_{k}" if "rpn" not in k else k: v for k, v in rpn_losses.items()})
            losses.update(self.detector.roi_head.loss(x, proposals, key_samples))
        ref_x = self.detector.extract_feat(inputs[:, 1].contiguous())
        with torch.no_grad():
            ref_proposals = self.detector.rpn_head.predict(ref_x, ref_samples)
        losses.update(
            self.track_head.loss(x, ref_x, proposals, ref_proposals, key_samples, ref_samples)
        )
        return losses

    def predict(self, inputs: Tensor, data_samples: list[Any], rescale: bool = True) -> list:
        """Detect, embed and track each frame of the (1, T, C, H, W) clip."""
        self._check_predict_batch(inputs, data_samples)
        sample = data_samples[0]
        for t, frame in enumerate(sample.video_data_samples):
            x = self.detector.extract_feat(inputs[:, t].contiguous())
            proposals = self.detector.rpn_head.predict(x, [frame])
            det = self.detector.roi_head.predict(x, proposals, [frame], rescale=rescale)[0]
            boxes = det.bboxes
            if rescale and "scale_factor" in frame.metainfo:
                sx, sy = frame.scale_factor
                boxes = boxes * boxes.new_tensor([sx, sy, sx, sy])
            det.embeds = self.track_head.predict(x, [boxes])
            frame.pred_det_instances = det.clone()
            frame.pred_instances = det
            frame.pred_track_instances = self.tracker.track(data_sample=frame, embeds=det.embeds)
        return [sample]
