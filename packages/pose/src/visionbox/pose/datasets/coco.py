"""``CocoDataset``: COCO-keypoints style datasets, top-down (one sample per instance) or
bottom-up (one sample per image), as mmpose's ``BaseCocoStyleDataset``.

A top-down sample has ``img_id``, ``img_path``, ``bbox`` (1, 4) x1y1x2y2, ``bbox_score`` (1,),
``keypoints`` (1, K, 2), ``keypoints_visible`` (1, K) in {0, 1}, ``num_keypoints``, ``area``,
``iscrowd``, ``category_id``, ``id``; a bottom-up sample stacks N instances and lists the crowd
regions in ``invalid_segs``. Every sample also carries the metainfo keys the transforms need
(``flip_indices``, ``upper_body_ids``, ``dataset_keypoint_weights``, ...).
"""

from __future__ import annotations

import copy
import os.path as osp
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from mmengine.fileio import load

from visionbox.core.datasets import BaseVisionDataset
from visionbox.core.datasets.readers import AnnotationError

from ..registry import DATASETS
from .metainfo import parse_pose_metainfo

__all__ = ["CocoDataset"]

_PASSED_META = (
    "dataset_name",
    "upper_body_ids",
    "lower_body_ids",
    "flip_pairs",
    "dataset_keypoint_weights",
    "flip_indices",
    "skeleton_links",
    "sigmas",
)


