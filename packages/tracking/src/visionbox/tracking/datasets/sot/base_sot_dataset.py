"""``BaseSOTDataset``: single-object tracking videos read from benchmark folders.

Sequences come from ``ann_file`` or, without one, from the layout's own listing:

* mmtracking's infos files (``lasot_test_infos.txt``, ``otb100_infos.txt``,
  ``got10k_train_infos.txt``, ``trackingnet_train_infos.txt``, ...): a header line
  (``The format of each line in this txt is (video_path,annotation_path,start_frame_id,
  end_frame_id)``) then ``video_path,ann_path,start_frame_id,end_frame_id`` per sequence, paths
  relative to ``data_prefix.img_path``. The frames are ``video_path/<template % i>`` for ``i`` in
  ``start..end`` (the layout's ``FRAMENAME_TEMPLATE``) and the annotation's lines are those
  frames' boxes, in order (OTB's David: frames 300-770, 471 boxes);
* a list of sequence names, one a line (LaSOT's ``testing_set.txt``, GOT-10k's ``list.txt``):
  the frames are the sorted images of the sequence folder, and their count must equal the
  annotation's (a single first-frame box, as in test splits, is also accepted).

Each annotation is a ``groundtruth`` file (one ``x,y,w,h`` line per frame, read with core's
:func:`~visionbox.core.datasets.read_sot_groundtruth`); boxes become x1y1x2y2.

* ``test_mode=True``: one data info per frame (``img_path``, ``frame_id`` (from 0),
  ``video_id``, ``video_name``, ``video_length``, ``instances`` with the frame's box), videos in
  order, for ``TrackImgSampler`` (:meth:`video_frame_indices`).
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

from visionbox.core.datasets import BaseVisionDataset, read_sot_groundtruth

__all__ = ["BaseSOTDataset", "read_sequence_file", "read_sequence_list", "xywh_to_xyxy"]

IMG_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


def _is_header(line: str) -> bool:
    return "start_frame_id" in line or line.split(",")[0].strip() in ("name", "video_path")


def read_sequence_file(path: str) -> list[dict]:
    """Entries of a sequence file: an mmtracking infos file (``dict(video_path, ann_path,
    start_frame_id, end_frame_id)`` per line) or a name list (``dict(name=...)`` per line).
    Header lines (mmtracking's ``The format of each line ... start_frame_id ...``, ``name``,
    ``video_path,...``) and blank lines are skipped."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"sequence list not found: {path!r}")
    entries = []
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or _is_header(line):
                continue
            fields = [v.strip() for v in line.split(",")]
            if len(fields) == 4:
                try:
                    start, end = int(fields[2]), int(fields[3])
                except ValueError as err:
                    raise ValueError(
                        f"{path}: line {lineno} {line!r}: start/end frame ids are not integers"
                    ) from err
                if end < start:
                    raise ValueError(f"{path}: line {lineno} {line!r}: end_frame_id < start")
                entries.append(
                    dict(
                        video_path=fields[0].replace("\\", "/"),
                        ann_path=fields[1].replace("\\", "/"),
                        start_frame_id=start,
                        end_frame_id=end,
                    )
                )
            elif len(fields) == 1 or (len(fields) > 1 and not any(fields[1:])):
                entries.append(dict(name=fields[0]))
            else:
                raise ValueError(
                    f"{path}: line {lineno} {line!r}: expected a sequence name or "
                    "'video_path,ann_path,start_frame_id,end_frame_id'"
                )
    return entries


def read_sequence_list(path: str) -> list[str]:
    """Sequence names, one a line (header and blank lines are skipped)."""
    return [e.get("name") or e["video_path"] for e in read_sequence_file(path)]


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


def read_values(path: str) -> np.ndarray | None:
    """Numbers of a flag/label file (commas or lines); None when the file is absent."""
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return np.array([float(v) for v in f.read().replace(",", " ").split() if v])


def read_flags(path: str, length: int, offset: int = 0) -> np.ndarray:
    """(F,) bool flags (value > 0) from ``offset`` on; zeros when the file is absent."""
    values = read_values(path)
    if values is None:
        return np.zeros(length, bool)
    flags = values[offset : offset + length] > 0
    return np.pad(flags, (0, max(0, length - len(flags))))[:length]


