"""evaluate_coco on both backends against pycocotools' COCOeval.stats, run on the same data."""

from __future__ import annotations

import contextlib
import copy
import io

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from visionbox.core.evaluation.coco_eval import (
    build_coco,
    evaluate_coco,
    resolve_coco_backend,
)

BACKENDS = ["pycocotools", "faster_coco_eval"]
SIGMAS = np.array([0.026, 0.035, 0.072, 0.062, 0.107])
H, W = 240, 320


def _rle(box: np.ndarray) -> dict:
    mask = np.zeros((H, W), np.uint8, order="F")
    x1, y1, x2, y2 = np.round(box).astype(int)
    mask[y1:y2, x1:x2] = 1
    mask[y1 : (y1 + y2) // 2, x1 : (x1 + x2) // 2] = 0  # not a box: mask IoU != box IoU
    rle = mask_utils.encode(mask)
    rle["counts"] = rle["counts"].decode()
    return rle


def _random_case(seed: int, num_images: int = 8, num_cats: int = 3) -> tuple[dict, dict]:
    """Ground truth (crowds, all three area ranges, keypoints) and results of every iou type."""
    rng = np.random.default_rng(seed)
    images = [dict(id=i + 1, width=W, height=H, file_name=f"{i}.jpg") for i in range(num_images)]
    cats = [dict(id=10 + 7 * k, name=f"c{k}") for k in range(num_cats)]
    anns, results = [], dict(bbox=[], segm=[], keypoints=[])
    for img in images:
        for _ in range(rng.integers(0, 7)):
            side = rng.choice([12.0, 50.0, 150.0]) * rng.uniform(0.7, 1.3, 2)
            xy = rng.uniform(0, [W - side[0], H - side[1]])
            box = np.concatenate([xy, xy + side])
            kpts = np.stack(
                [rng.uniform(box[0], box[2], 5), rng.uniform(box[1], box[3], 5),
                 rng.choice([0, 1, 2], 5, p=[0.2, 0.3, 0.5])], 1)  # fmt: skip
            ann = dict(
                id=len(anns) + 1,
                image_id=img["id"],
                category_id=int(rng.choice([c["id"] for c in cats])),
                bbox=[*xy.tolist(), *side.tolist()],
                area=float(side.prod()),
                iscrowd=int(rng.random() < 0.1),
                segmentation=_rle(box),
                keypoints=kpts.reshape(-1).tolist(),
                num_keypoints=int((kpts[:, 2] > 0).sum()),
            )
            anns.append(ann)
            for _ in range(rng.integers(0, 3)):  # matches of varying quality, some duplicates
                pred = box + rng.normal(0, side.mean() * 0.08, 4)
                pred = np.clip(pred, 0, [W, H, W, H])
                pred[2:] = np.maximum(pred[2:], pred[:2] + 1)
                cat = ann["category_id"] if rng.random() < 0.85 else cats[0]["id"]
                _add_result(results, img["id"], cat, pred, kpts, rng)
        for _ in range(rng.integers(0, 4)):  # false positives
            xy = rng.uniform(0, [W - 40, H - 40])
            pred = np.concatenate([xy, xy + rng.uniform(5, 40, 2)])
            kpts = np.stack([rng.uniform(pred[0], pred[2], 5), rng.uniform(pred[1], pred[3], 5),
                             np.ones(5)], 1)  # fmt: skip
            _add_result(
                results, img["id"], int(rng.choice([c["id"] for c in cats])), pred, kpts, rng
            )
    gt = dict(images=images, annotations=anns, categories=cats)
    return gt, results


def _add_result(results, img_id, cat, box, kpts, rng) -> None:
    score = float(rng.random())
    xywh = [*box[:2].tolist(), *(box[2:] - box[:2]).tolist()]
    base = dict(image_id=img_id, category_id=int(cat), score=score)
    results["bbox"].append(dict(base, bbox=xywh))
    results["segm"].append(dict(base, segmentation=_rle(box)))
    noisy = kpts.copy()
    noisy[:, :2] += rng.normal(0, 0.02 * (box[2:] - box[:2]).mean(), (len(kpts), 2))
    noisy[:, 2] = rng.uniform(0.2, 1, len(kpts))
    results["keypoints"].append(dict(base, keypoints=noisy.reshape(-1).tolist()))


def _hand_made_case() -> tuple[dict, dict]:
    """Two images: a perfect match, a near miss, a crowd hit, a missed object, a duplicate."""
    images = [dict(id=1, width=W, height=H), dict(id=2, width=W, height=H)]
    cats = [dict(id=1, name="a"), dict(id=2, name="b")]
    boxes = [(1, 1, [10, 10, 100, 100], 0), (1, 2, [150, 20, 20, 20], 0),
             (2, 1, [0, 0, 200, 200], 1), (2, 1, [210, 100, 50, 60], 0)]  # fmt: skip
    anns = []
    for i, (img, cat, (x, y, w, h), crowd) in enumerate(boxes):
        box = np.array([x, y, x + w, y + h], float)
        anns.append(dict(id=i + 1, image_id=img, category_id=cat, bbox=[x, y, w, h],
                         area=float(w * h), iscrowd=crowd, segmentation=_rle(box)))  # fmt: skip
    preds = [(1, 1, [10, 10, 100, 100], 0.9), (1, 1, [12, 10, 100, 100], 0.8),
             (1, 2, [152, 22, 20, 20], 0.7), (2, 1, [20, 20, 50, 50], 0.6),
             (2, 2, [210, 100, 50, 60], 0.5)]  # fmt: skip
    results = dict(bbox=[], segm=[])
    for img, cat, (x, y, w, h), score in preds:
        box = np.array([x, y, x + w, y + h], float)
        base = dict(image_id=img, category_id=cat, score=score)
        results["bbox"].append(dict(base, bbox=[x, y, w, h]))
        results["segm"].append(dict(base, segmentation=_rle(box)))
    return dict(images=images, annotations=anns, categories=cats), results


def _pycocotools_stats(gt: dict, dets: list[dict], iou_type: str, **params) -> np.ndarray:
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        evaluator = COCOeval(coco, coco.loadRes(copy.deepcopy(dets)), iou_type)
        for key, value in params.items():
            setattr(evaluator.params, key, value)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator.stats


def _ours(gt: dict, dets: list[dict], iou_type: str, backend: str, **kwargs):
    coco = build_coco(copy.deepcopy(gt), backend)
    return evaluate_coco(coco, copy.deepcopy(dets), iou_type, backend, **kwargs)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_case_stats_equal_pycocotools(backend, iou_type, seed):
    gt, results = _random_case(seed)
    expected = _pycocotools_stats(gt, results[iou_type], iou_type)
    ours = _ours(gt, results[iou_type], iou_type, backend)
    assert ours.stats.shape == (12,)
    assert 0.05 < expected[0] < 0.95 and (expected[3:6] > 0).all()  # every area range is scored
    np.testing.assert_allclose(ours.stats, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_hand_made_case_stats_equal_pycocotools(backend, iou_type):
    gt, results = _hand_made_case()
    expected = _pycocotools_stats(gt, results[iou_type], iou_type)
    ours = _ours(gt, results[iou_type], iou_type, backend)
    np.testing.assert_allclose(ours.stats, expected, rtol=0, atol=1e-12)
    if iou_type == "bbox":
        # AP@0.5 by hand. Class a: 2 objects; its detections are a hit (0.9), a duplicate (0.8)
        # and a crowd hit (ignored), so precision is 1 up to recall 0.5 (51 of the 101 recall
        # points) and 0 beyond. Class b: its one object is found first (IoU 0.68), AP 1.
        assert ours.stats[1] == pytest.approx((51 / 101 + 1) / 2, abs=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_keypoint_stats_equal_pycocotools_with_the_dataset_sigmas(backend, seed):
    gt, results = _random_case(seed, num_cats=1)
    expected = _pycocotools_stats(gt, results["keypoints"], "keypoints", kpt_oks_sigmas=SIGMAS)
    ours = _ours(gt, results["keypoints"], "keypoints", backend, kpt_oks_sigmas=SIGMAS)
    assert ours.stats.shape == (10,) and 0.05 < expected[0] < 0.95
    np.testing.assert_allclose(ours.stats, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_mmdet_params_proposals_and_custom_thresholds(backend):
    gt, results = _random_case(3)
    params = dict(maxDets=[100, 300, 1000], useCats=0)
    expected = _pycocotools_stats(gt, results["bbox"], "bbox", **params)
    ours = _ours(gt, results["bbox"], "bbox", backend, max_dets=[100, 300, 1000], use_cats=False)
    np.testing.assert_allclose(ours.stats, expected, rtol=0, atol=1e-12)
    thrs = np.array([0.5, 0.6, 0.75])
    cats = [gt["categories"][0]["id"]]
    expected = _pycocotools_stats(gt, results["bbox"], "bbox", iouThrs=thrs, catIds=cats)
    ours = _ours(gt, results["bbox"], "bbox", backend, iou_thrs=thrs, cat_ids=cats)
    np.testing.assert_allclose(ours.stats, expected, rtol=0, atol=1e-12)
    assert "Average Precision  (AP) @[ IoU=0.50:0.75" in ours.summary


def test_backend_choice_and_errors(tmp_path):
    assert resolve_coco_backend("auto") == "faster_coco_eval"
    assert resolve_coco_backend("pycocotools") == "pycocotools"
    with pytest.raises(ValueError, match="'auto', 'faster_coco_eval', 'pycocotools'"):
        resolve_coco_backend("fast")
    with pytest.raises(FileNotFoundError, match="nowhere.json"):
        build_coco(str(tmp_path / "nowhere.json"))
    with pytest.raises(KeyError, match="categories"):
        build_coco(dict(images=[], annotations=[]))
    gt, results = _hand_made_case()
    with pytest.raises(TypeError, match="build_coco"):
        evaluate_coco(build_coco(gt, "pycocotools"), results["bbox"], "bbox", "faster_coco_eval")
    with pytest.raises(ValueError, match="at least one detection"):
        evaluate_coco(build_coco(gt), [], "bbox")
    with pytest.raises(ValueError, match="iou_type"):
        evaluate_coco(build_coco(gt), results["bbox"], "boxes")
