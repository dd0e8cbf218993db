"""``MOTChallengeDataset``: MOTChallenge folders (MOT15 to MOT20 layouts, VisionBox Shapes MOT)
read directly, video by video.

Layout (``data_root``/``data_prefix['img_path']``)::

    <seq>/seqinfo.ini                      frameRate, seqLength, imWidth, imHeight, imDir, imExt
    <seq>/<imDir>/000001<imExt> ...
    <seq>/gt/gt.txt                        frame, id, x, y, w, h, conf, class, visibility

``ann_file`` is a seqmap (a ``name`` header then one sequence per line) or ``''`` for every
sequence folder under the image prefix. The data list holds one entry per video (``video_id``,
``video_name``, ``video_length``, ``images``); the dataset is indexed by frame, video after video,
so that a sequential sampler feeds a tracker the frames in order. Frame ids are 0-based.

Ground truth follows the MOTChallenge conventions (as TrackEval and mmdetection's converter): rows
of the classes in ``IGNORE_CLASSES`` (person on vehicle, static person, distractor, reflection,
...) or with ``conf == 0`` are ignored instances; non-person classes (vehicles, ...) are dropped;
rows with visibility below ``visibility_thr`` are dropped.

``frame_range`` keeps a fraction of every sequence, as mmdetection's MOT17 "half-train"
((0, 0.5)) and "half-val" ((0.5, 1)) splits; ``frame_id`` then counts from 0 within the kept
frames (a tracker restarts there) and ``ori_frame_id`` is the frame's index in the sequence.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from visionbox.core.datasets import BaseVisionDataset, read_mot_txt, read_seqinfo
from visionbox.core.datasets.readers import AnnotationError
from visionbox.tracking.registry import DATASETS

__all__ = ["MOTChallengeDataset", "read_seqmap"]

#: MOTChallenge classes kept as ignored instances (2 person on vehicle, 7 static person,
#: 8 distractor, 12 reflection, 13 non-mot vehicle).
IGNORE_CLASSES = (2, 7, 8, 12, 13)
#: MOTChallenge classes dropped (vehicles, bicycles, motorbikes, occluders...).
DROP_CLASSES = (3, 4, 5, 6, 9, 10, 11)


def read_seqmap(path: str | os.PathLike) -> list[str]:
    """Sequence names of a MOTChallenge seqmap file (first line ``name``)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"seqmap file not found: {os.fspath(path)!r}")
    with open(path, encoding="utf-8") as f:
        names = [line.strip().split(",")[0] for line in f if line.strip()]
    return names[1:] if names and names[0].lower() == "name" else names