@DATASETS.register_module()
class CocoDataset(BaseVisionDataset):
    """COCO keypoints (``person_keypoints_*.json``) or any set in the same format.

    Args:
        ann_file: COCO keypoints json, relative to ``data_root``.
        bbox_file: Detection results json (COCO results format) used instead of the ground-truth
            boxes in top-down testing.
        data_mode: ``'topdown'`` or ``'bottomup'``.
        metainfo: ``dict(from_file=<dataset_info.py>)`` or a dataset_info dict; the default is
            COCO's 17 keypoints.
        data_root: Root of ``ann_file`` and ``data_prefix``.
        data_prefix: ``dict(img=<image folder>)``.
        filter_cfg: ``bbox_score_thr`` (detections), ``filter_empty_gt``, ``min_size``.
        indices: Keep only these samples.
        serialize_data: Keep the data list as one buffer.
        pipeline: Transforms.
        test_mode: Testing.
        lazy_init: Defer loading.
        max_refetch: Samples to try when the pipeline returns None.
    """

    METAINFO: dict = dict(from_file="configs/_base_/datasets/coco.py")

    def __init__(
        self,
        ann_file: str = "",
        bbox_file: str | None = None,
        data_mode: Literal["topdown", "bottomup"] = "topdown",
        metainfo: dict | None = None,
        data_root: str | None = "",
        data_prefix: dict | None = None,
        filter_cfg: dict | None = None,
        indices: int | Sequence[int] | None = None,
        serialize_data: bool = True,
        pipeline: Sequence[dict | Callable] = (),
        test_mode: bool = False,
        lazy_init: bool = False,
        max_refetch: int = 1000,
    ) -> None:
        if data_mode not in ("topdown", "bottomup"):
            raise ValueError(f"data_mode must be 'topdown' or 'bottomup'; got {data_mode!r}.")
        if bbox_file is not None and (data_mode != "topdown" or not test_mode):
            raise ValueError("bbox_file is only used in top-down test mode (test_mode=True).")
        self.data_mode = data_mode
        self.bbox_file = bbox_file
        filter_cfg = dict(filter_cfg or {})
        self.bbox_score_thr = float(filter_cfg.pop("bbox_score_thr", 0.0))
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=dict(img="") if data_prefix is None else dict(data_prefix),
            filter_cfg=filter_cfg or None,
            indices=indices,
            serialize_data=serialize_data,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch,
        )

    @classmethod
    def _load_metainfo(cls, metainfo: dict | None = None) -> dict:
        if metainfo is None:
            metainfo = copy.deepcopy(cls.METAINFO)
        if not isinstance(metainfo, dict):
            raise TypeError(f"metainfo must be a dict; got {type(metainfo).__name__}.")
        return parse_pose_metainfo(dict(metainfo)) if metainfo else {}

    def _join_prefix(self) -> None:
        super()._join_prefix()
        if self.bbox_file and self.data_root and not osp.isabs(self.bbox_file):
            candidate = osp.join(self.data_root, self.bbox_file)
            if osp.isfile(candidate) or not osp.isfile(self.bbox_file):
                self.bbox_file = candidate

    def load_raw_list(self) -> list[Any]:
        coco = load(self.ann_file)
        if not isinstance(coco, dict) or "images" not in coco or "annotations" not in coco:
            raise AnnotationError(self.ann_file, None, "expected COCO json with images/annotations")
        self._images = {img["id"]: img for img in coco["images"]}
        return coco["annotations"]

    def _img_path(self, img: dict) -> str:
        return osp.join(self.data_prefix.get("img", ""), img["file_name"])

    def parse_data_info(self, raw: dict) -> dict | list:
        if "bbox" not in raw or "keypoints" not in raw:
            return []
        img = self._images.get(raw["image_id"])
        if img is None:
            raise AnnotationError(self.ann_file, f"annotation {raw.get('id')}", "unknown image_id")
        w, h = img["width"], img["height"]
        x, y, bw, bh = raw["bbox"]
        x1, y1 = np.clip(x, 0, w - 1), np.clip(y, 0, h - 1)
        x2, y2 = np.clip(x + bw, 0, w - 1), np.clip(y + bh, 0, h - 1)
        kpts = np.asarray(raw["keypoints"], np.float32).reshape(1, -1, 3)
        num = self._metainfo.get("num_keypoints")
        if num is not None and kpts.shape[1] != num:
            raise AnnotationError(
                self.ann_file, f"annotation {raw.get('id')}",
                f"{kpts.shape[1]} keypoints; the dataset info has {num}",
            )  # fmt: skip
        return dict(
            img_id=raw["image_id"],
            img_path=self._img_path(img),
            ori_shape=(h, w),
            bbox=np.array([[x1, y1, x2, y2]], np.float32),
            bbox_score=np.ones(1, np.float32),
            num_keypoints=int(raw.get("num_keypoints", int((kpts[..., 2] > 0).sum()))),
            keypoints=kpts[..., :2],
            keypoints_visible=np.minimum(1, kpts[..., 2]).astype(np.float32),
            area=np.array([raw.get("area", bw * bh)], np.float32),
            iscrowd=int(raw.get("iscrowd", 0)),
            segmentation=raw.get("segmentation"),
            id=raw["id"],
            category_id=int(raw.get("category_id", 1)),
            raw_ann_info=copy.deepcopy(raw),
        )

    def load_data_list(self) -> list[dict]:
        instances = super().load_data_list()
        if self.data_mode == "bottomup":
            return self._bottomup_list(instances)
        if self.bbox_file is not None:
            return self._detection_list()
        kept = [d for d in instances if not d["iscrowd"] and d["keypoints_visible"].max() > 0]
        return kept

    def _bottomup_list(self, instances: list[dict]) -> list[dict]:
        by_image: dict[int, list[dict]] = {img_id: [] for img_id in self._images}
        for inst in instances:
            by_image[inst["img_id"]].append(inst)
        data_list = []
        for img_id, insts in by_image.items():
            img = self._images[img_id]
            normal = [d for d in insts if not d["iscrowd"]]
            if not normal and not self.test_mode:
                continue
            k = self._metainfo.get("num_keypoints", 0)
            info = dict(
                img_id=img_id,
                img_path=self._img_path(img),
                ori_shape=(img["height"], img["width"]),
                bbox=np.concatenate([d["bbox"] for d in normal])
                if normal
                else np.zeros((0, 4), np.float32),
                bbox_score=np.ones(len(normal), np.float32),
                keypoints=np.concatenate([d["keypoints"] for d in normal])
                if normal
                else np.zeros((0, k, 2), np.float32),
                keypoints_visible=np.concatenate([d["keypoints_visible"] for d in normal])
                if normal
                else np.zeros((0, k), np.float32),
                area=np.concatenate([d["area"] for d in normal])
                if normal
                else np.zeros(0, np.float32),
                iscrowd=[0] * len(normal),
                category_id=[d["category_id"] for d in normal],
                id=[d["id"] for d in normal],
                invalid_segs=[d["segmentation"] for d in insts if d["iscrowd"]],
                raw_ann_info=[d["raw_ann_info"] for d in insts],
            )
            data_list.append(info)
        return data_list

    def _detection_list(self) -> list[dict]:
        if not osp.isfile(self.bbox_file):
            raise FileNotFoundError(f"CocoDataset: bbox_file not found: {self.bbox_file!r}")
        detections = load(self.bbox_file)
        k = self._metainfo.get("num_keypoints", 0)
        data_list = []
        for index, det in enumerate(detections):
            if det.get("category_id", 1) != 1 or det["score"] < self.bbox_score_thr:
                continue
            img = self._images[det["image_id"]]
            x, y, w, h = det["bbox"]
            data_list.append(
                dict(
                    img_id=det["image_id"],
                    img_path=self._img_path(img),
                    ori_shape=(img["height"], img["width"]),
                    bbox=np.array([[x, y, x + w, y + h]], np.float32),
                    bbox_score=np.array([det["score"]], np.float32),
                    keypoints=np.zeros((1, k, 2), np.float32),
                    keypoints_visible=np.ones((1, k), np.float32),
                    id=index,
                    category_id=1,
                )
            )
        return data_list

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        for key in _PASSED_META:
            if key in self._metainfo:
                info[key] = copy.deepcopy(self._metainfo[key])
        return info
