"""Metrics against references computed another way: CocoMetric against pycocotools' COCOeval
with the same sigmas; PCK, AUC, EPE, NME and MPJPE against plain NumPy loops."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from visionbox.pose.evaluation import (
    AUC,
    EPE,
    MPJPE,
    NME,
    CocoMetric,
    PCKAccuracy,
    keypoint_mpjpe,
)

SIGMAS = np.array([0.026, 0.035, 0.072, 0.072, 0.062], np.float32)


def _samples(rng, n=12, k=5):
    samples = []
    for i in range(n):
        gt = rng.uniform(20, 200, (1, k, 2)).astype(np.float32)
        pred = gt + rng.normal(0, 4, gt.shape).astype(np.float32)
        vis = (rng.random((1, k)) > 0.2).astype(np.float32)
        box = np.array(
            [[gt[0, :, 0].min(), gt[0, :, 1].min(), gt[0, :, 0].max(), gt[0, :, 1].max()]]
        )
        samples.append(
            dict(
                img_id=i // 2 + 1,
                id=i + 1,
                category_id=1,
                gt_instances=dict(
                    keypoints=torch.from_numpy(gt),
                    keypoints_visible=torch.from_numpy(vis),
                    bboxes=torch.from_numpy(box.astype(np.float32)),
                ),
                pred_instances=dict(
                    keypoints=pred,
                    keypoint_scores=rng.uniform(0.3, 1, (1, k)).astype(np.float32),
                    bboxes=box.astype(np.float32),
                    bbox_scores=np.ones(1, np.float32),
                ),
            )
        )
    return samples


def _run(metric, samples, meta=None):
    metric.dataset_meta = meta or {}
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def _numpy_pck(samples, thr):
    hits = np.zeros(5)
    counts = np.zeros(5)
    for s in samples:
        gt = s["gt_instances"]["keypoints"].numpy()[0]
        pred = s["pred_instances"]["keypoints"][0]
        vis = s["gt_instances"]["keypoints_visible"].numpy()[0] > 0
        box = s["gt_instances"]["bboxes"].numpy()[0]
        norm = max(box[2] - box[0], box[3] - box[1])
        for k in range(5):
            if vis[k]:
                counts[k] += 1
                hits[k] += np.linalg.norm((pred[k] - gt[k]) / norm) < thr
    per_kpt = hits[counts > 0] / counts[counts > 0]
    return per_kpt.mean()


def test_pck_auc_epe_nme_equal_plain_numpy():
    samples = _samples(np.random.default_rng(0))
    assert _run(PCKAccuracy(thr=0.05), samples)["PCK"] == pytest.approx(_numpy_pck(samples, 0.05))
    dists, auc_parts = [], []
    for s in samples:
        gt = s["gt_instances"]["keypoints"].numpy()[0]
        pred = s["pred_instances"]["keypoints"][0]
        vis = s["gt_instances"]["keypoints_visible"].numpy()[0] > 0
        dists.extend(np.linalg.norm(pred - gt, axis=-1)[vis])
    assert _run(EPE(), samples)["EPE"] == pytest.approx(np.mean(dists), rel=1e-5)
    for thr_i in range(20):
        thr = thr_i / 20
        per = []
        for k in range(5):
            d = [
                np.linalg.norm(
                    s["pred_instances"]["keypoints"][0, k]
                    - s["gt_instances"]["keypoints"].numpy()[0, k]
                )
                / 30
                for s in samples
                if s["gt_instances"]["keypoints_visible"][0, k] > 0
            ]
            if d:
                per.append(np.mean(np.array(d) < thr))
        auc_parts.append(np.mean(per))
    assert _run(AUC(norm_factor=30), samples)["AUC"] == pytest.approx(np.mean(auc_parts))
    norm_dists = []
    for s in samples:
        gt = s["gt_instances"]["keypoints"].numpy()[0]
        pred = s["pred_instances"]["keypoints"][0]
        vis = s["gt_instances"]["keypoints_visible"].numpy()[0] > 0
        norm = np.linalg.norm(gt[0] - gt[1])
        norm_dists.extend((np.linalg.norm(pred - gt, axis=-1) / norm)[vis])
    nme = _run(NME(norm_mode="keypoint_distance", keypoint_indices=[0, 1]), samples)["NME"]
    assert nme == pytest.approx(np.mean(norm_dists), rel=1e-5)


def _procrustes_reference(pred, gt):
    """Umeyama's similarity alignment of one (K, 3) pose, written with plain loops."""
    mu_p, mu_g = pred.mean(0), gt.mean(0)
    p, g = pred - mu_p, gt - mu_g
    cov = g.T @ p / len(p)
    u, d, vt = np.linalg.svd(cov)
    s = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        s[2, 2] = -1
    r = u @ s @ vt
    scale = np.trace(np.diag(d) @ s) / (p**2).sum(1).mean()
    return scale * p @ r.T + mu_g


