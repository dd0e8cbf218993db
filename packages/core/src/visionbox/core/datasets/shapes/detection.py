"""VisionBox Shapes for detection and instance segmentation (COCO instances json) and for
semantic segmentation (``img_dir`` / ``ann_dir`` folders with PNG label maps).

Detection layout::

    OUT/annotations/instances_{train,val}.json   COCO: boxes, polygon masks, some iscrowd (RLE)
    OUT/{train,val}/000001.jpg                   256x256 BGR images

Segmentation layout::

    OUT/img_dir/{train,val}/000001.jpg
    OUT/ann_dir/{train,val}/000001.png           uint8 labels: 0 background, 1..5 the classes
    OUT/meta.json                                classes and palette
"""

from __future__ import annotations

import os

import numpy as np

from .render import (
    CLASS_COLORS,
    CLASSES,
    PALETTE,
    fill_polygon,
    jitter_color,
    place_boxes,
    polygon_area,
    rng_for,
    shape_polygon,
    textured_background,
    write_jpeg,
    write_json,
    write_png,
)

__all__ = ["make_detection", "make_segmentation", "rle_encode"]

SIZE = 256


def rle_encode(mask: np.ndarray) -> dict:
    """Uncompressed COCO RLE of an (H, W) binary mask (column-major runs, starting with zeros)."""
    flat = mask.reshape(-1, order="F").astype(np.uint8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat[0] == 1:
        counts = [0] + counts
    return {"counts": [int(c) for c in counts], "size": [int(mask.shape[0]), int(mask.shape[1])]}


def _random_objects(rng: np.random.Generator, count: int, lo: float, hi: float):
    labels = rng.integers(0, len(CLASSES), size=count)
    sizes = rng.uniform(lo, hi, size=count)
    angles = rng.uniform(0, 2 * np.pi, size=count)
    return labels, sizes, angles


def _round(values, nd: int = 2) -> list[float]:
    return [round(float(v), nd) for v in values]


def _detection_image(rng: np.random.Generator, image_id: int, next_ann_id: int):
    img = textured_background(rng, SIZE, SIZE)
    count = int(rng.integers(1, 5))
    labels, sizes, angles = _random_objects(rng, count, 36, 96)
    centres = place_boxes(rng, sizes, SIZE, SIZE)
    anns = []
    taken = []
    for label, size, angle, centre in zip(labels, sizes, angles, centres):
        if centre is None:
            continue
        poly = shape_polygon(CLASSES[label], centre[0], centre[1], size, angle)
        fill_polygon(img, poly, jitter_color(rng, CLASS_COLORS[label]))
        x1, y1 = poly.min(0)
        x2, y2 = poly.max(0)
        taken.append(np.array([x1 - 4, y1 - 4, x2 + 4, y2 + 4]))
        anns.append(
            {
                "id": next_ann_id + len(anns),
                "image_id": image_id,
                "category_id": int(label) + 1,
                "bbox": _round([x1, y1, x2 - x1, y2 - y1]),
                "area": round(polygon_area(poly), 2),
                "segmentation": [_round(poly.reshape(-1))],
                "iscrowd": 0,
            }
        )
    if rng.random() < 0.15:  # a crowd: a cluster of small shapes annotated as one RLE region
        label = int(rng.integers(0, len(CLASSES)))
        (centre,) = place_boxes(rng, np.array([40.0]), SIZE, SIZE, taken=taken)
        if centre is not None:
            crowd = np.zeros((SIZE, SIZE), np.uint8)
            color = jitter_color(rng, CLASS_COLORS[label])
            for _ in range(int(rng.integers(4, 7))):
                c = centre + rng.uniform(-14, 14, size=2)
                poly = shape_polygon(
                    CLASSES[label], c[0], c[1], rng.uniform(9, 13), rng.uniform(0, 2 * np.pi)
                )
                fill_polygon(img, poly, color)
                fill_polygon(crowd, poly, 1)
            ys, xs = np.nonzero(crowd)
            x1, y1, x2, y2 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
            anns.append(
                {
                    "id": next_ann_id + len(anns),
                    "image_id": image_id,
                    "category_id": label + 1,
                    "bbox": _round([x1, y1, x2 - x1, y2 - y1]),
                    "area": float(crowd.sum()),
                    "segmentation": rle_encode(crowd),
                    "iscrowd": 1,
                }
            )
    return img, anns


def make_detection(out_dir: str, seed: int, num_train: int, num_val: int) -> list[str]:
    """Write the detection set; returns the annotation files."""
    written = []
    categories = [{"id": i + 1, "name": c, "supercategory": "shape"} for i, c in enumerate(CLASSES)]
    for split, count in (("train", num_train), ("val", num_val)):
        images, annotations = [], []
        for index in range(count):
            rng = rng_for(seed, "detection", split, index)
            image_id = index + 1
            img, anns = _detection_image(rng, image_id, len(annotations) + 1)
            name = f"{image_id:06d}.jpg"
            write_jpeg(os.path.join(out_dir, split, name), img)
            images.append({"id": image_id, "file_name": name, "width": SIZE, "height": SIZE})
            annotations.extend(anns)
        path = os.path.join(out_dir, "annotations", f"instances_{split}.json")
        write_json(
            path,
            {
                "info": {
                    "description": "VisionBox Shapes detection",
                    "version": "1.0",
                    "seed": seed,
                },
                "licenses": [],
                "images": images,
                "annotations": annotations,
                "categories": categories,
            },
        )
        written.append(path)
    return written


def _segmentation_image(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    img = textured_background(rng, SIZE, SIZE)
    labels_map = np.zeros((SIZE, SIZE), np.uint8)
    count = int(rng.integers(2, 6))
    labels, sizes, angles = _random_objects(rng, count, 36, 110)
    centres = rng.uniform(24, SIZE - 24, size=(count, 2))
    for label, size, angle, centre in zip(labels, sizes, angles, centres):
        poly = shape_polygon(CLASSES[label], centre[0], centre[1], size, angle)
        fill_polygon(img, poly, jitter_color(rng, CLASS_COLORS[label]))
        fill_polygon(labels_map, poly, int(label) + 1)
    return img, labels_map


def make_segmentation(out_dir: str, seed: int, num_train: int, num_val: int) -> list[str]:
    """Write the semantic segmentation set; returns the split folders of the label maps."""
    written = []
    for split, count in (("train", num_train), ("val", num_val)):
        for index in range(count):
            rng = rng_for(seed, "segmentation", split, index)
            img, labels_map = _segmentation_image(rng)
            name = f"{index + 1:06d}"
            write_jpeg(os.path.join(out_dir, "img_dir", split, name + ".jpg"), img)
            write_png(os.path.join(out_dir, "ann_dir", split, name + ".png"), labels_map)
        written.append(os.path.join(out_dir, "ann_dir", split))
    write_json(
        os.path.join(out_dir, "meta.json"),
        {
            "classes": ["background", *CLASSES],
            "palette": [[0, 0, 0], *[list(p) for p in PALETTE]],
        },
    )
    return written
