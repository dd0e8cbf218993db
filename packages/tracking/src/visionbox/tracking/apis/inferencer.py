"""``MOTInferencer`` and ``SOTInferencer``: a tracker on a whole video, the Inferencer way.

    mot = MOTInferencer('tracking::shapes/bytetrack_faster-rcnn_r18_fpn_shapes.py', 'mot.pth')
    out = mot('video.mp4', out_dir='outputs', no_save_pred=False)
    out['predictions'][3]   # frame 3: {'frame_id': 3, 'bboxes': [...], 'scores': [...],
                            #           'labels': [...], 'instances_id': [...]}

    sot = SOTInferencer('tracking::shapes/siamese-rpn_r18_shapes.py', 'sot.pth')
    out = sot('frames/', init_bbox=[x1, y1, x2, y2])
    out['predictions'][3]   # {'frame_id': 3, 'bbox': [x1, y1, x2, y2], 'score': 0.93}

A video is a file (``.mp4``, ``.avi``, ...), a folder of frames in file-name order or a list of
``(H, W, 3)`` BGR frames (:func:`visionbox.core.apis.collect_video`). Outputs: drawn frames in
``out_dir/vis/<video name>/<frame:06d>.jpg`` (unless ``no_save_vis``) and every frame's
prediction in ``out_dir/preds/<video name>.json`` (when ``no_save_pred=False``). Boxes are
x1y1x2y2 in the frame's pixels.
"""

from __future__ import annotations

import os.path as osp
from collections.abc import Sequence
from typing import Any

import numpy as np
from torch import nn

from visionbox.core.apis import BaseInferencer, collect_video, to_plain

from ..registry import INFERENCERS
from ..visualization import TrackLocalVisualizer
from .inference import inference_mot, init_track_model
from .sot_inference import inference_sot

__all__ = ["MOTInferencer", "SOTInferencer"]


class _VideoInferencer(BaseInferencer):
    """What MOT and SOT share: one video per call, one prediction per frame."""

    default_scope = "tracking"
    visualizer_cls = TrackLocalVisualizer

    def init_model(
        self,
        config: Any,
        weights: str | None,
        *,
        device: str,
        cfg_options: dict | None,
        fuse: bool,
        strict: bool,
    ) -> nn.Module:
        return init_track_model(
            config, weights, device=device, cfg_options=cfg_options, strict=strict, fuse=fuse
        )

    def track(self, frame: np.ndarray, frame_id: int, num_frames: int, **kwargs: Any) -> Any:
        """The ``TrackDataSample`` of one frame."""
        raise NotImplementedError(f"{type(self).__name__} must implement track")

    def _run(
        self,
        inputs: Any,
        out_dir: str,
        return_vis: bool,
        show: bool,
        wait_time: float,
        no_save_pred: bool,
        no_save_vis: bool,
        pred_score_thr: float,
        return_datasamples: bool,
        **kwargs: Any,
    ) -> dict[str, list]:
        frames, name = collect_video(inputs)
        save_vis = bool(out_dir) and not no_save_vis
        results: dict[str, list] = dict(predictions=[], visualization=[])
        preds = []
        progress = self._progress(len(frames))
        for index, frame in enumerate(frames):
            sample = self.track(frame, index, len(frames), **kwargs)
            pred = dict(frame_id=index, **self.pred2dict(sample))
            preds.append(pred)
            results["predictions"].append(sample if return_datasamples else pred)
            if return_vis or show or save_vis:
                out_file = osp.join(out_dir, "vis", name, f"{index:06d}.jpg") if save_vis else None
                drawing = self.visualize(
                    frame,
                    sample,
                    name=f"{name}/{index:06d}",
                    show=show,
                    wait_time=wait_time,
                    pred_score_thr=pred_score_thr,
                    out_file=out_file,
                )
                if return_vis:
                    results["visualization"].append(drawing)
            if progress is not None:
                progress.update()
        if out_dir and not no_save_pred:
            self.save_pred(preds, out_dir, name)
        return results

    def forward(self, images: list[np.ndarray], **kwargs: Any) -> list[Any]:
        return [self.track(img, i, len(images), **kwargs) for i, img in enumerate(images)]


@INFERENCERS.register_module()
class MOTInferencer(_VideoInferencer):
    """Multi-object tracking of a video; see the module docstring."""

    def track(self, frame: np.ndarray, frame_id: int, num_frames: int, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"MOTInferencer takes no arguments {sorted(kwargs)}")
        return inference_mot(self.model, frame, frame_id, num_frames)

    def pred2dict(self, result: Any) -> dict:
        pred = result[0].pred_track_instances
        return dict(
            bboxes=to_plain(pred.bboxes),
            scores=to_plain(pred.scores),
            labels=to_plain(pred.labels),
            instances_id=to_plain(pred.instances_id),
        )

    def __call__(
        self,
        inputs: Any,
        batch_size: int = 1,
        out_dir: str = "",
        return_vis: bool = False,
        show: bool = False,
        wait_time: float = 0,
        no_save_pred: bool = True,
        no_save_vis: bool = False,
        pred_score_thr: float = 0.3,
        return_datasamples: bool = False,
    ) -> dict[str, list]:
        """Track every object of the video ``inputs``, frame after frame (``batch_size`` 1)."""
        if batch_size != 1:
            raise ValueError("A tracker sees one frame at a time: batch_size must be 1.")
        return self._run(
            inputs,
            out_dir,
            return_vis,
            show,
            wait_time,
            no_save_pred,
            no_save_vis,
            pred_score_thr,
            return_datasamples,
        )


@INFERENCERS.register_module()
class SOTInferencer(_VideoInferencer):
    """Single-object tracking of a video from the target's box in frame 0."""

    def track(
        self,
        frame: np.ndarray,
        frame_id: int,
        num_frames: int,
        init_bbox: Sequence[float] = (),
    ) -> Any:
        return inference_sot(self.model, frame, init_bbox, frame_id)

    def pred2dict(self, result: Any) -> dict:
        pred = result[0].pred_track_instances
        return dict(bbox=to_plain(pred.bboxes[0]), score=float(pred.scores[0]))

    def __call__(
        self,
        inputs: Any,
        init_bbox: Sequence[float],
        batch_size: int = 1,
        out_dir: str = "",
        return_vis: bool = False,
        show: bool = False,
        wait_time: float = 0,
        no_save_pred: bool = True,
        no_save_vis: bool = False,
        pred_score_thr: float = -1.0,
        return_datasamples: bool = False,
    ) -> dict[str, list]:
        """Track the object of box ``init_bbox`` (x1, y1, x2, y2 in frame 0) through ``inputs``."""
        if batch_size != 1:
            raise ValueError("A tracker sees one frame at a time: batch_size must be 1.")
        box = [float(v) for v in init_bbox]
        if len(box) != 4 or box[2] <= box[0] or box[3] <= box[1]:
            raise ValueError(f"init_bbox must be x1, y1, x2, y2 with x2 > x1 and y2 > y1: {box}")
        return self._run(
            inputs,
            out_dir,
            return_vis,
            show,
            wait_time,
            no_save_pred,
            no_save_vis,
            pred_score_thr,
            return_datasamples,
            init_bbox=box,
        )
