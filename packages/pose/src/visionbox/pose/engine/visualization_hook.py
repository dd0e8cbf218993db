"""``PoseVisualizationHook``: draw keypoints and skeletons during validation and testing."""

from __future__ import annotations

import os.path as osp
from collections.abc import Sequence

import cv2
import numpy as np
from mmengine.hooks import Hook
from mmengine.visualization import Visualizer

from ..registry import HOOKS

__all__ = ["PoseVisualizationHook"]


@HOOKS.register_module()
class PoseVisualizationHook(Hook):
    """Draw ground truth and predicted poses on the original images.

    Args:
        enable: Draw at all (``test.py --show-dir`` turns it on).
        interval: Draw every ``interval``-th validation iteration (every test sample is drawn).
        kpt_thr: Keypoint score threshold of the drawing (kept for mmpose configs).
        show: Show the drawings in a window.
        wait_time: Seconds a shown window waits.
        out_dir: Folder of the test drawings (``<image>_<instance id>.png`` top-down,
            ``<image>.png`` bottom-up); without it the
            drawings go to the visualizer's backends.
        backend_args: Unused for local files; kept for mmpose configs.
    """

    priority = "NORMAL"

    def __init__(
        self,
        enable: bool = False,
        interval: int = 50,
        kpt_thr: float = 0.3,
        show: bool = False,
        wait_time: float = 0.0,
        out_dir: str | None = None,
        backend_args: dict | None = None,
    ) -> None:
        self._visualizer = Visualizer.get_current_instance()
        self.enable = enable
        self.interval = interval
        self.kpt_thr = kpt_thr
        self.show = show
        self.wait_time = wait_time
        self.out_dir = out_dir
        self.backend_args = backend_args

    def _draw(self, sample, step: int, out_file: str | None) -> None:
        img = cv2.imread(sample.img_path)
        if img is None:
            raise FileNotFoundError(f"Cannot read the image to draw: {sample.img_path}")
        self._visualizer.add_datasample(
            osp.basename(sample.img_path),
            img[..., ::-1],
            data_sample=sample,
            show=self.show,
            wait_time=self.wait_time,
            out_file=out_file,
            step=step,
        )

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence) -> None:
        if not self.enable or not outputs or batch_idx % self.interval:
            return
        self._visualizer.dataset_meta = dict(runner.val_dataloader.dataset.metainfo)
        self._draw(outputs[0], runner.iter, None)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence) -> None:
        if not self.enable:
            return
        self._visualizer.dataset_meta = dict(runner.test_dataloader.dataset.metainfo)
        for sample in outputs:
            stem = osp.splitext(osp.basename(sample.img_path))[0]
            ids = sample.metainfo.get("id")
            # One drawing per top-down instance (its annotation id), one per bottom-up image.
            name = f"{stem}_{ids}.png" if isinstance(ids, (int, np.integer)) else f"{stem}.png"
            out_file = osp.join(self.out_dir, name) if self.out_dir else None
            self._draw(sample, batch_idx, out_file)
