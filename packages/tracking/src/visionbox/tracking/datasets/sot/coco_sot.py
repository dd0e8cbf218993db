"""SOT training videos cut from box annotations: ``SOTCocoDataset`` (every COCO instance is a
one-frame video) and ``SOTImageNetVIDDataset`` (every instance track of a CocoVID json, as
written by mmtracking's ImageNet VID / DET converters, is a video)."""

from __future__ import annotations

import os
from collections import defaultdict

import numpy as np
from mmengine.fileio import load

from visionbox.core.datasets import AnnotationError
from visionbox.tracking.registry import DATASETS

from .base_sot_dataset import BaseSOTDataset, xywh_to_xyxy

__all__ = ["SOTCocoDataset", "SOTImageNetVIDDataset"]


def _video(video_id: int, name: str, paths: list[str], boxes: list) -> dict:
    xywh = np.asarray(boxes, np.float64).reshape(-1, 4)
    return dict(
        video_id=video_id,
        video_name=name,
        img_paths=paths,
        bboxes=xywh_to_xyxy(xywh).astype(np.float32),
        visible=(xywh[:, 2] > 0) & (xywh[:, 3] > 0),
    )


def _read_json(path: str) -> dict:
    if not path or not os.path.isfile(path):
        raise FileNotFoundError(f"annotation file not found: {path!r}")
    data = load(path)
    for key in ("images", "annotations"):
        if key not in data:
            raise AnnotationError(path, None, f"missing the {key!r} list")
    return data


@DATASETS.register_module()
class SOTCocoDataset(BaseSOTDataset):
    """COCO (or ImageNet DET in COCO format) as one-frame SOT videos: a positive pair is the
    instance with itself (the pair transforms make the two crops differ). Crowd boxes are
    skipped. ``ann_file`` is the COCO json; ``data_prefix.img_path`` the image folder."""

    def load_data_list(self) -> list[dict]:
        data = _read_json(self.ann_file)
        images = {img["id"]: img for img in data["images"]}
        videos = []
        for ann in data["annotations"]:
            if ann.get("iscrowd", 0) or ann["image_id"] not in images:
                continue
            path = os.path.join(self.seq_root, images[ann["image_id"]]["file_name"])
            video = _video(len(videos), f"{ann['image_id']}_{ann['id']}", [path], [ann["bbox"]])
            if video["visible"].any():
                videos.append(video)
        return self._as_frames(videos) if self.test_mode else videos

    def _as_frames(self, videos: list[dict]) -> list[dict]:
        frames = []
        for video in videos:
            for i, path in enumerate(video["img_paths"]):
                bbox = [float(v) for v in video["bboxes"][i]]
                frames.append(
                    dict(
                        img_path=path,
                        img_id=i + 1,
                        frame_id=i,
                        video_id=video["video_id"],
                        video_name=video["video_name"],
                        video_length=len(video["img_paths"]),
                        visible=bool(video["visible"][i]),
                        instances=[dict(bbox=bbox, bbox_label=0, instance_id=0, ignore_flag=0)],
                    )
                )
        return frames


@DATASETS.register_module()
class SOTImageNetVIDDataset(SOTCocoDataset):
    """ImageNet VID in mmtracking's CocoVID json (``videos``; ``images`` with ``video_id`` and
    ``frame_id``; ``annotations`` with ``instance_id``): every instance track is a video over
    the frames where it is annotated."""

    def load_data_list(self) -> list[dict]:
        data = _read_json(self.ann_file)
        images = {img["id"]: img for img in data["images"]}
        tracks: dict[tuple, list] = defaultdict(list)
        for ann in data["annotations"]:
            img = images.get(ann["image_id"])
            if img is None or ann.get("iscrowd", 0):
                continue
            key = (img.get("video_id", -1), ann.get("instance_id", ann["id"]))
            tracks[key].append((img.get("frame_id", 0), img["file_name"], ann["bbox"]))
        videos = []
        for (video_id, instance_id), frames in sorted(tracks.items()):
            frames.sort(key=lambda f: f[0])
            paths = [os.path.join(self.seq_root, f[1]) for f in frames]
            video = _video(len(videos), f"{video_id}_{instance_id}", paths, [f[2] for f in frames])
            if video["visible"].any():
                videos.append(video)
        return self._as_frames(videos) if self.test_mode else videos
