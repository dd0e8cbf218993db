"""``CocoDataset``: COCO-format instance annotations (boxes, polygon and RLE masks, crowds).

Each data info has ``img_path``, ``img_id``, ``height``, ``width`` and ``instances``: dicts with
``bbox`` [x1, y1, x2, y2] (pixels), ``bbox_label`` (index into ``metainfo['classes']``),
``ignore_flag`` (1 for ``iscrowd``) and ``mask`` (the COCO ``segmentation``: polygons or RLE).

What mmdet would skip silently fails with a message here: a class of ``metainfo`` that the
annotation file lacks, and an image file that does not exist (checked when the file lives on the
local disk).
"""

from __future__ import annotations

import os.path as osp
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from visionbox.core.datasets import BaseVisionDataset, load_coco_json
from visionbox.core.utils import did_you_mean

from ..registry import DATASETS

__all__ = ["CocoDataset", "COCO_CLASSES"]

COCO_CLASSES = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip


@DATASETS.register_module()
class CocoDataset(BaseVisionDataset):
    """COCO instances dataset (mmdet 3.x interface).

    Args:
        ann_file: COCO json, relative to ``data_root`` unless absolute.
        metainfo: ``dict(classes=(...), palette=[...])``: a class subset (in this order) or
            another dataset's classes; every name must be a category of ``ann_file``.
        data_root: Root of ``ann_file`` and ``data_prefix``.
        data_prefix: ``dict(img='train2017/')`` (``img_path`` is accepted too).
        filter_cfg: ``dict(filter_empty_gt=True, min_size=32)``: outside ``test_mode``, drop
            images without annotations of the chosen classes and images smaller than
            ``min_size``.
        indices / serialize_data / pipeline / test_mode / lazy_init / max_refetch /
        backend_args: As mmengine's ``BaseDataset``.
        seg_map_suffix: Kept for mmdet configs (panoptic data).
        proposal_file: Only ``None`` (precomputed proposals are not supported).
        return_classes: Add ``text`` (the class names) to every data info.
    """

    METAINFO: dict = dict(classes=COCO_CLASSES)

    def __init__(
        self,
        ann_file: str = "",
        metainfo: Mapping | None = None,
        data_root: str = "",
        data_prefix: dict | None = None,
        filter_cfg: dict | None = None,
        indices: int | Sequence[int] | None = None,
        serialize_data: bool = True,
        pipeline: Sequence[dict | Callable] = (),
        test_mode: bool = False,
        lazy_init: bool = False,
        max_refetch: int = 1000,
        backend_args: dict | None = None,
        seg_map_suffix: str = ".png",
        proposal_file: str | None = None,
        return_classes: bool = False,
    ) -> None:
        if proposal_file is not None:
            raise ValueError("CocoDataset: proposal_file is not supported; leave it None.")
        prefix = dict(data_prefix or {})
        prefix.setdefault("img", prefix.get("img_path", ""))
        prefix.setdefault("img_path", prefix["img"])
        self.seg_map_suffix = seg_map_suffix
        self.proposal_file = proposal_file
        self.return_classes = return_classes
        self.cat_ids: list[int] = []
        self.cat2label: dict[int, int] = {}
        self.cat_img_map: dict[int, set] = {}
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=prefix,
            filter_cfg=filter_cfg,
            indices=indices,
            serialize_data=serialize_data,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch,
            backend_args=backend_args,
        )

    def _category_ids(self, categories: list[dict]) -> list[int]:
        by_name = {c["name"]: c["id"] for c in categories}
        classes = list(self.metainfo.get("classes") or by_name)
        missing = [c for c in classes if c not in by_name]
        if missing:
            hints = "".join(did_you_mean(str(m), list(by_name)) for m in missing[:5])
            shown = (
                missing if len(missing) <= 10 else [*missing[:10], f"... ({len(missing)} in all)"]
            )
            raise ValueError(
                f"{type(self).__name__}: the classes {shown} of metainfo are not categories of "
                f"{self.ann_file} (its categories: {sorted(by_name)}).{hints} Set "
                "metainfo=dict(classes=(...)) to the dataset's class names."
            )
        return [by_name[c] for c in classes]

    def load_data_list(self) -> list[dict]:
        if not self.ann_file or not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f"{type(self).__name__}: annotation file not found: {self.ann_file!r}"
            )
        coco = load_coco_json(self.ann_file)
        self.cat_ids = self._category_ids(coco["categories"])
        if "classes" not in self._metainfo or not self._metainfo["classes"]:
            names = {c["id"]: c["name"] for c in coco["categories"]}
            self._metainfo["classes"] = tuple(names[i] for i in self.cat_ids)
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        anns_by_img: dict[int, list] = defaultdict(list)
        cat_img_map: dict[int, set] = defaultdict(set)
        for ann in coco["annotations"]:
            anns_by_img[ann["image_id"]].append(ann)
            cat_img_map[ann["category_id"]].add(ann["image_id"])
        self.cat_img_map = dict(cat_img_map)
        check_files = self.backend_args is None
        data_list = []
        for img in coco["images"]:
            info = self.parse_data_info(
                {"raw_img_info": img, "raw_ann_info": anns_by_img[img["id"]]}
            )
            if check_files and "://" not in info["img_path"] and not osp.isfile(info["img_path"]):
                raise FileNotFoundError(
                    f"{type(self).__name__}: image {img['id']} ({img['file_name']!r}) of "
                    f"{self.ann_file} not found: {info['img_path']}"
                )
            data_list.append(info)
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """One image and its annotations -> a data info (see the module docstring)."""
        img, anns = raw_data_info["raw_img_info"], raw_data_info["raw_ann_info"]
        info: dict = dict(
            img_path=osp.join(self.data_prefix["img"], img["file_name"]),
            img_id=img["id"],
            seg_map_path=None,
            height=img["height"],
            width=img["width"],
        )
        if self.return_classes:
            info["text"] = self.metainfo["classes"]
        instances = []
        for ann in anns:
            if ann.get("ignore", False) or ann["category_id"] not in self.cat2label:
                continue
            x1, y1, w, h = ann["bbox"]
            inter_w = max(0, min(x1 + w, img["width"]) - max(x1, 0))
            inter_h = max(0, min(y1 + h, img["height"]) - max(y1, 0))
            if inter_w * inter_h == 0 or ann.get("area", w * h) <= 0 or w < 1 or h < 1:
                continue
            instance = dict(
                bbox=[x1, y1, x1 + w, y1 + h],
                bbox_label=self.cat2label[ann["category_id"]],
                ignore_flag=1 if ann.get("iscrowd", 0) else 0,
            )
            if ann.get("segmentation") is not None:
                instance["mask"] = ann["segmentation"]
            instances.append(instance)
        info["instances"] = instances
        return info

    def filter_data(self) -> list[dict]:
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        filter_empty_gt = self.filter_cfg.get("filter_empty_gt", False)
        min_size = self.filter_cfg.get("min_size", 0)
        ids_in_cat: set = set()
        for cat_id in self.cat_ids:
            ids_in_cat |= self.cat_img_map.get(cat_id, set())
        kept = [
            info
            for info in self.data_list
            if not (filter_empty_gt and info["img_id"] not in ids_in_cat)
            and min(info["width"], info["height"]) >= min_size
        ]
        if self.data_list and not kept:
            raise ValueError(
                f"{type(self).__name__}: filter_cfg={dict(self.filter_cfg)} removes all "
                f"{len(self.data_list)} images of {self.ann_file}."
            )
        return kept

    def get_cat_ids(self, idx: int) -> list[int]:
        """Labels of the instances of sample ``idx``."""
        return [inst["bbox_label"] for inst in self.get_data_info(idx)["instances"]]
