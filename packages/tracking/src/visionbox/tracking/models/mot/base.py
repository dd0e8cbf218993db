"""``BaseMOTModel``: the base of every multi-object tracking model (detector + tracker, with an
optional ReID model, motion model or track head).

Data: ``inputs`` (N, T, C, H, W) clips from ``TrackDataPreprocessor`` and a list of N
``TrackDataSample`` (frames in ``video_data_samples``). Tracking runs one frame at a time
(N = T = 1 in ``predict``); each frame's sample receives ``pred_det_instances`` (the detector's
output) and ``pred_track_instances`` (``bboxes``, ``scores``, ``labels``, ``instances_id``).
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from torch import Tensor, nn

from visionbox.core.models import BaseTaskModel
from visionbox.tracking.registry import MODELS

__all__ = ["BaseMOTModel", "build_part"]


def build_part(cfg: dict | nn.Module | Any | None) -> Any:
    """Build a sub-model or tracker from a config (tracking scope; ``'detection.X'`` and
    ``_scope_='detection'`` reach the detection package), or return it if already built."""
    if cfg is None or not isinstance(cfg, dict):
        return cfg
    return MODELS.build(cfg)


@MODELS.register_module()
class BaseMOTModel(BaseTaskModel, metaclass=ABCMeta):
    """Base of MOT models: ``forward(inputs, data_samples, mode)`` with modes ``'loss'``,
    ``'predict'`` and ``'tensor'``.

    Args:
        data_preprocessor: ``TrackDataPreprocessor`` config or module.
        init_cfg: Initialisation config.
    """

    default_mode = "predict"  # as mmdetection's trackers

    def __init__(
        self, data_preprocessor: dict | nn.Module | None = None, init_cfg: dict | list | None = None
    ) -> None:
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)

    @property
    def with_detector(self) -> bool:
        return getattr(self, "detector", None) is not None

    @property
    def with_reid(self) -> bool:
        return getattr(self, "reid", None) is not None

    @property
    def with_motion(self) -> bool:
        return getattr(self, "motion", None) is not None

    @property
    def with_track_head(self) -> bool:
        return getattr(self, "track_head", None) is not None

    @property
    def with_tracker(self) -> bool:
        return getattr(self, "tracker", None) is not None

    @abstractmethod
    def loss(self, inputs: Tensor, data_samples: list[Any]) -> dict:
        """Losses of a batch of clips."""

    @abstractmethod
    def predict(self, inputs: Tensor, data_samples: list[Any], rescale: bool = True) -> list:
        """Track the frames of one clip; returns the data samples with predictions."""

    def _forward(self, inputs: Tensor, data_samples: list[Any] | None = None) -> Any:
        """Raw detector outputs of the key frames (N, C, H, W)."""
        return self.detector._forward(inputs[:, 0], None)

    # Helpers of the detector-based models -----------------------------------------------------

    @staticmethod
    def _check_predict_batch(inputs: Tensor, data_samples: list[Any]) -> None:
        if inputs.dim() != 5:
            raise ValueError(f"MOT inputs must be (N, T, C, H, W), got shape {tuple(inputs.shape)}")
        if inputs.shape[0] != 1 or len(data_samples) != 1:
            raise ValueError("MOT models track one clip at a time (batch size 1).")

    def _detect(self, img: Tensor, frame: Any, rescale: bool) -> Any:
        """Run the detector on one (1, C, H, W) frame; return the detection data sample carrying
        ``pred_instances`` and the frame's metainfo."""
        det = self.detector.predict(img, [frame], rescale=rescale)[0]
        if det is not frame:
            for key, value in frame.metainfo.items():
                if key not in det.metainfo:
                    det.set_metainfo({key: value})
        frame.pred_det_instances = det.pred_instances.clone()
        return det

    def _detector_loss(self, inputs: Tensor, data_samples: list[Any]) -> dict:
        """Detector losses over every frame of the clips (ByteTrack, OC-SORT training); (N, C, H,
        W) inputs with detection samples (``use_det_processor``) go to the detector as they are."""
        if inputs.dim() == 4:
            return self.detector.loss(inputs, data_samples)
        frames = [frame for sample in data_samples for frame in sample.video_data_samples]
        return self.detector.loss(inputs.flatten(0, 1), frames)
