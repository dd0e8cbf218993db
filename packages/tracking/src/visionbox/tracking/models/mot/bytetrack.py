"""``ByteTrack`` (Zhang et al., ECCV 2022) and ``OCSORT`` (Cao et al., CVPR 2023): a detector and
a motion-only tracker; training trains the detector on the frames."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from visionbox.tracking.registry import MODELS

from .base import BaseMOTModel, build_part

__all__ = ["ByteTrack", "OCSORT"]


@MODELS.register_module()
class ByteTrack(BaseMOTModel):
    """ByteTrack: detector + ``ByteTracker``.

    Args:
        detector: Detector config (``detection.YOLOX``, ``detection.FasterRCNN``, ...).
        tracker: Tracker config (``ByteTracker``).
        data_preprocessor: ``TrackDataPreprocessor`` config.
        init_cfg: Initialisation config.
    """

    def __init__(
        self,
        detector: dict | None = None,
        tracker: dict | None = None,
        data_preprocessor: dict | None = None,
        init_cfg: dict | None = None,
    ) -> None:
        super().__init__(data_preprocessor, init_cfg)
        self.detector = build_part(detector)
        self.tracker = build_part(tracker)

    def loss(self, inputs: Tensor, data_samples: list[Any]) -> dict:
        """Detector losses on every frame."""
        return self._detector_loss(inputs, data_samples)

    def predict(self, inputs: Tensor, data_samples: list[Any], rescale: bool = True) -> list:
        """Detect and track each frame of the (1, T, C, H, W) clip."""
        self._check_predict_batch(inputs, data_samples)
        sample = data_samples[0]
        for t, frame in enumerate(sample.video_data_samples):
            det = self._detect(inputs[:, t].contiguous(), frame, rescale)
            frame.pred_track_instances = self.tracker.track(data_sample=det)
        return [sample]


@MODELS.register_module()
class OCSORT(ByteTrack):
    """OC-SORT: detector + ``OCSORTTracker`` (same arguments as :class:`ByteTrack`)."""
