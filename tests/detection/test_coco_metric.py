"""CocoMetric against pycocotools' COCOeval run directly on the same ground truth and results."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from visionbox.detection.registry import METRICS

CLASSES = ("a", "b", "c")


def _square(h, w, box):
    m = np.zeros((h, w), np.uint8)
    x1, y1, x2, y2 = (int(v) for v in box)
    m[y1:y2, x1:x2] = 1
    return m


def _ground_truth(tmp_path, rng):
    images, anns = [], []
    for img_id in range(1, 7):
        images.append(dict(id=img_id, file_name=f"{img_id}.jpg", width=64, height=48))
        for _ in range(rng.integers(1, 4)):
            x, y = rng.integers(0, 30, size=2)
            w, h = rng.integers(6, 30, size=2)
            w, h = min(w, 64 - x), min(h, 48 - y)
            rle = mask_utils.encode(np.asfortranarray(_square(48, 64, (x, y, x + w, y + h))))
            rle["counts"] = rle["counts"].decode()
            anns.append(
                dict(id=len(anns) + 1, image_id=img_id, category_id=int(rng.integers(1, 4)) * 10,
                     bbox=[int(x), int(y), int(w), int(h)], area=int(w * h),
                     iscrowd=int(rng.random() < 0.1), segmentation=rle)
            )  # fmt: skip
    cats = [dict(id=10 * (i + 1), name=n) for i, n in enumerate(CLASSES)]
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(dict(images=images, annotations=anns, categories=cats)))
    return path, anns


def _predictions(anns, rng):
    samples = {}
    for img_id in range(1, 7):
        boxes, scores, labels = [], [], []
        for ann in anns:
            if ann["image_id"] != img_id:
                continue
            x, y, w, h = ann["bbox"]
            jitter = rng.normal(0, 2, size=4)
            boxes.append([x + jitter[0], y + jitter[1], x + w + jitter[2], y + h + jitter[3]])
            scores.append(rng.random())
            labels.append(ann["category_id"] // 10 - 1 if rng.random() < 0.8 else 0)
        for _ in range(3):  # false positives
            x, y = rng.integers(0, 40, size=2)
            boxes.append([x, y, x + 10, y + 12])
            scores.append(rng.random() * 0.5)
            labels.append(int(rng.integers(0, 3)))
        boxes = np.clip(np.array(boxes, np.float32), 0, [64, 48, 64, 48])
        masks = np.stack([_square(48, 64, b) for b in boxes]).astype(bool)
        samples[img_id] = dict(
            img_id=img_id,
            ori_shape=(48, 64),
            pred_instances=dict(
                bboxes=torch.from_numpy(boxes),
                scores=torch.tensor(scores, dtype=torch.float32),
                labels=torch.tensor(labels),
                masks=torch.from_numpy(masks),
            ),
        )
    return samples


def _reference(gt_path, samples, iou_type, use_cats=True):
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(gt_path))
        dets = []
        for s in samples.values():
            p = s["pred_instances"]
            for i in range(len(p["labels"])):
                x1, y1, x2, y2 = p["bboxes"][i].tolist()
                det = dict(
                    image_id=s["img_id"],
                    category_id=(int(p["labels"][i]) + 1) * 10,
                    score=float(p["scores"][i]),
                    bbox=[x1, y1, x2 - x1, y2 - y1],
                )
                if iou_type == "segm":
                    rle = mask_utils.encode(
                        np.asfortranarray(p["masks"][i].numpy().astype(np.uint8))
                    )
                    det = dict(det, segmentation=rle)
                    del det["bbox"]
                dets.append(det)
        evaluator = COCOeval(coco, coco.loadRes(dets), iou_type)
        evaluator.params.useCats = int(use_cats)
        evaluator.params.maxDets = [100, 300, 1000]
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator.stats


@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(0)
    gt_path, anns = _ground_truth(tmp_path, rng)
    return gt_path, _predictions(anns, rng)


def _run(metric, samples):
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, list(samples.values()))
    return metric.evaluate(len(samples))


@pytest.mark.parametrize("backend", ["faster_coco_eval", "pycocotools"])
@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_coco_metric_equals_cocoeval(data, iou_type, backend, monkeypatch):
    gt_path, samples = data
    metric = METRICS.build(
        dict(type="CocoMetric", ann_file=str(gt_path), metric=iou_type, backend=backend)
    )
    assert metric.backend == backend

    def no_files(*args, **kwargs):
        raise AssertionError("CocoMetric wrote a file without outfile_prefix")

    monkeypatch.setattr(json, "dump", no_files)  # the detections stay in memory
    results = _run(metric, samples)
    stats = _reference(gt_path, samples, iou_type)
    names = ["mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l"]
    assert stats[0] > 0.1
    for i, name in enumerate(names):
        assert results[f"coco/{iou_type}_{name}"] == float(f"{round(stats[i], 3)}"), name


@pytest.mark.parametrize("backend", ["faster_coco_eval", "pycocotools"])
def test_proposal_metric_and_classwise(data, backend):
    gt_path, samples = data
    metric = METRICS.build(
        dict(type="CocoMetric", ann_file=str(gt_path), metric=["bbox", "proposal"],
             classwise=True, backend=backend)
    )  # fmt: skip
    results = _run(metric, samples)
    stats = _reference(gt_path, samples, "bbox", use_cats=False)
    names = ["AR@100", "AR@300", "AR@1000", "AR_s@1000", "AR_m@1000", "AR_l@1000"]
    for i, name in enumerate(names, start=6):
        assert results[f"coco/{name}"] == float(f"{stats[i]:.3f}"), name
    assert {f"coco/{c}_precision" for c in CLASSES} <= set(results)


def test_without_ann_file_uses_the_samples_ground_truth(data, tmp_path):
    gt_path, samples = data
    gt = json.loads(gt_path.read_text())
    for sample in samples.values():
        sample["instances"] = [
            dict(bbox=[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2],
                       a["bbox"][1] + a["bbox"][3]],
                 bbox_label=a["category_id"] // 10 - 1, ignore_flag=a["iscrowd"])
            for a in gt["annotations"] if a["image_id"] == sample["img_id"]
        ]  # fmt: skip
    with_file = _run(METRICS.build(dict(type="CocoMetric", ann_file=str(gt_path))), samples)
    without = _run(METRICS.build(dict(type="CocoMetric")), samples)
    assert without["coco/bbox_mAP"] == with_file["coco/bbox_mAP"]


def test_format_only_writes_results(data, tmp_path):
    gt_path, samples = data
    prefix = str(tmp_path / "out" / "res")
    (tmp_path / "out").mkdir()
    metric = METRICS.build(
        dict(type="CocoMetric", ann_file=str(gt_path), metric=["bbox", "segm"],
             format_only=True, outfile_prefix=prefix)
    )  # fmt: skip
    assert _run(metric, samples) == {}
    dets = json.loads((tmp_path / "out" / "res.bbox.json").read_text())
    assert len(dets) == sum(len(s["pred_instances"]["labels"]) for s in samples.values())
    assert {d["category_id"] for d in dets} <= {10, 20, 30}
    assert (tmp_path / "out" / "res.segm.json").is_file()


def test_bad_arguments():
    with pytest.raises(KeyError, match="bbox"):
        METRICS.build(dict(type="CocoMetric", metric="bboxes"))
    with pytest.raises(ValueError, match="outfile_prefix"):
        METRICS.build(dict(type="CocoMetric", format_only=True))
    with pytest.raises(FileNotFoundError, match="missing.json"):
        METRICS.build(dict(type="CocoMetric", ann_file="missing.json"))
    with pytest.raises(ValueError, match="'auto', 'faster_coco_eval', 'pycocotools'"):
        METRICS.build(dict(type="CocoMetric", backend="fast"))
