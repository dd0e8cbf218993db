"""``TrackVisualizationHook``: draw tracking results during validation and testing (mmdet 3.x's
hook of the same name, for multi-object and single-object tracking)."""

from __future__ import annotations

import os
import os.path as osp
import warnings
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
from mmengine.fileio import get
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...models.sot.base import BaseSingleObjectTracker
from ...registry import HOOKS

__all__ = ["TrackVisualizationHook"]


@HOOKS.register_module()
class TrackVisualizationHook(Hook):
    """Draw the ground truth (left) and the tracks (right) of every ``frame_interval``-th frame
    of each video, with the runner's visualizer (a ``TrackLocalVisualizer``).

    A frame is drawn when its ``frame_id`` (from 0 in its video; its position in the clip when
    the sample has no ``frame_id``) is a multiple of ``frame_interval``, so each video's first
    frame is always drawn. The test loop feeds one frame per iteration (``TrackImgSampler``) or
    a whole video per iteration (a clip of frames); both are handled.

    Multi-object tracking draws the boxes of ``pred_track_instances`` scoring at least
    ``score_thr``, coloured and labelled by track id. Single-object tracking (a
    ``BaseSingleObjectTracker`` model) draws the tracked box whatever its score: the box is the
    tracker's answer on every frame, and frame 0 carries the given box with score -1.

    In testing, with ``test_out_dir`` the drawings are written to
    ``<test_out_dir>/<video name>/<image file name>`` (a relative ``test_out_dir`` lies under
    ``<work_dir>/<timestamp>/``); without it they go to the visualizer's backends. Validation
    drawings always go to the backends.

    Args:
        draw: Draw at all (off by default; ``test.py --show-dir`` turns it on).
        frame_interval: Draw every ``frame_interval``-th frame of each video.
        score_thr: Lowest score of a drawn multi-object track.
        show: Show the drawings in a window (the visualizer's backends then store nothing).
        wait_time: Seconds a shown window waits.
        test_out_dir: Folder of the test drawings.
        backend_args: Arguments of the file backend that reads the images
            (``mmengine.fileio.get``).
    """

    priority = "NORMAL"

    def __init__(
        self,
        draw: bool = False,
        frame_interval: int = 30,
        score_thr: float = 0.3,
        show: bool = False,
        wait_time: float = 0.0,
        test_out_dir: str | None = None,
        backend_args: dict | None = None,
    ) -> None:
        if not isinstance(frame_interval, int) or frame_interval <= 0:
            raise ValueError(f"frame_interval must be a positive int, got {frame_interval!r}")
        self.draw = draw
        self.frame_interval = frame_interval
        self.score_thr = score_thr
        self.show = show
        self.wait_time = wait_time
        self.test_out_dir = test_out_dir
        self.backend_args = backend_args
        self._out_dir: str | None = None
        self._single_object = False
        self.image_idx = 0

    # Hook points -------------------------------------------------------------------------------

    def before_run(self, runner) -> None:
        if self.draw and self.show:
            warnings.warn(
                "TrackVisualizationHook(show=True) only shows the drawings: the visualizer's "
                "backends store nothing.",
                stacklevel=2,
            )
            runner.visualizer._vis_backends = {}

    def before_val(self, runner) -> None:
        self._prepare(runner, runner.val_dataloader.dataset)

    def before_test(self, runner) -> None:
        self._prepare(runner, runner.test_dataloader.dataset)
        self._out_dir = None
        if self.draw and self.test_out_dir is not None:
            out_dir = self.test_out_dir
            if not osp.isabs(out_dir):
                out_dir = osp.join(runner.work_dir, runner.timestamp, out_dir)
            os.makedirs(out_dir, exist_ok=True)
            self._out_dir = out_dir

    def after_val_iter(
        self, runner, batch_idx: int, data_batch: Any = None, outputs: Sequence | None = None
    ) -> None:
        self._draw_outputs(runner, batch_idx, outputs, runner.iter, None)

    def after_test_iter(
        self, runner, batch_idx: int, data_batch: Any = None, outputs: Sequence | None = None
    ) -> None:
        self._draw_outputs(runner, batch_idx, outputs, 0, self._out_dir)

    # Drawing -----------------------------------------------------------------------------------

    def _prepare(self, runner, dataset) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self._single_object = isinstance(model, BaseSingleObjectTracker)
        self.image_idx = 0
        if self.draw:
            runner.visualizer.dataset_meta = dict(getattr(dataset, "metainfo", {}) or {})

    def _draw_outputs(
        self, runner, batch_idx: int, outputs: Sequence | None, step0: int, out_dir: str | None
    ) -> None:
        if not self.draw or not outputs:
            return
        if len(outputs) != 1:
            raise ValueError(
                f"TrackVisualizationHook draws batches of one video sample; got {len(outputs)} "
                "samples (set the dataloader's batch_size=1)."
            )
        sample = outputs[0]
        frames = sample.video_data_samples if hasattr(sample, "video_data_samples") else [sample]
        single = len(frames) == 1
        for position, frame in enumerate(frames):
            frame_id = frame.metainfo.get("frame_id")
            if frame_id is None:
                frame_id = batch_idx if single else position
            if int(frame_id) % self.frame_interval == 0:
                self._draw_frame(runner, frame, step0 + self.image_idx + position, out_dir)
        self.image_idx += len(frames)

    def _draw_frame(self, runner, frame, step: int, out_dir: str | None) -> None:
        img_path = frame.metainfo.get("img_path")
        if img_path is None:
            raise KeyError("TrackVisualizationHook needs the frame's 'img_path' in its metainfo.")
        data = np.frombuffer(get(img_path, backend_args=self.backend_args), np.uint8)
        img = cv2.imdecode(data, cv2.IMREAD_COLOR)
        if img is None:
            raise FileNotFoundError(f"Cannot decode the image to draw: {img_path}")
        out_file = None
        if out_dir is not None:
            out_file = osp.join(out_dir, video_folder(frame.metainfo), osp.basename(img_path))
        runner.visualizer.add_datasample(
            osp.basename(img_path),
            img[..., ::-1],
            data_sample=frame,
            show=self.show,
            wait_time=self.wait_time,
            out_file=out_file,
            pred_score_thr=-float("inf") if self._single_object else self.score_thr,
            step=step,
        )


def video_folder(metainfo: dict) -> str:
    """The sub-folder of a frame's drawing: its ``video_name``, else the folder two levels
    above the image (``<video>/img1/000001.jpg`` in MOTChallenge, mmdet's choice)."""
    name = metainfo.get("video_name")
    if name:
        return str(name)
    parts = metainfo["img_path"].replace("\\", "/").split("/")
    return parts[-3] if len(parts) >= 3 else ""
