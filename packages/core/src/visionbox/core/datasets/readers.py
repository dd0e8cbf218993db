"""Readers of the standard annotation formats that fail with the file, the record and the reason.

* COCO json (instances and keypoints): :func:`load_coco_json` checks every image, category and
  annotation record (ids, references, boxes, polygons, RLE, keypoints) before a dataset uses it.
* MOTChallenge: :func:`read_mot_txt` (``gt/gt.txt`` and ``det/det.txt``), :func:`read_seqinfo`.
* SOT: :func:`read_sot_groundtruth` (``groundtruth.txt``, one ``x,y,w,h`` per frame).
"""

from __future__ import annotations

import configparser
import json
import math
import os
from typing import Any

import numpy as np

from ..utils.errors import UserError

__all__ = [
    "AnnotationError",
    "check_coco",
    "coco_problems",
    "load_coco_json",
    "read_mot_txt",
    "read_seqinfo",
    "read_sot_groundtruth",
]


class AnnotationError(UserError, ValueError):
    """An annotation file breaks its format: names the file, the record and the problem."""

    def __init__(self, path: str | os.PathLike, record: str | None, problem: str) -> None:
        self.path = str(path)
        self.record = record
        self.problem = problem
        where = f"{self.path}: {record}: " if record else f"{self.path}: "
        super().__init__(where + problem)


def _require_file(path: str | os.PathLike, what: str) -> None:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} not found: {path}")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_image(img: Any) -> str | None:
    if not isinstance(img, dict):
        return "is not an object"
    for key in ("id", "file_name", "width", "height"):
        if key not in img:
            return f"has no '{key}'"
    if not isinstance(img["file_name"], str) or not img["file_name"]:
        return f"file_name {img['file_name']!r} is not a non-empty string"
    for key in ("width", "height"):
        if not isinstance(img[key], int) or img[key] <= 0:
            return f"{key} {img[key]!r} is not a positive integer"
    return None


def _check_segmentation(seg: Any, iscrowd: int, image: dict) -> str | None:
    if isinstance(seg, list):
        if not seg and not iscrowd:
            return None
        for i, poly in enumerate(seg):
            if not isinstance(poly, list) or not all(_is_number(v) for v in poly):
                return f"segmentation polygon {i} is not a list of numbers"
            if len(poly) % 2 or len(poly) < 6:
                return (
                    f"segmentation polygon {i} has {len(poly)} coordinates; a polygon needs an "
                    "even number, at least 6"
                )
        return None
    if isinstance(seg, dict):
        if "counts" not in seg or "size" not in seg:
            return "RLE segmentation needs 'counts' and 'size'"
        if list(seg["size"]) != [image["height"], image["width"]]:
            return (
                f"RLE size {seg['size']} differs from the image's "
                f"[height, width] = [{image['height']}, {image['width']}]"
            )
        if (
            isinstance(seg["counts"], list)
            and sum(seg["counts"]) != image["height"] * image["width"]
        ):
            return "RLE counts do not add up to height * width"
        return None
    return f"segmentation of type {type(seg).__name__} is neither polygons nor RLE"


def _check_annotation(ann: Any, images: dict, categories: dict) -> str | None:
    for key in ("id", "image_id", "category_id", "bbox"):
        if key not in ann:
            return f"has no '{key}'"
    if ann["image_id"] not in images:
        return f"image_id {ann['image_id']!r} is not in 'images'"
    if ann["category_id"] not in categories:
        return f"category_id {ann['category_id']!r} is not in 'categories'"
    bbox = ann["bbox"]
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(_is_number(v) for v in bbox):
        return f"bbox {bbox!r} is not 4 finite numbers [x, y, w, h]"
    if bbox[2] < 0:
        return f"bbox {bbox} has a negative width ({bbox[2]})"
    if bbox[3] < 0:
        return f"bbox {bbox} has a negative height ({bbox[3]})"
    if "area" in ann and (not _is_number(ann["area"]) or ann["area"] < 0):
        return f"area {ann['area']!r} is not a non-negative number"
    iscrowd = ann.get("iscrowd", 0)
    if iscrowd not in (0, 1):
        return f"iscrowd {iscrowd!r} is not 0 or 1"
    if "segmentation" in ann:
        problem = _check_segmentation(ann["segmentation"], iscrowd, images[ann["image_id"]])
        if problem:
            return problem
    if "keypoints" in ann:
        kpts = ann["keypoints"]
        names = categories[ann["category_id"]].get("keypoints")
        if not isinstance(kpts, list) or len(kpts) % 3 or not all(_is_number(v) for v in kpts):
            return "keypoints is not a list of x, y, v triplets"
        if names is not None and len(kpts) != 3 * len(names):
            return f"keypoints has {len(kpts) // 3} points, the category names {len(names)}"
        if any(v not in (0, 1, 2) for v in kpts[2::3]):
            return "keypoint visibility flags must be 0, 1 or 2"
        if "num_keypoints" in ann and ann["num_keypoints"] != sum(v > 0 for v in kpts[2::3]):
            return f"num_keypoints {ann['num_keypoints']} differs from the labelled keypoints"
    return None


