"""``DeepSORT`` (Wojke et al., ICIP 2017): detector + optional ReID model + ``SORTTracker``;
without a ReID model it is SORT (Bewley et al., ICIP 2016)."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from visionbox.tracking.registry import MODELS

from .base import BaseMOTModel, build_part

__all__ = ["DeepSORT"]


@MODELS.register_module()
class DeepSORT(BaseMOTModel):
    """SORT / DeepSORT.

    The detector and the ReID model are trained on their own (``tools/tracking/train.py`` with a
    detector or ``BaseReID`` config) and loaded through their ``init_cfg``.

    Args:
        detector: Detector config (``detection.FasterRCNN``, ...).
        reid: ``BaseReID`` config, or ``None`` for SORT.
        tracker: Tracker config (``SORTTracker``).
        data_preprocessor: ``TrackDataPreprocessor`` config.
        init_cfg: Initialisation config.
    """

    def __init__(
        self,
        detector: dict | None = None,
        reid: dict | None = None,
        tracker: dict | None = None,
        data_preprocessor: dict | None = None,
        init_cfg: dict | None = None,
    ) -> None:
        super().__init__(data_preprocessor, init_cfg)
        self.detector = build_part(detector)
        self.reid = build_part(reid)
        self.tracker = build_part(tracker)
        self.preprocess_cfg = data_preprocessor

    def loss(self, inputs: Tensor, data_samples: list[Any]) -> dict:
        raise NotImplementedError(
            f"{type(self).__name__} is not trained end to end: train its detector and ReID model "
            "with their own configs and load them through init_cfg."
        )

    def predict(self, inputs: Tensor, data_samples: list[Any], rescale: bool = True) -> list:
        """Detect and track each frame of the (1, T, C, H, W) clip."""
        self._check_predict_batch(inputs, data_samples)
        sample = data_samples[0]
        for t, frame in enumerate(sample.video_data_samples):
            img = inputs[:, t].contiguous()
            det = self._detect(img, frame, rescale)
            frame.pred_track_instances = self.tracker.track(
                data_sample=det,
                model=self,
                img=img,
                data_preprocessor=self.preprocess_cfg,
                rescale=rescale,
            )
        return [sample]
