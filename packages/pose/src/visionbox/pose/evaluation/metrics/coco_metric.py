"""``CocoMetric``: COCO keypoint AP/AR through ``COCOeval(iouType='keypoints')`` with the
dataset's OKS sigmas, after mmpose's rescoring and OKS-NMS. It runs on faster-coco-eval's compiled
backend when installed (pycocotools otherwise; both give pycocotools' 10 stats), with the results
in memory: a json is written only for ``outfile_prefix`` / ``format_only``.

Shape shorthand: N instances of an image, K keypoints.
"""

from __future__ import annotations

import os.path as osp
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.fileio import dump
from mmengine.logging import MMLogger

from visionbox.core.evaluation.coco_eval import (
    COCO_BACKENDS,
    build_coco,
    evaluate_coco,
    resolve_coco_backend,
)

from ...registry import METRICS
from .keypoint_metrics import _np

__all__ = ["CocoMetric", "oks_iou", "oks_nms"]

_STATS = ("AP", "AP .5", "AP .75", "AP (M)", "AP (L)", "AR", "AR .5", "AR .75", "AR (M)", "AR (L)")


def oks_iou(
    g: np.ndarray,
    d: np.ndarray,
    a_g: float,
    a_d: np.ndarray,
    sigmas: np.ndarray,
    vis_thr: float | None = None,
) -> np.ndarray:
    """OKS between one (K, 3) pose ``g`` and M (M, K, 3) poses ``d`` (x, y, score)."""
    variances = (sigmas * 2) ** 2
    dx = d[..., 0] - g[None, :, 0]
    dy = d[..., 1] - g[None, :, 1]
    e = (dx**2 + dy**2) / variances / ((a_g + a_d[:, None]) / 2 + np.spacing(1)) / 2
    keep = np.ones_like(e, dtype=bool)
    if vis_thr is not None:
        keep = (g[None, :, 2] > vis_thr) & (d[..., 2] > vis_thr)
    counts = np.maximum(keep.sum(axis=1), 1)
    return np.where(keep.any(axis=1), (np.exp(-e) * keep).sum(axis=1) / counts, 0.0)


def oks_nms(
    instances: list[dict], thr: float, sigmas: np.ndarray, vis_thr: float | None = None
) -> list[int]:
    """Greedy NMS by OKS; returns the kept indices, highest score first."""
    if not instances:
        return []
    scores = np.array([inst["score"] for inst in instances])
    kpts = np.stack(
        [
            np.concatenate([inst["keypoints"], inst["keypoint_scores"][:, None]], 1)
            for inst in instances
        ]
    )
    areas = np.array([inst["area"] for inst in instances])
    order = scores.argsort()[::-1]
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        overlaps = oks_iou(kpts[i], kpts[rest], areas[i], areas[rest], sigmas, vis_thr)
        order = rest[overlaps <= thr]
    return keep