def coco_problems(data: Any) -> list[tuple[str | None, str]]:
    """All format problems of a loaded COCO dict as ``(record, problem)`` pairs (empty if valid)."""
    if not isinstance(data, dict):
        return [(None, "the file does not hold a JSON object")]
    problems: list[tuple[str | None, str]] = []
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            problems.append((None, f"top-level '{key}' is missing or not a list"))
    if problems:
        return problems
    images: dict = {}
    for img in data["images"]:
        rec = f"image id {img.get('id')!r}" if isinstance(img, dict) else "image"
        problem = _check_image(img)
        if problem is None and img["id"] in images:
            problem = "the id is used twice"
        if problem:
            problems.append((rec, problem))
        else:
            images[img["id"]] = img
    categories: dict = {}
    for cat in data["categories"]:
        if not isinstance(cat, dict) or "id" not in cat or "name" not in cat:
            problems.append((f"category {cat!r}", "needs 'id' and 'name'"))
        elif cat["id"] in categories:
            problems.append((f"category id {cat['id']!r}", "the id is used twice"))
        else:
            categories[cat["id"]] = cat
    seen: set = set()
    for ann in data["annotations"]:
        if not isinstance(ann, dict):
            problems.append(("annotation", "is not an object"))
            continue
        rec = f"annotation id {ann.get('id')!r} (image id {ann.get('image_id')!r})"
        problem = _check_annotation(ann, images, categories)
        if problem is None and ann["id"] in seen:
            problem = "the id is used twice"
        if problem:
            problems.append((rec, problem))
        seen.add(ann.get("id"))
    return problems


def check_coco(data: Any, path: str | os.PathLike = "<dict>") -> None:
    """Raise :class:`AnnotationError` for the first problem of a loaded COCO dict."""
    problems = coco_problems(data)
    if problems:
        record, problem = problems[0]
        more = f" ({len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise AnnotationError(path, record, problem + more)


def load_coco_json(path: str | os.PathLike, check: bool = True) -> dict:
    """Load a COCO json file and check it (see :func:`coco_problems`)."""
    _require_file(path, "COCO annotation file")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as err:
        raise AnnotationError(path, f"line {err.lineno}", f"invalid JSON: {err.msg}") from err
    if check:
        check_coco(data, path)
    return data


def read_mot_txt(path: str | os.PathLike, min_columns: int = 6) -> np.ndarray:
    """Read a MOTChallenge ``gt.txt`` / ``det.txt`` into an (M, C) float64 array.

    Columns: frame, id, x, y, w, h, conf, class, visibility (``gt``) or frame, -1, x, y, w, h,
    score, ... (``det``). Frames are 1-based.
    """
    _require_file(path, "MOTChallenge file")
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                values = [float(v) for v in line.split(",")]
            except ValueError as err:
                raise AnnotationError(
                    path, f"line {lineno} {line!r}", f"not numbers: {err}"
                ) from err
            if len(values) < min_columns:
                raise AnnotationError(
                    path,
                    f"line {lineno} {line!r}",
                    f"has {len(values)} columns, expected at least {min_columns}",
                )
            if values[0] < 1 or values[4] < 0 or values[5] < 0:
                raise AnnotationError(
                    path, f"line {lineno} {line!r}", "frame must be >= 1 and w, h >= 0"
                )
            rows.append(values)
    width = max((len(r) for r in rows), default=min_columns)
    out = np.full((len(rows), width), -1.0)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def read_seqinfo(path: str | os.PathLike) -> dict:
    """Read a MOTChallenge ``seqinfo.ini`` into a dict (``seqLength``, ``imWidth``, ... as ints)."""
    _require_file(path, "seqinfo.ini")
    parser = configparser.ConfigParser()
    parser.optionxform = str
    try:
        parser.read(path, encoding="utf-8")
        info = dict(parser["Sequence"])
    except (configparser.Error, KeyError) as err:
        raise AnnotationError(path, "[Sequence]", f"unreadable: {err}") from err
    for key in ("frameRate", "seqLength", "imWidth", "imHeight"):
        if key not in info:
            raise AnnotationError(path, "[Sequence]", f"has no '{key}'")
        try:
            info[key] = int(info[key])
        except ValueError as err:
            raise AnnotationError(path, key, f"{info[key]!r} is not an integer") from err
    return info


def read_sot_groundtruth(path: str | os.PathLike) -> np.ndarray:
    """Read an SOT ``groundtruth.txt`` (``x,y,w,h`` per frame; commas, tabs or spaces) -> (F, 4)."""
    _require_file(path, "SOT groundtruth file")
    boxes = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            parts = line.replace("\t", ",").replace(" ", ",").split(",")
            try:
                values = [float(v) for v in parts if v != ""]
            except ValueError as err:
                raise AnnotationError(
                    path, f"line {lineno} {line!r}", f"not numbers: {err}"
                ) from err
            if len(values) != 4:
                raise AnnotationError(
                    path, f"line {lineno} {line!r}", f"has {len(values)} values, expected x,y,w,h"
                )
            boxes.append(values)
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
