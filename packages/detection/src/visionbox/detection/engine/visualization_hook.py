"""``DetVisualizationHook``: draw detections during validation and testing (mmdet 3.x)."""

from __future__ import annotations

import os
import os.path as osp
from collections.abc import Sequence

import cv2
from mmengine.hooks import Hook
from mmengine.visualization import Visualizer

from ..registry import HOOKS

__all__ = ["DetVisualizationHook"]


@HOOKS.register_module()
class DetVisualizationHook(Hook):
    """Draw ground truth and predicted boxes / masks on the images.

    Args:
        draw: Draw at all (off by default; ``test.py --show-dir`` turns it on).
        interval: Draw every ``interval``-th validation iteration (every test image is drawn).
        score_thr: Lowest score of a drawn prediction.
        show: Show the drawings in a window.
        wait_time: Seconds a shown window waits.
        test_out_dir: Folder of the test drawings (``<image name>.png`` each); without it the
            drawings go to the visualizer's backends.
        backend_args: Kept for mmdet configs (local files only).
    """

    priority = "NORMAL"

    def __init__(
        self,
        draw: bool = False,
        interval: int = 50,
        score_thr: float = 0.3,
        show: bool = False,
        wait_time: float = 0.0,
        test_out_dir: str | None = None,
        backend_args: dict | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval}")
        self._visualizer = Visualizer.get_current_instance()
        self.draw = draw
        self.interval = interval
        self.score_thr = score_thr
        self.show = show
        self.wait_time = wait_time
        self.test_out_dir = test_out_dir
        self.backend_args = backend_args

    def _draw_sample(self, sample, step: int, out_file: str | None) -> None:
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
            pred_score_thr=self.score_thr,
            step=step,
        )

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence) -> None:
        if not self.draw or not outputs or batch_idx % self.interval:
            return
        self._visualizer.dataset_meta = dict(runner.val_dataloader.dataset.metainfo)
        self._draw_sample(outputs[0], runner.iter, None)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence) -> None:
        if not self.draw:
            return
        self._visualizer.dataset_meta = dict(runner.test_dataloader.dataset.metainfo)
        if self.test_out_dir:
            os.makedirs(self.test_out_dir, exist_ok=True)
        for sample in outputs:
            name = osp.splitext(osp.basename(sample.img_path))[0] + ".png"
            out_file = osp.join(self.test_out_dir, name) if self.test_out_dir else None
            self._draw_sample(sample, batch_idx, out_file)
