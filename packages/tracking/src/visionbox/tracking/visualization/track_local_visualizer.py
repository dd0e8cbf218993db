"""``TrackLocalVisualizer``: frames with boxes coloured and labelled by track id."""

from __future__ import annotations

from typing import Any

import numpy as np

from visionbox.core.structures import BaseDataSample
from visionbox.core.visualization import LocalVisualizer
from visionbox.tracking.registry import VISUALIZERS

__all__ = ["TrackLocalVisualizer"]


@VISUALIZERS.register_module()
class TrackLocalVisualizer(LocalVisualizer):
    """Core's ``LocalVisualizer`` for tracking samples: a ``TrackDataSample`` (its first frame)
    or a frame sample; predictions are the frame's ``pred_track_instances`` (one colour per
    track id), ground truth its ``gt_instances``. Same arguments as ``LocalVisualizer``."""

    def add_datasample(
        self,
        name: str,
        image: np.ndarray,
        data_sample: Any = None,
        draw_gt: bool = True,
        draw_pred: bool = True,
        show: bool = False,
        wait_time: float = 0,
        out_file: str | None = None,
        pred_score_thr: float = 0.3,
        step: int = 0,
    ) -> np.ndarray:
        """Draw the frame's ground truth (left) and tracks (right) on the RGB ``image``."""
        frame = data_sample
        if frame is not None and hasattr(frame, "video_data_samples"):
            frame = frame.video_data_samples[0]
        view = None
        if frame is not None:
            view = BaseDataSample(metainfo=frame.metainfo)
            if "gt_instances" in frame:
                view.gt_instances = frame.gt_instances
            if "pred_track_instances" in frame:
                view.pred_instances = frame.pred_track_instances
        return super().add_datasample(
            name, image, view, draw_gt, draw_pred, show, wait_time, out_file, pred_score_thr, step
        )
