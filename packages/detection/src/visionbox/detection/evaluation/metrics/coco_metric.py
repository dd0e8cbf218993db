"""``CocoMetric``: COCO box, mask and proposal AP/AR computed by COCOeval on faster-coco-eval's
compiled backend (pycocotools when it is not installed), with mmdet 3.x's interface and result
names: ``coco/bbox_mAP``, ``coco/segm_mAP_50``, ``coco/AR@100``.

``process`` takes data samples as dicts with ``img_id``, ``ori_shape`` and ``pred_instances``
(``bboxes`` (N, 4) x1y1x2y2 in the original image, ``scores``, ``labels`` and optional ``masks``
(N, H, W)); without ``ann_file`` they must carry ``instances`` (the dataset's ground truth) too.
The values are pycocotools' ``COCOeval.stats`` rounded to 3 decimals, as mmdet reports them; both
backends give the same stats (:mod:`visionbox.core.evaluation.coco_eval`). Detections go to the
evaluator in memory; files are written only for ``outfile_prefix`` / ``format_only``.
"""

from __future__ import annotations

import json
import os.path as osp
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from pycocotools import mask as mask_utils

from visionbox.core.evaluation.coco_eval import (
    COCO_BACKENDS,
    CocoEvaluation,
    build_coco,
    evaluate_coco,
    resolve_coco_backend,
)

from ...registry import METRICS

__all__ = ["CocoMetric", "encode_mask_results"]

_METRICS = ("bbox", "segm", "proposal")
_STAT_INDEX = {
    "mAP": 0, "mAP_50": 1, "mAP_75": 2, "mAP_s": 3, "mAP_m": 4, "mAP_l": 5,
    "AR@100": 6, "AR@300": 7, "AR@1000": 8, "AR_s@1000": 9, "AR_m@1000": 10, "AR_l@1000": 11,
}  # fmt: skip


def encode_mask_results(masks: np.ndarray) -> list[dict]:
    """(N, H, W) binary masks -> N COCO RLEs with ``counts`` as str (one pycocotools call)."""
    if len(masks) == 0:
        return []
    rles = mask_utils.encode(np.asfortranarray(np.transpose(masks.astype(np.uint8), (1, 2, 0))))
    for rle in rles:
        rle["counts"] = rle["counts"].decode()
    return rles


