"""``StrongSORT`` (Du et al., IEEE TMM 2023): DeepSORT with ``StrongSORTTracker``, camera-motion
compensation and an optional post-processing of finished tracks."""

from __future__ import annotations

from visionbox.tracking.registry import MODELS, TASK_UTILS

from .deep_sort import DeepSORT

__all__ = ["StrongSORT"]


@MODELS.register_module()
class StrongSORT(DeepSORT):
    """StrongSORT.

    Args:
        detector: Detector config.
        reid: ``BaseReID`` config.
        cmc: ``CameraMotionCompensation`` config (task utility), or ``None``.
        tracker: ``StrongSORTTracker`` config.
        postprocess_model: Task utility applied by the metric to finished tracks (e.g.
            ``InterpolateTracklets``); kept on the model for configs.
        data_preprocessor: ``TrackDataPreprocessor`` config.
        init_cfg: Initialisation config.
    """

    def __init__(
        self,
        detector: dict | None = None,
        reid: dict | None = None,
        cmc: dict | None = None,
        tracker: dict | None = None,
        postprocess_model: dict | None = None,
        data_preprocessor: dict | None = None,
        init_cfg: dict | None = None,
    ) -> None:
        super().__init__(detector, reid, tracker, data_preprocessor, init_cfg)
        self.cmc = TASK_UTILS.build(cmc) if isinstance(cmc, dict) else cmc
        self.postprocess_model = (
            TASK_UTILS.build(postprocess_model)
            if isinstance(postprocess_model, dict)
            else postprocess_model
        )

    @property
    def with_cmc(self) -> bool:
        return self.cmc is not None