@DATASETS.register_module()
class MOTChallengeDataset(BaseVisionDataset):
    """MOTChallenge sequences as a frame-indexed, video-level dataset.

    Args:
        visibility_thr: Ground-truth rows with a visibility below it are dropped.
        frame_range: (start, end) fractions of each sequence's frames to keep.
        ref_img_sampler: Outside ``test_mode``, sample reference frames for every key frame:
            ``dict(num_ref_imgs=1, frame_range=10, filter_key_img=True)`` (uniformly within
            +-``frame_range`` frames of the same video); items are then clips of
            ``1 + num_ref_imgs`` frames, key frame first (QDTrack's training pairs).
        load_as_video: Kept for mmdetection configs; the data is always video-level.
        ann_file, metainfo, data_root, data_prefix, filter_cfg, indices, serialize_data,
        pipeline, test_mode, lazy_init, max_refetch, backend_args: As in
            :class:`~visionbox.core.datasets.BaseVisionDataset`; ``indices`` selects videos.
    """

    METAINFO = dict(classes=("pedestrian",), palette=[(220, 20, 60)])

    def __init__(
        self,
        visibility_thr: float = -1.0,
        frame_range: tuple[float, float] = (0.0, 1.0),
        ref_img_sampler: dict | None = None,
        load_as_video: bool = True,
        ann_file: str | None = "",
        metainfo: Mapping | None = None,
        data_root: str | None = "",
        data_prefix: dict | None = None,
        filter_cfg: dict | None = None,
        indices: int | Sequence[int] | None = None,
        serialize_data: bool = False,
        pipeline: Sequence[dict | Callable] = (),
        test_mode: bool = False,
        lazy_init: bool = False,
        max_refetch: int = 1000,
        backend_args: dict | None = None,
    ) -> None:
        self.visibility_thr = float(visibility_thr)
        lo, hi = (float(v) for v in frame_range)
        if not 0.0 <= lo < hi <= 1.0:
            raise ValueError(f"frame_range must satisfy 0 <= start < end <= 1, got {frame_range}")
        self.frame_range = (lo, hi)
        if ref_img_sampler is not None:
            allowed = {"num_ref_imgs", "frame_range", "filter_key_img", "method"}
            unknown = set(ref_img_sampler) - allowed
            if unknown:
                raise KeyError(
                    f"ref_img_sampler got unknown keys {sorted(unknown)}; "
                    f"allowed: {sorted(allowed)}"
                )
            if ref_img_sampler.get("method", "uniform") != "uniform":
                raise ValueError("ref_img_sampler supports method='uniform' only.")
        self.ref_img_sampler = ref_img_sampler
        self.load_as_video = bool(load_as_video)
        self._frame_index: np.ndarray = np.zeros((0, 2), np.int64)
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            filter_cfg=filter_cfg,
            indices=indices,
            serialize_data=serialize_data,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch,
            backend_args=backend_args,
        )

    # Loading ---------------------------------------------------------------------------------

    def _sequence_names(self, img_root: str) -> list[str]:
        if self.ann_file and os.path.basename(self.ann_file):
            return read_seqmap(self.ann_file)
        if not os.path.isdir(img_root):
            raise FileNotFoundError(f"MOTChallengeDataset: sequence folder not found: {img_root!r}")
        return sorted(
            d
            for d in os.listdir(img_root)
            if os.path.isfile(os.path.join(img_root, d, "seqinfo.ini"))
        )

    def load_data_list(self) -> list[dict]:
        img_root = self.data_prefix.get("img_path", "") or self.data_root
        videos = []
        for video_id, name in enumerate(self._sequence_names(img_root)):
            videos.append(self._load_sequence(video_id, name, os.path.join(img_root, name)))
        return videos

    def _load_sequence(self, video_id: int, name: str, seq_dir: str) -> dict:
        info = read_seqinfo(os.path.join(seq_dir, "seqinfo.ini"))
        length = info["seqLength"]
        im_dir, im_ext = info.get("imDir", "img1"), info.get("imExt", ".jpg")
        gt_path = os.path.join(seq_dir, "gt", "gt.txt")
        rows = read_mot_txt(gt_path) if os.path.isfile(gt_path) else np.zeros((0, 9))
        if rows.shape[1] < 9:
            rows = np.concatenate([rows, np.ones((len(rows), 9 - rows.shape[1]))], axis=1)
        frames = rows[:, 0].astype(np.int64)
        if len(rows) and (frames.max() > length):
            raise AnnotationError(gt_path, f"frame {frames.max()}", f"beyond seqLength={length}")
        cls = rows[:, 7].astype(np.int64)
        keep = ~np.isin(cls, DROP_CLASSES) & (rows[:, 8] >= self.visibility_thr)
        rows, frames, cls = rows[keep], frames[keep], cls[keep]
        ignore = np.isin(cls, IGNORE_CLASSES) | (rows[:, 6] == 0)
        order = np.argsort(frames, kind="stable")
        rows, frames, ignore = rows[order], frames[order], ignore[order]
        bounds = np.searchsorted(frames, np.arange(1, length + 2))
        first = int(round(self.frame_range[0] * length))
        last = max(int(round(self.frame_range[1] * length)), first + 1)
        images = []
        for f in range(first, last):
            r = slice(bounds[f], bounds[f + 1])
            instances = [
                dict(
                    bbox=[float(x), float(y), float(x + w), float(y + h)],
                    bbox_label=0,
                    instance_id=int(tid),
                    mot_conf=float(conf),
                    visibility=float(vis),
                    ignore_flag=int(ig),
                )
                for (_, tid, x, y, w, h, conf, _, vis), ig in zip(rows[r, :9], ignore[r])
            ]
            images.append(
                dict(
                    img_path=os.path.join(seq_dir, im_dir, f"{f + 1:06d}{im_ext}"),
                    height=info["imHeight"],
                    width=info["imWidth"],
                    frame_id=f - first,
                    ori_frame_id=f,
                    video_id=video_id,
                    video_length=last - first,
                    instances=instances,
                )
            )
        return dict(video_id=video_id, video_name=name, video_length=length, images=images)

    # Frame indexing --------------------------------------------------------------------------

    def filter_data(self) -> list[dict]:
        if self.test_mode or not self.filter_cfg or not self.filter_cfg.get("filter_empty_gt"):
            return self.data_list
        for video in self.data_list:
            video["images"] = [
                im for im in video["images"] if any(not i["ignore_flag"] for i in im["instances"])
            ]
        return [v for v in self.data_list if v["images"]]

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        super().full_init()
        counts = [len(self.get_video_info(v)["images"]) for v in range(self.num_videos)]
        self._frame_index = np.array(
            [(v, f) for v, n in enumerate(counts) for f in range(n)], np.int64
        ).reshape(-1, 2)

    @property
    def num_videos(self) -> int:
        """Number of videos."""
        return super().__len__()

    def get_video_info(self, video_idx: int) -> dict:
        """The whole entry of one video (``images`` holds its frame infos)."""
        return BaseVisionDataset.get_data_info(self, video_idx)

    def video_frame_indices(self) -> list[list[int]]:
        """Dataset indices of every video's frames, in order (for samplers)."""
        if not self._fully_initialized:
            self.full_init()
        out: list[list[int]] = [[] for _ in range(self.num_videos)]
        for idx, (v, _) in enumerate(self._frame_index.tolist()):
            out[v].append(idx)
        return out

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        return len(self._frame_index)

    def get_data_info(self, idx: int | tuple[int, int]) -> dict:
        """Frame info of a dataset index, or of ``(video_idx, frame_idx)``."""
        if not self._fully_initialized:
            self.full_init()
        video_idx, frame_idx = idx if isinstance(idx, tuple) else self._frame_index[idx].tolist()
        video = self.get_video_info(video_idx)
        info = copy.deepcopy(video["images"][frame_idx])
        info["video_name"] = video["video_name"]
        info["ori_video_length"] = video["video_length"]
        if self.backend_args is not None:
            info.setdefault("backend_args", copy.deepcopy(self.backend_args))
        return info

    def prepare_data(self, idx: Any) -> Any:
        if self.ref_img_sampler is None or self.test_mode:
            return self.pipeline(self.get_data_info(idx))
        video_idx, frame_idx = self._frame_index[idx].tolist()
        num_frames = len(self.get_video_info(video_idx)["images"])
        span = int(self.ref_img_sampler.get("frame_range", 10))
        candidates = np.arange(max(frame_idx - span, 0), min(frame_idx + span, num_frames - 1) + 1)
        if self.ref_img_sampler.get("filter_key_img", True) and len(candidates) > 1:
            candidates = candidates[candidates != frame_idx]
        refs = np.random.choice(candidates, int(self.ref_img_sampler.get("num_ref_imgs", 1)))
        packs = [self.pipeline(self.get_data_info((video_idx, int(f)))) for f in [frame_idx, *refs]]
        if any(p is None for p in packs):
            return None
        sample = packs[0]["data_samples"]
        sample.video_data_samples = [p["data_samples"][0] for p in packs]
        sample.set_metainfo(dict(key_frames_inds=[0], ref_frames_inds=list(range(1, len(packs)))))
        return dict(inputs=torch.cat([p["inputs"] for p in packs]), data_samples=sample)