def _np(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _xywh(boxes: np.ndarray) -> np.ndarray:
    out = boxes.astype(np.float64).copy()
    out[:, 2:] -= out[:, :2]
    return out


@METRICS.register_module()
class CocoMetric(BaseMetric):
    """COCO evaluation of detections, instance masks and proposals.

    Args:
        ann_file: COCO json of the ground truth; ``None`` builds it from the samples'
            ``instances``.
        metric: ``'bbox'``, ``'segm'``, ``'proposal'`` or a list of them.
        classwise: Also report (and log a table of) per-class AP.
        proposal_nums: ``maxDets`` of COCOeval (also the proposal AR budgets).
        iou_thrs: IoU thresholds (default 0.50:0.05:0.95).
        metric_items: Which of ``mAP``, ``mAP_50``, ... (or ``AR@100``, ...) to report.
        format_only: Only write the result files (``outfile_prefix`` required).
        outfile_prefix: Prefix of ``<prefix>.bbox.json`` / ``<prefix>.segm.json``.
        file_client_args / backend_args: Kept for mmdet configs (local files only).
        collect_device: Device used to gather results across processes.
        prefix: Prefix of the metric names (``'coco'``).
        sort_categories: Sort the ground truth's categories by id.
        use_mp_eval: Kept for mmdet configs (evaluation runs in one process).
        backend: ``'faster_coco_eval'`` (compiled, the default when installed), ``'pycocotools'``
            or ``'auto'``; both give the same stats.
    """

    default_prefix = "coco"

    def __init__(
        self,
        ann_file: str | None = None,
        metric: str | Sequence[str] = "bbox",
        classwise: bool = False,
        proposal_nums: Sequence[int] = (100, 300, 1000),
        iou_thrs: float | Sequence[float] | None = None,
        metric_items: Sequence[str] | None = None,
        format_only: bool = False,
        outfile_prefix: str | None = None,
        file_client_args: dict | None = None,
        backend_args: dict | None = None,
        collect_device: Literal["cpu", "gpu"] = "cpu",
        prefix: str | None = None,
        sort_categories: bool = False,
        use_mp_eval: bool = False,
        backend: Literal["auto", "faster_coco_eval", "pycocotools"] = "auto",
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if backend not in COCO_BACKENDS:
            raise ValueError(f"CocoMetric backend {backend!r} is not one of {COCO_BACKENDS}")
        self.backend = resolve_coco_backend(backend)
        self.metrics = [metric] if isinstance(metric, str) else list(metric)
        for m in self.metrics:
            if m not in _METRICS:
                raise KeyError(f"CocoMetric metric {m!r} is not one of {_METRICS}")
        if metric_items is not None:
            unknown = [i for i in metric_items if i not in _STAT_INDEX]
            if unknown:
                raise KeyError(f"metric_items {unknown} are not in {list(_STAT_INDEX)}")
        if format_only and not outfile_prefix:
            raise ValueError("CocoMetric(format_only=True) needs outfile_prefix")
        self.classwise = classwise
        self.proposal_nums = list(proposal_nums)
        if iou_thrs is None:
            iou_thrs = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
        self.iou_thrs = np.atleast_1d(np.asarray(iou_thrs, dtype=np.float64))
        self.metric_items = metric_items
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix
        self.backend_args = backend_args
        self.sort_categories = sort_categories
        self.use_mp_eval = use_mp_eval
        self.ann_file = ann_file
        self._coco_api: Any = None
        if ann_file is not None:
            if not osp.isfile(ann_file):
                raise FileNotFoundError(f"CocoMetric: annotation file not found: {ann_file}")
            self._coco_api = build_coco(ann_file, self.backend)
            if sort_categories:
                cats = self._coco_api.cats
                self._coco_api.cats = {i: cats[i] for i in sorted(cats)}
        self.cat_ids: list[int] | None = None
        self.img_ids: list[int] | None = None

    # Collecting ------------------------------------------------------------------------------

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep each sample's predictions (masks as RLE) and ground-truth image info."""
        for sample in data_samples:
            pred = sample["pred_instances"]
            result = dict(
                img_id=sample["img_id"],
                bboxes=_np(pred["bboxes"]).reshape(-1, 4),
                scores=_np(pred["scores"]).reshape(-1),
                labels=_np(pred["labels"]).reshape(-1).astype(np.int64),
            )
            if "masks" in pred:
                masks = pred["masks"]
                result["masks"] = (
                    masks if isinstance(masks, list) else encode_mask_results(_np(masks))
                )
            if "mask_scores" in pred:
                result["mask_scores"] = _np(pred["mask_scores"]).reshape(-1)
            gt = dict(
                img_id=sample["img_id"],
                width=int(sample["ori_shape"][1]),
                height=int(sample["ori_shape"][0]),
            )
            if self._coco_api is None:
                if "instances" not in sample:
                    raise KeyError(
                        "CocoMetric without ann_file needs each data sample's ground truth in "
                        "'instances' (keep it in the pipeline or give ann_file)."
                    )
                gt["anns"] = sample["instances"]
            self.results.append((gt, result))

    # Conversion ------------------------------------------------------------------------------

    def results2dicts(self, results: Sequence[dict]) -> dict[str, list[dict]]:
        """COCO result dicts per iou type: ``bbox`` (x y w h) and, with masks, ``segm``.

        Segm results carry no ``bbox``: COCO takes their area and box from the mask.
        """
        if self.cat_ids is None:
            raise RuntimeError("results2dicts needs cat_ids (set by compute_metrics)")
        cat_ids = np.asarray(self.cat_ids)
        bbox_dicts, segm_dicts = [], []
        for result in results:
            img_id = result["img_id"]
            boxes = _xywh(result["bboxes"]).tolist()
            scores = result["scores"].astype(np.float64).tolist()
            cats = cat_ids[result["labels"]].tolist()
            bbox_dicts += [
                dict(image_id=img_id, bbox=b, score=s, category_id=c)
                for b, s, c in zip(boxes, scores, cats, strict=True)
            ]
            if "masks" in result:
                mask_scores = result.get("mask_scores", result["scores"]).astype(np.float64)
                segm_dicts += [
                    dict(image_id=img_id, score=s, category_id=c, segmentation=m)
                    for s, c, m in zip(mask_scores.tolist(), cats, result["masks"], strict=True)
                ]
        out = dict(bbox=bbox_dicts)
        if segm_dicts:
            out["segm"] = segm_dicts
        return out

    def results2json(self, results: Sequence[dict], outfile_prefix: str) -> dict[str, str]:
        """Write ``<prefix>.bbox.json`` (and ``.segm.json``); return the files per metric."""
        dicts = self.results2dicts(results)
        files = dict(bbox=f"{outfile_prefix}.bbox.json", proposal=f"{outfile_prefix}.bbox.json")
        with open(files["bbox"], "w") as f:
            json.dump(dicts["bbox"], f)
        if "segm" in dicts:  # mmdet's segm files carry the box too
            files["segm"] = f"{outfile_prefix}.segm.json"
            boxes = [d["bbox"] for d in dicts["bbox"]]
            with open(files["segm"], "w") as f:
                json.dump([dict(d, bbox=b) for d, b in zip(dicts["segm"], boxes)], f)
        return files

    def gt_to_coco_dict(self, gt_dicts: Sequence[dict]) -> dict:
        """The samples' ground truth as a COCO dict (category ids are the label indices)."""
        classes = self.dataset_meta.get("classes") if self.dataset_meta else None
        if not classes:
            raise KeyError("CocoMetric without ann_file needs dataset_meta['classes']")
        categories = [dict(id=i, name=name) for i, name in enumerate(classes)]
        images, annotations = [], []
        for gt in gt_dicts:
            images.append(
                dict(id=gt["img_id"], width=gt["width"], height=gt["height"], file_name="")
            )
            for ann in gt["anns"]:
                x1, y1, x2, y2 = ann["bbox"]
                entry = dict(
                    id=len(annotations) + 1,
                    image_id=gt["img_id"],
                    bbox=[x1, y1, x2 - x1, y2 - y1],
                    area=(x2 - x1) * (y2 - y1),
                    category_id=int(ann["bbox_label"]),
                    iscrowd=int(ann.get("ignore_flag", 0)),
                )
                if ann.get("mask") is not None:
                    mask = ann["mask"]
                    if isinstance(mask, dict) and isinstance(mask.get("counts"), bytes):
                        mask = dict(mask, counts=mask["counts"].decode())
                    entry["segmentation"] = mask
                annotations.append(entry)
        return dict(images=images, annotations=annotations, categories=categories)

    def gt_to_coco_json(self, gt_dicts: Sequence[dict], outfile_prefix: str) -> str:
        """Write the samples' ground truth as a COCO json; return its path."""
        path = f"{outfile_prefix}.gt.json"
        with open(path, "w") as f:
            json.dump(self.gt_to_coco_dict(gt_dicts), f)
        return path

    # Evaluation ------------------------------------------------------------------------------

    def compute_metrics(self, results: list) -> dict[str, float]:
        logger = MMLogger.get_current_instance()
        gts, preds = zip(*results) if results else ((), ())
        coco = self._coco_api
        if coco is None:
            coco = build_coco(self.gt_to_coco_dict(gts), self.backend)
            if self.outfile_prefix is not None:
                self.gt_to_coco_json(gts, self.outfile_prefix)
        self._set_ids(coco)
        if self.outfile_prefix is not None:
            self.results2json(preds, self.outfile_prefix)
        if self.format_only:
            logger.info(f"CocoMetric: results written to {osp.dirname(self.outfile_prefix) or '.'}")
            return {}
        dicts = self.results2dicts(preds)
        eval_results: dict[str, float] = {}
        for metric in self.metrics:
            iou_type = "bbox" if metric == "proposal" else metric
            if iou_type not in dicts:
                raise KeyError(f"CocoMetric metric {metric!r} needs predicted masks")
            if not dicts[iou_type]:
                logger.warning(f"CocoMetric: no {metric} predictions; its metrics are 0.")
                continue
            dets = dicts[iou_type] if metric != "proposal" else [dict(d) for d in dicts["bbox"]]
            evaluation = evaluate_coco(
                coco,
                dets,
                iou_type,
                self.backend,
                cat_ids=self.cat_ids,
                img_ids=self.img_ids,
                max_dets=self.proposal_nums,
                iou_thrs=self.iou_thrs,
                use_cats=metric != "proposal",
            )
            logger.info(f"Evaluating {metric}...\n{evaluation.summary}")
            stats = evaluation.stats
            if metric == "proposal":
                for item in self.metric_items or list(_STAT_INDEX)[6:]:
                    eval_results[item] = float(f"{stats[_STAT_INDEX[item]]:.3f}")
                continue
            if self.classwise:
                eval_results.update(self._classwise(evaluation, coco, metric, logger))
            for item in self.metric_items or list(_STAT_INDEX)[:6]:
                eval_results[f"{metric}_{item}"] = float(f"{round(stats[_STAT_INDEX[item]], 3)}")
            logger.info(f"{metric}_mAP_copypaste: " + " ".join(f"{v:.3f}" for v in stats[:6]))
        return eval_results

    def _set_ids(self, coco: Any) -> None:
        classes = (self.dataset_meta or {}).get("classes")
        if classes:
            by_name = {c["name"]: c["id"] for c in coco.loadCats(coco.getCatIds())}
            missing = [c for c in classes if c not in by_name]
            if missing:
                raise KeyError(
                    f"CocoMetric: classes {missing} are not categories of the ground truth"
                )
            self.cat_ids = [by_name[c] for c in classes]
        else:
            self.cat_ids = sorted(coco.getCatIds())
        self.img_ids = sorted(coco.getImgIds())

    def _classwise(self, evaluation: CocoEvaluation, coco: Any, metric: str, logger) -> dict:
        """Per-class AP, AP50, AP75, AP_s/m/l; logs them as a table."""
        precisions = evaluation.precision  # (T, R, K, A, M)
        rows, out = [], {}
        for k, cat_id in enumerate(self.cat_ids):
            name = coco.loadCats(cat_id)[0]["name"]
            values = []
            for t, area in ((slice(None), 0), (0, 0), (5, 0), (slice(None), 1),
                            (slice(None), 2), (slice(None), 3)):  # fmt: skip
                p = precisions[t, :, k, area, -1]
                p = p[p > -1]
                values.append(float(np.mean(p)) if p.size else float("nan"))
            out[f"{name}_precision"] = round(values[0], 3)
            rows.append([name] + [f"{v:.3f}" for v in values])
        header = ["category", "mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l"]
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        lines = [" | ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in [header, *rows]]
        logger.info("Per-class " + metric + " AP:\n" + "\n".join(lines))
        return out