class BaseSOTDataset(BaseVisionDataset):
    """Base of the SOT datasets (not registered: build ``LaSOTDataset``, ``GOT10kDataset``,
    ``TrackingNetDataset``, ``OTBDataset``, ``ShapesSOTDataset``, ``SOTCocoDataset`` or
    ``SOTImageNetVIDDataset``). A folder layout sets ``FRAMENAME_TEMPLATE`` and implements
    :meth:`sequence_entry` (and :meth:`absent_flags` when it marks absent frames).

    Args:
        ann_file: Optional mmtracking infos file or list of sequence names, relative to
            ``data_root`` (see the module docstring).
        data_root: Dataset root.
        data_prefix: ``dict(img_path=...)``: the folder that holds the sequences.
        metainfo: Meta information (``classes`` defaults to ``('object',)``).
        pipeline: Transforms.
        test_mode: Frame-level infos for testing instead of video-level ones for training.
        indices, serialize_data, lazy_init, max_refetch, backend_args: As in
            :class:`~visionbox.core.datasets.BaseVisionDataset`.
    """

    METAINFO: dict = dict(classes=("object",))
    FRAMENAME_TEMPLATE: str = "%08d.jpg"

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

    def list_sequences(self) -> list[dict]:
        """Sequence entries (``name``, ``video_path``, ``ann_path`` and, from an infos file,
        ``start_frame_id`` / ``end_frame_id``): ``ann_file`` when given, else the layout's
        own listing."""
        raw = read_sequence_file(self.ann_file) if self.ann_file else self.find_sequences()
        entries = []
        for item in raw:
            if isinstance(item, str):
                item = dict(name=item)
            if "video_path" in item:
                entry = dict(item, name=self.entry_name(item["video_path"]))
            else:
                entry = dict(self.sequence_entry(item["name"]), name=item["name"])
            entries.append(self.adjust_entry(entry))
        return entries

    def find_sequences(self) -> list[str]:
        """The sequences found in ``seq_root`` (folders with a ``groundtruth.txt``)."""
        root = self.seq_root
        if not os.path.isdir(root):
            raise FileNotFoundError(f"{type(self).__name__}: sequence folder not found: {root!r}")
        return sorted(
            n for n in os.listdir(root) if os.path.isfile(os.path.join(root, n, "groundtruth.txt"))
        )

    def sequence_entry(self, name: str) -> dict:
        """``dict(video_path=..., ann_path=...)`` of a sequence name, relative to
        ``seq_root``."""
        raise TypeError(
            f"{type(self).__name__} does not read folder layouts; the SOT folder datasets are "
            "LaSOTDataset, GOT10kDataset, TrackingNetDataset, OTBDataset and ShapesSOTDataset"
        )

    def entry_name(self, video_path: str) -> str:
        """The sequence name of an infos line's ``video_path`` (its folder, without a
        trailing ``img``)."""
        parts = [p for p in video_path.strip("/").split("/") if p]
        if len(parts) > 1 and parts[-1] == "img":
            parts = parts[:-1]
        return parts[-1] if parts else video_path

    def adjust_entry(self, entry: dict) -> dict:
        """Layout-specific additions to an entry (e.g. OTB's ``init_skip_num``)."""
        return entry

    def absent_flags(self, entry: dict, length: int) -> np.ndarray:
        """(F,) frames the layout marks absent (none by default)."""
        return np.zeros(length, bool)

    def load_sequence(self, entry: dict) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Frame paths, (F, 4) x,y,w,h boxes (NaN rows where unknown) and (F,) absent flags."""
        frames_dir = os.path.join(self.seq_root, entry["video_path"])
        ann_path = os.path.join(self.seq_root, entry["ann_path"])
        boxes = read_sot_groundtruth(ann_path)[entry.get("init_skip_num", 0) :]
        if entry.get("start_frame_id") is not None:
            if not os.path.isdir(frames_dir):
                raise FileNotFoundError(f"frame folder not found: {frames_dir!r}")
            template = entry.get("framename_template", self.FRAMENAME_TEMPLATE)
            ids = range(entry["start_frame_id"], entry["end_frame_id"] + 1)
            paths = [os.path.join(frames_dir, template % i) for i in ids]
            hint = f"frames {entry['start_frame_id']}..{entry['end_frame_id']} of the infos file"
        else:
            paths = list_images(frames_dir)
            hint = (
                "images in the folder; give the sequence's frame range with an mmtracking "
                "infos file (ann_file)"
            )
        if len(boxes) != len(paths) and not (len(boxes) == 1 and self.test_mode):
            raise ValueError(
                f"{type(self).__name__}: sequence {entry['name']!r}: {len(boxes)} boxes in "
                f"{ann_path!r} but {len(paths)} {hint}"
            )
        boxes = np.concatenate([boxes, np.full((len(paths) - len(boxes), 4), np.nan)])
        return paths, boxes, self.absent_flags(entry, len(paths))

    # Data list ---------------------------------------------------------------------------------

    def load_data_list(self) -> list[dict]:
        data_list: list[dict] = []
        for video_id, entry in enumerate(self.list_sequences()):
            name = entry["name"]
            paths, boxes, absent = self.load_sequence(entry)
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