def test_mpjpe_variants_equal_plain_numpy():
    rng = np.random.default_rng(1)
    gt = rng.normal(size=(6, 11, 3))
    pred = gt * 1.3 + rng.normal(0, 0.05, gt.shape)
    mask = rng.random((6, 11)) > 0.1
    plain = np.mean(
        [np.linalg.norm(pred[n, k] - gt[n, k]) for n in range(6) for k in range(11) if mask[n, k]]
    )
    assert keypoint_mpjpe(pred, gt, mask) == pytest.approx(plain)
    aligned = np.stack([_procrustes_reference(pred[n], gt[n]) for n in range(6)])
    p_plain = np.linalg.norm(aligned - gt, axis=-1)[mask].mean()
    assert keypoint_mpjpe(pred, gt, mask, "procrustes") == pytest.approx(p_plain, rel=1e-6)
    scale = np.array([(pred[n] * gt[n]).sum() / (pred[n] ** 2).sum() for n in range(6)])
    n_plain = np.linalg.norm(pred * scale[:, None, None] - gt, axis=-1)[mask].mean()
    assert keypoint_mpjpe(pred, gt, mask, "scale") == pytest.approx(n_plain, rel=1e-6)
    # A rotated, scaled and moved copy has zero P-MPJPE.
    angle = 0.7
    rot = np.array(
        [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    )
    moved = 0.5 * gt @ rot.T + 3.0
    assert keypoint_mpjpe(moved, gt, np.ones((6, 11), bool), "procrustes") < 1e-9


def test_mpjpe_metric_reads_lifting_targets():
    rng = np.random.default_rng(2)
    samples = []
    for _ in range(4):
        gt = rng.normal(size=(1, 11, 3)).astype(np.float32)
        samples.append(
            dict(
                gt_instances=dict(
                    lifting_target=torch.from_numpy(gt), lifting_target_visible=torch.ones(1, 11)
                ),
                pred_instances=dict(keypoints=gt + 0.1),
            )
        )
    result = _run(MPJPE(), samples)
    assert result["MPJPE"] == pytest.approx(np.sqrt(3) * 0.1, rel=1e-5)
    assert set(_run(MPJPE(mode="p-mpjpe"), samples)) == {"P-MPJPE"}


def _coco_files(tmp_path, samples):
    images, anns = [], []
    for s in samples:
        if s["img_id"] not in {i["id"] for i in images}:
            images.append(
                dict(id=s["img_id"], width=256, height=256, file_name=f"{s['img_id']}.jpg")
            )
        gt = s["gt_instances"]["keypoints"].numpy()[0]
        vis = s["gt_instances"]["keypoints_visible"].numpy()[0] * 2
        box = s["gt_instances"]["bboxes"].numpy()[0]
        w, h = box[2] - box[0], box[3] - box[1]
        anns.append(
            dict(
                id=s["id"],
                image_id=s["img_id"],
                category_id=1,
                bbox=[float(box[0]), float(box[1]), float(w), float(h)],
                area=float(w * h),
                iscrowd=0,
                num_keypoints=int((vis > 0).sum()),
                keypoints=np.concatenate([gt, vis[:, None]], 1).reshape(-1).tolist(),
            )
        )
    path = tmp_path / "gt.json"
    path.write_text(
        json.dumps(dict(images=images, annotations=anns, categories=[dict(id=1, name="person")]))
    )
    return str(path)


@pytest.mark.parametrize("backend", ["faster_coco_eval", "pycocotools"])
def test_coco_metric_equals_cocoeval_with_the_same_sigmas(tmp_path, backend):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    samples = _samples(np.random.default_rng(3))
    ann_file = _coco_files(tmp_path, samples)
    metric = CocoMetric(ann_file=ann_file, score_mode="bbox", nms_mode="none", backend=backend)
    assert metric.backend == backend
    ours = _run(metric, samples, dict(sigmas=SIGMAS))

    results = []
    for s in samples:
        kpts = s["pred_instances"]["keypoints"][0]
        scores = s["pred_instances"]["keypoint_scores"][0]
        flat = np.concatenate([kpts, scores[:, None]], 1).reshape(-1)
        results.append(
            dict(image_id=s["img_id"], category_id=1, keypoints=flat.tolist(), score=1.0)
        )
    coco_gt = COCO(ann_file)
    evaluator = COCOeval(coco_gt, coco_gt.loadRes(results), "keypoints")
    evaluator.params.kpt_oks_sigmas = SIGMAS.astype(np.float64)
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    assert list(ours) == ["AP", "AP .5", "AP .75", "AP (M)", "AP (L)",
                          "AR", "AR .5", "AR .75", "AR (M)", "AR (L)"]  # fmt: skip
    np.testing.assert_allclose(list(ours.values()), evaluator.stats, rtol=0, atol=1e-12)
    assert 0 < ours["AP"] < 1


def test_coco_metric_oks_nms_drops_duplicates(tmp_path):
    samples = _samples(np.random.default_rng(4), n=2)
    dup = dict(samples[0], id=99)
    dup["pred_instances"] = dict(
        samples[0]["pred_instances"], bbox_scores=np.full(1, 0.5, np.float32)
    )
    metric = CocoMetric(ann_file=_coco_files(tmp_path, samples), nms_mode="oks_nms")
    metric.process({}, samples + [dup])
    coco = metric.results_to_coco(metric.results, SIGMAS)
    assert len(coco) == 2


def test_coco_metric_missing_file_names_it():
    with pytest.raises(FileNotFoundError, match="nowhere.json"):
        CocoMetric(ann_file="nowhere.json")


def test_coco_metric_without_ann_file_builds_the_ground_truth_from_the_samples(tmp_path):
    samples = _samples(np.random.default_rng(5))
    ann_file = _coco_files(tmp_path, samples)
    with open(ann_file) as f:
        anns = {a["id"]: a for a in json.load(f)["annotations"]}
    for s in samples:
        s["raw_ann_info"] = anns[s["id"]]
        s["ori_shape"] = (256, 256)
    with_file = _run(CocoMetric(ann_file=ann_file, nms_mode="none"), samples, dict(sigmas=SIGMAS))
    without = _run(CocoMetric(nms_mode="none"), samples, dict(sigmas=SIGMAS))
    assert without["AP"] == pytest.approx(with_file["AP"])
