"""``BaseSOTDataset``: single-object tracking videos read from benchmark folders.

Each layout subclass lists its sequences and, per sequence, the frame paths and the
``groundtruth`` file (one ``x,y,w,h`` line per frame, read with core's
:func:`~visionbox.core.datasets.read_sot_groundtruth`); boxes become x1y1x2y2.

* ``test_mode=True``: one data info per frame (``img_path``, ``frame_id``, ``video_id``,
  ``video_name``, ``video_length``, ``instances`` with the frame's box), videos in order, for
  ``TrackImgSampler`` (:meth:`video_frame_indices`).
* ``test_mode=False``: one data info per video (``frames``: ``img_path``, ``bbox``, ``visible``);
  the pipeline receives ``dict(videos=[video, other_video])`` (another video drawn at random for
  negative pairs) and starts with :class:`PairSampling`.

A frame whose box is missing, NaN or empty, or that the layout marks absent, is not visible.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from visionbox.core.datasets import BaseVisionDataset
from visionbox.tracking.registry import DATASETS

__all__ = ["BaseSOTDataset", "read_sequence_list", "xywh_to_xyxy"]

IMG_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


def read_sequence_list(path: str) -> list[str]:
    """Sequence names, one a line (a ``name`` header line and blank lines are skipped)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"sequence list not found: {path!r}")
    with open(path, encoding="utf-8") as f:
        names = [line.strip().split(",")[0] for line in f]
    return [n for n in names if n and n != "name"]


def xywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """(F, 4) x,y,w,h -> x1y1x2y2."""
    return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)


def list_images(folder: str) -> list[str]:
    """Image files of a folder, sorted by name (numbers sort numerically)."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"frame folder not found: {folder!r}")
    names = [n for n in os.listdir(folder) if n.lower().endswith(IMG_EXTS)]

    def key(name: str) -> tuple:
        stem = os.path.splitext(name)[0]
        return (0, int(stem), name) if stem.isdigit() else (1, 0, name)

    return [os.path.join(folder, n) for n in sorted(names, key=key)]


def read_flags(path: str, length: int) -> np.ndarray:
    """(F,) bool flags from a file of 0/1 values (commas or lines); zeros when it is absent."""
    if not os.path.isfile(path):
        return np.zeros(length, bool)
    with open(path, encoding="utf-8") as f:
        values = [v for v in f.read().replace(",", " ").split() if v]
    flags = np.array([float(v) > 0 for v in values], bool)
    return np.pad(flags, (0, max(0, length - len(flags))))[:length]


@DATASETS.register_module()
class BaseSOTDataset(BaseVisionDataset):
    """Base of the SOT datasets; subclasses implement :meth:`list_sequences` and
    :meth:`load_sequence`.

    Args:
        ann_file: Optional list of sequence names (one a line), relative to ``data_root``.
        data_root: Dataset root.
        data_prefix: ``dict(img_path=...)``: the folder that holds the sequences.
        metainfo: Meta information (``classes`` defaults to ``('object',)``).
        pipeline: Transforms.
        test_mode: Frame-level infos for testing instead of video-level ones for training.
        indices, serialize_data, lazy_init, max_refetch, backend_args: As in
            :class:`~visionbox.core.datasets.BaseVisionDataset`.
    """

    METAINFO: dict = dict(classes=("object",))

    def __init__(
        self,
        ann_file: str | None = "",
        metainfo: Mapping | None = None,
        data_root: str | None = "",
        data_prefix: dict | None = None,
        indices: int | Sequence[int] | None = None,
        serialize_data: bool = True,
        pipeline: Sequence[dict | Callable] = (),
        test_mode: bool = False,
        lazy_init: bool = False,
        max_refetch: int = 1000,
        backend_args: dict | None = None,
    ) -> None:
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            indices=indices,
            serialize_data=serialize_data,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch,
            backend_args=backend_args,
        )

    # Layout ------------------------------------------------------------------------------------

    @property
    def seq_root(self) -> str:
        return self.data_prefix.get("img_path") or self.data_root or ""

    def list_sequences(self) -> list[str]:
        """Sequence names: ``ann_file`` when given, else the layout's own listing."""
        if self.ann_file:
            return read_sequence_list(self.ann_file)
        return self.find_sequences()

    def find_sequences(self) -> list[str]:
        """The sequences found in ``seq_root`` (folders with a ``groundtruth.txt``)."""
        root = self.seq_root
        if not os.path.isdir(root):
            raise FileNotFoundError(f"{type(self).__name__}: sequence folder not found: {root!r}")
        return sorted(
            n for n in os.listdir(root) if os.path.isfile(os.path.join(root, n, "groundtruth.txt"))
        )

    def load_sequence(self, name: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Frame paths, (F, 4) x,y,w,h boxes (NaN rows where unknown) and (F,) absent flags."""
        raise NotImplementedError(f"{type(self).__name__} must implement load_sequence")

    # Data list ---------------------------------------------------------------------------------

    def load_data_list(self) -> list[dict]:
        data_list: list[dict] = []
        for video_id, name in enumerate(self.list_sequences()):
            paths, boxes, absent = self.load_sequence(name)
            if len(boxes) > len(paths):
                raise ValueError(
                    f"{type(self).__name__}: sequence {name!r} has {len(boxes)} boxes but "
                    f"{len(paths)} frames"
                )
            boxes = np.concatenate([boxes, np.full((len(paths) - len(boxes), 4), np.nan)])
            xyxy = xywh_to_xyxy(boxes).astype(np.float32)
            visible = ~absent[: len(paths)] & np.isfinite(boxes).all(1)
            visible &= (boxes[:, 2] > 0) & (boxes[:, 3] > 0)
            if self.test_mode:
                for frame_id, path in enumerate(paths):
                    bbox = [float(v) for v in xyxy[frame_id]]
                    data_list.append(
                        dict(
                            img_path=path,
                            img_id=frame_id + 1,
                            frame_id=frame_id,
                            video_id=video_id,
                            video_name=name,
                            video_length=len(paths),
                            ori_video_length=len(paths),
                            visible=bool(visible[frame_id]),
                            instances=[
                                dict(
                                    bbox=bbox,
                                    bbox_label=0,
                                    instance_id=0,
                                    ignore_flag=0,
                                )
                            ],
                        )
                    )
            elif visible.any():
                data_list.append(
                    dict(
                        video_id=video_id,
                        video_name=name,
                        img_paths=list(paths),
                        bboxes=xyxy,
                        visible=visible,
                    )
                )
        return data_list

    def filter_data(self) -> list[dict]:
        return self.data_list

    def video_frame_indices(self) -> list[list[int]]:
        """Indices of the frame infos of each video, in order (test mode)."""
        if not self.test_mode:
            raise RuntimeError(f"{type(self).__name__}.video_frame_indices needs test_mode=True")
        videos: dict[int, list[int]] = {}
        for i in range(len(self)):
            videos.setdefault(self.get_data_info(i)["video_id"], []).append(i)
        return [videos[k] for k in sorted(videos)]

    def prepare_data(self, idx: int) -> Any:
        if self.test_mode:
            return self.pipeline(self.get_data_info(idx))
        other = random.randrange(len(self)) if len(self) > 1 else idx
        if other == idx and len(self) > 1:
            other = (idx + 1) % len(self)
        return self.pipeline(dict(videos=[self.get_data_info(idx), self.get_data_info(other)]))