@METRICS.register_module()
class CocoMetric(BaseMetric):
    """COCO keypoint evaluation.

    Args:
        ann_file: COCO keypoints json of the ground truth; None builds it from the samples'
            ``raw_ann_info`` (pack it with ``PackPoseInputs(meta_keys=(..., 'raw_ann_info'))``).
        use_area: Use the gt areas in OKS (pycocotools always does; must be True).
        iou_type: ``'keypoints'``.
        score_mode: Instance score: ``'bbox'``, ``'bbox_keypoint'`` (box score times the mean of
            the keypoint scores above ``keypoint_score_thr``) or ``'bbox_rle'``.
        keypoint_score_thr: Threshold of the keypoint scores in ``'bbox_keypoint'``.
        nms_mode: ``'oks_nms'`` or ``'none'``.
        nms_thr: OKS threshold of the NMS.
        format_only: Only write the results json (``outfile_prefix.keypoints.json``).
        pred_converter: Not supported (kept for configs; must be None).
        gt_converter: Not supported (must be None).
        outfile_prefix: Where to write the results json.
        collect_device: Device to gather results across processes.
        prefix: Prefix of the metric names (default ``'coco'``).
        backend: ``'faster_coco_eval'`` (compiled, the default when installed), ``'pycocotools'``
            or ``'auto'``; both give the same stats.
    """

    default_prefix = "coco"

    def __init__(
        self,
        ann_file: str | None = None,
        use_area: bool = True,
        iou_type: Literal["keypoints"] = "keypoints",
        score_mode: Literal["bbox", "bbox_keypoint", "bbox_rle", "keypoint"] = "bbox_keypoint",
        keypoint_score_thr: float = 0.2,
        nms_mode: Literal["oks_nms", "none"] = "oks_nms",
        nms_thr: float = 0.9,
        format_only: bool = False,
        pred_converter: dict | None = None,
        gt_converter: dict | None = None,
        outfile_prefix: str | None = None,
        collect_device: str = "cpu",
        prefix: str | None = None,
        backend: Literal["auto", "faster_coco_eval", "pycocotools"] = "auto",
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if backend not in COCO_BACKENDS:
            raise ValueError(f"CocoMetric backend {backend!r} is not one of {COCO_BACKENDS}")
        self.backend = resolve_coco_backend(backend)
        self._coco_gt: Any = None
        if iou_type != "keypoints":
            raise ValueError(f"CocoMetric evaluates iou_type='keypoints' only; got {iou_type!r}.")
        if score_mode not in ("bbox", "bbox_keypoint", "bbox_rle", "keypoint"):
            raise ValueError(f"Unknown score_mode {score_mode!r}.")
        if nms_mode not in ("oks_nms", "none"):
            raise ValueError(f"nms_mode must be 'oks_nms' or 'none'; got {nms_mode!r}.")
        if pred_converter is not None or gt_converter is not None:
            raise ValueError("CocoMetric does not support pred_converter / gt_converter.")
        if not use_area:
            raise ValueError("pycocotools' OKS always uses the gt areas: use_area must be True.")
        if format_only and outfile_prefix is None:
            raise ValueError("format_only=True needs outfile_prefix.")
        if ann_file is not None and not osp.isfile(ann_file):
            raise FileNotFoundError(f"CocoMetric: annotation file not found: {ann_file!r}")
        self.ann_file = ann_file
        self.use_area = use_area
        self.iou_type = iou_type
        self.score_mode = score_mode
        self.keypoint_score_thr = keypoint_score_thr
        self.nms_mode = nms_mode
        self.nms_thr = nms_thr
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = sample["pred_instances"]
            kpts = _np(pred["keypoints"]).reshape(-1, *_np(pred["keypoints"]).shape[-2:])
            scores = _np(pred["keypoint_scores"]).reshape(kpts.shape[:2])
            n = len(kpts)
            bbox_scores = (
                _np(pred["bbox_scores"]).reshape(-1) if "bbox_scores" in pred else np.ones(n)
            )
            if "bboxes" in pred:
                boxes = _np(pred["bboxes"]).reshape(-1, 4)
                areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
            else:
                areas = np.prod(kpts.max(1) - kpts.min(1), axis=1)
            result = dict(
                img_id=sample["img_id"],
                category_id=int(sample.get("category_id", 1))
                if np.isscalar(sample.get("category_id", 1))
                else 1,
                keypoints=kpts[..., :2].astype(np.float64),
                keypoint_scores=scores.astype(np.float64),
                bbox_scores=bbox_scores.astype(np.float64),
                areas=areas.astype(np.float64),
            )
            if self.ann_file is None:
                result["raw_ann_info"] = sample.get("raw_ann_info")
                result["ori_shape"] = sample.get("ori_shape")
            self.results.append(result)

    def _instance_score(self, kpt_scores: np.ndarray, bbox_score: float) -> float:
        if self.score_mode == "bbox":
            return float(bbox_score)
        if self.score_mode == "keypoint":
            return float(kpt_scores.mean())
        if self.score_mode == "bbox_rle":
            return float(bbox_score * kpt_scores.mean())
        valid = kpt_scores > self.keypoint_score_thr
        mean = kpt_scores[valid].mean() if valid.any() else 0.0
        return float(bbox_score * mean)

    def _gt_json(self, results: list[dict]) -> dict:
        images, annotations, seen = [], [], set()
        for r in results:
            if r["img_id"] not in seen:
                seen.add(r["img_id"])
                h, w = r.get("ori_shape") or (0, 0)
                images.append(dict(id=r["img_id"], width=int(w), height=int(h)))
            raw = r.get("raw_ann_info")
            if raw is None:
                raise KeyError(
                    "CocoMetric(ann_file=None) needs raw_ann_info in the samples' metainfo."
                )
            annotations.extend(raw if isinstance(raw, list) else [raw])
        unique = {a["id"]: a for a in annotations}
        return dict(
            images=images, annotations=list(unique.values()), categories=[dict(id=1, name="person")]
        )

    def results_to_coco(self, results: list[dict], sigmas: np.ndarray) -> list[dict]:
        """Rescore, NMS per image and format as COCO keypoint results."""
        by_image: dict[Any, list[dict]] = defaultdict(list)
        for r in results:
            for i in range(len(r["keypoints"])):
                by_image[r["img_id"]].append(
                    dict(
                        image_id=r["img_id"],
                        category_id=r["category_id"],
                        keypoints=r["keypoints"][i],
                        keypoint_scores=r["keypoint_scores"][i],
                        score=self._instance_score(r["keypoint_scores"][i], r["bbox_scores"][i]),
                        area=r["areas"][i],
                    )
                )
        coco_results = []
        for instances in by_image.values():
            keep = range(len(instances))
            if self.nms_mode == "oks_nms":
                keep = oks_nms(instances, self.nms_thr, sigmas)
            for i in keep:
                inst = instances[i]
                flat = np.concatenate(
                    [inst["keypoints"], inst["keypoint_scores"][:, None]], 1
                ).reshape(-1)
                coco_results.append(
                    dict(
                        image_id=inst["image_id"],
                        category_id=inst["category_id"],
                        keypoints=flat.tolist(),
                        score=inst["score"],
                    )
                )
        return coco_results

    def compute_metrics(self, results: list) -> dict:
        logger = MMLogger.get_current_instance()
        sigmas = np.asarray(self.dataset_meta["sigmas"], np.float64)
        coco_results = self.results_to_coco(results, sigmas)
        if self.outfile_prefix is not None:
            res_file = f"{self.outfile_prefix}.keypoints.json"
            dump(coco_results, res_file, indent=None)
            if self.format_only:
                logger.info(f"CocoMetric wrote the results to {res_file}.")
                return {}
        if self.ann_file is not None:
            if self._coco_gt is None:
                self._coco_gt = build_coco(self.ann_file, self.backend)
            coco_gt = self._coco_gt
        else:
            coco_gt = build_coco(self._gt_json(results), self.backend)
        if not coco_results:
            logger.warning("CocoMetric: no predictions; AP and AR are 0.")
            return {name: 0.0 for name in _STATS}
        evaluation = evaluate_coco(
            coco_gt, coco_results, self.iou_type, self.backend, kpt_oks_sigmas=sigmas
        )
        logger.info(f"Evaluating keypoints...\n{evaluation.summary}")
        return {name: float(value) for name, value in zip(_STATS, evaluation.stats, strict=True)}
