"""``SegVisualizationHook``: draw predictions during validation and testing (mmseg 1.x)."""

from __future__ import annotations

import os.path as osp
from collections.abc import Sequence

import cv2
from mmengine.hooks import Hook
from mmengine.visualization import Visualizer

from ..registry import HOOKS

__all__ = ["SegVisualizationHook"]


@HOOKS.register_module()
class SegVisualizationHook(Hook):
    """Blend ground truth and predicted label maps with the images.

    Args:
        draw: Draw at all (off by default; ``test.py --show-dir`` turns it on).
        interval: Draw every ``interval``-th validation iteration (every test image is drawn).
        show: Show the drawings in a window.
        wait_time: Seconds a shown window waits.
        backend_args: Unused by local files; kept for mmseg configs.
        test_out_dir: Folder of the test drawings (one ``<image name>.png`` per image); without
            it the drawings go to the visualizer's backends.
    """

    priority = "NORMAL"

    def __init__(
        self,
        draw: bool = False,
        interval: int = 50,
        show: bool = False,
        wait_time: float = 0.0,
        backend_args: dict | None = None,
        test_out_dir: str | None = None,
    ) -> None:
        self._visualizer = Visualizer.get_current_instance()
        self.draw = draw
        self.interval = interval
        self.show = show
        self.wait_time = wait_time
        self.backend_args = backend_args
        self.test_out_dir = test_out_dir

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
            step=step,
        )

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence) -> None:
        if not self.draw or not outputs or batch_idx % self.interval:
            return
        self._draw_sample(outputs[0], runner.iter, None)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence) -> None:
        if not self.draw:
            return
        self._visualizer.dataset_meta = dict(runner.test_dataloader.dataset.metainfo)
        for sample in outputs:
            name = osp.splitext(osp.basename(sample.img_path))[0] + ".png"
            out_file = osp.join(self.test_out_dir, name) if self.test_out_dir else None
            self._draw_sample(sample, batch_idx, out_file)
