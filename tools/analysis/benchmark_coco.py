"""Time VisionBox's detection ``CocoMetric`` against pycocotools' ``COCOeval`` and print the ratio.

Synthetic COCO data: ``--images`` images (640x480) with 5-15 ground-truth boxes each over 10
categories, and ``--dets`` scored detections per image (jittered ground truth plus false
positives). pycocotools' side is what a user of it runs: ``loadRes`` of the detection dicts, then
``evaluate``, ``accumulate``, ``summarize``. Ours is ``CocoMetric.process`` on the data samples
(tensors) plus ``compute_metrics``, on each backend. The stats are checked equal before timing.
One thread; each repeat times every side back to back, alternating the order; medians compared.

    python tools/analysis/benchmark_coco.py [--images 100 --dets 100 --repeats 5]

A ratio below 1.0 means VisionBox is faster.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import logging
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from mmengine.logging import MMLogger
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from visionbox.core.evaluation.coco_eval import build_coco
from visionbox.detection.evaluation.metrics.coco_metric import CocoMetric

NUM_CATS = 10


def make_data(num_images: int, dets: int, seed: int = 0) -> tuple[dict, list[dict]]:
    """A COCO ground-truth dict and the data samples that ``CocoMetric.process`` takes."""
    rng = np.random.default_rng(seed)
    images, anns, samples = [], [], []
    for img_id in range(1, num_images + 1):
        images.append(dict(id=img_id, width=640, height=480, file_name=f"{img_id}.jpg"))
        n = int(rng.integers(5, 16))
        wh = rng.uniform(10, 200, (n, 2))
        xy = rng.uniform(0, 1, (n, 2)) * (np.array([640, 480]) - wh)
        labels = rng.integers(0, NUM_CATS, n)
        for box, label in zip(np.concatenate([xy, wh], 1), labels, strict=True):
            ann = dict(id=len(anns) + 1, image_id=img_id, category_id=int(label) + 1)
            anns.append(dict(ann, bbox=box.tolist(), area=float(box[2] * box[3]), iscrowd=0))
        pick = rng.integers(0, n, dets)
        jitter = rng.normal(0, 0.1, (dets, 4)) * np.tile(wh[pick], 2)
        boxes = np.concatenate([xy[pick], xy[pick] + wh[pick]], 1) + jitter
        false = rng.random(dets) < 0.3
        boxes[false] = np.sort(rng.uniform(0, 480, (int(false.sum()), 4)), axis=1)
        det_labels = np.where(rng.random(dets) < 0.9, labels[pick], rng.integers(0, NUM_CATS, dets))
        pred = dict(
            bboxes=torch.from_numpy(boxes.astype(np.float32)),
            scores=torch.from_numpy(rng.random(dets).astype(np.float32)),
            labels=torch.from_numpy(det_labels),
        )
        samples.append(dict(img_id=img_id, ori_shape=(480, 640), pred_instances=pred))
    cats = [dict(id=k + 1, name=f"class{k}") for k in range(NUM_CATS)]
    return dict(images=images, annotations=anns, categories=cats), samples


def pycocotools_fn(gt: dict, samples: list[dict]) -> Callable[[], np.ndarray]:
    def run() -> np.ndarray:
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO()
            coco.dataset = copy.deepcopy(gt)
            coco.createIndex()
            dets = []
            for s in samples:
                p = s["pred_instances"]
                boxes = p["bboxes"].numpy().astype(np.float64)
                boxes[:, 2:] -= boxes[:, :2]
                for box, score, label in zip(
                    boxes.tolist(), p["scores"].tolist(), p["labels"].tolist(), strict=True
                ):
                    dets.append(dict(image_id=s["img_id"], category_id=label + 1, bbox=box,
                                     score=score))  # fmt: skip
            evaluator = COCOeval(coco, coco.loadRes(dets), "bbox")
            evaluator.evaluate()
            evaluator.accumulate()
            evaluator.summarize()
        return evaluator.stats

    return run


def ours_fn(gt: dict, samples: list[dict], backend: str) -> Callable[[], np.ndarray]:
    def run() -> np.ndarray:
        metric = CocoMetric(backend=backend, proposal_nums=(1, 10, 100))
        metric.dataset_meta = dict(classes=[c["name"] for c in gt["categories"]])
        metric._coco_api = build_coco(copy.deepcopy(gt), backend)  # as ann_file=... holds it
        metric.process({}, samples)
        results = metric.compute_metrics(metric.results)
        return np.array([results[f"bbox_{k}"] for k in ("mAP", "mAP_50", "mAP_75")])

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--dets", type=int, default=100, help="detections per image")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    gt, samples = make_data(args.images, args.dets)
    sides = {
        "pycocotools COCOeval": pycocotools_fn(gt, samples),
        "CocoMetric faster_coco_eval": ours_fn(gt, samples, "faster_coco_eval"),
        "CocoMetric pycocotools": ours_fn(gt, samples, "pycocotools"),
    }
    reference = np.round(sides["pycocotools COCOeval"]()[:3], 3)
    for name, fn in list(sides.items())[1:]:
        if not np.array_equal(fn(), reference):
            raise SystemExit(f"{name}: stats differ from pycocotools'")
    times: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for r in range(args.repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            sides[name]()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians["pycocotools COCOeval"]
    print(
        f"bbox evaluation, {args.images} images x {args.dets} detections, {NUM_CATS} classes, "
        f"1 thread, medians of {args.repeats}; stats equal to pycocotools'"
    )
    print(f"{'side':<30} {'time':>8} {'ratio':>7}")
    for name, t in medians.items():
        print(f"{name:<30} {t:>7.3f}s {t / base:>7.2f}")


if __name__ == "__main__":
    main()
