"""Time per image of a COCO-style training pipeline: VisionBox transforms vs torchvision v2.

Both pipelines read the same JPEG files (640x480, COCO's typical size) with their boxes, resize to
1333x800 keeping the ratio, flip horizontally with probability 0.5 and pack the result to a CHW
uint8 tensor plus box tensor. One thread each (``torch.set_num_threads(1)``,
``cv2.setNumThreads(1)``), the median of alternating rounds. The ratio is a time ratio, as in
every other benchmark: VisionBox / torchvision, below 1.0 when VisionBox is faster.

    python tools/analysis/benchmark_pipeline.py [--num-images 40 --rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import cv2
import numpy as np
import torch
from torchvision import tv_tensors
from torchvision.io import decode_jpeg, read_file
from torchvision.transforms import v2

from visionbox.core.datasets.shapes.render import (
    CLASS_COLORS,
    CLASSES,
    fill_polygon,
    shape_polygon,
    textured_background,
)
from visionbox.core.datasets.transforms import Compose


def make_images(folder: str, count: int) -> list[tuple[str, np.ndarray]]:
    items = []
    for i in range(count):
        rng = np.random.default_rng(i)
        img = textured_background(rng, 480, 640)
        boxes = []
        for _ in range(5):
            label = int(rng.integers(len(CLASSES)))
            cx, cy, size = rng.uniform(80, 560), rng.uniform(80, 400), rng.uniform(40, 150)
            poly = shape_polygon(CLASSES[label], cx, cy, size, rng.uniform(0, 6.3))
            fill_polygon(img, poly, CLASS_COLORS[label])
            boxes.append([*poly.min(0), *poly.max(0)])
        path = os.path.join(folder, f"{i:06d}.jpg")
        cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        items.append((path, np.asarray(boxes, np.float32)))
    return items


def visionbox_pipeline():
    pipeline = Compose(
        [
            dict(type="LoadImageFromFile"),
            dict(type="Resize", scale=(1333, 800), keep_ratio=True),
            dict(type="RandomFlip", prob=0.5),
            dict(type="PackInputs"),
        ]
    )

    def run(path: str, boxes: np.ndarray):
        return pipeline(
            {
                "img_path": path,
                "gt_bboxes": boxes.copy(),
                "gt_bboxes_labels": np.zeros(len(boxes), np.int64),
            }
        )

    return run


def torchvision_pipeline():
    transforms = v2.Compose([v2.Resize(800, max_size=1333), v2.RandomHorizontalFlip(0.5)])

    def run(path: str, boxes: np.ndarray):
        img = tv_tensors.Image(decode_jpeg(read_file(path)))
        target = tv_tensors.BoundingBoxes(
            torch.from_numpy(boxes), format="XYXY", canvas_size=tuple(img.shape[-2:])
        )
        img, target = transforms(img, target)
        return {
            "inputs": img.as_subclass(torch.Tensor).contiguous(),
            "bboxes": target.as_subclass(torch.Tensor),
            "labels": torch.zeros(len(boxes), dtype=torch.int64),
        }

    return run


def seconds_per_image(run, items) -> float:
    start = time.perf_counter()
    for path, boxes in items:
        run(path, boxes)
    return (time.perf_counter() - start) / len(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-images", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as folder:
        items = make_images(folder, args.num_images)
        ours, theirs = visionbox_pipeline(), torchvision_pipeline()
        out_ours, out_theirs = ours(*items[0]), theirs(*items[0])
        shapes = (tuple(out_ours["inputs"].shape), tuple(out_theirs["inputs"].shape))
        assert shapes[0][1:] == (800, 1067) and abs(shapes[1][2] - 1067) <= 1, shapes
        seconds_per_image(ours, items[:5])
        seconds_per_image(theirs, items[:5])
        times_ours, times_theirs = [], []
        for r in range(args.rounds):
            sides = [(ours, times_ours), (theirs, times_theirs)]
            for run, times in sides if r % 2 == 0 else sides[::-1]:
                times.append(seconds_per_image(run, items))
    a, b = statistics.median(times_ours), statistics.median(times_theirs)
    print(f"{args.num_images} images 640x480 -> 1333x800, {args.rounds} rounds, 1 thread")
    print(f"VisionBox (OpenCV)       : {a * 1000:7.2f} ms/image")
    print(f"torchvision.transforms.v2: {b * 1000:7.2f} ms/image")
    print(f"time ratio VisionBox / torchvision: {a / b:.2f}")


if __name__ == "__main__":
    main()
