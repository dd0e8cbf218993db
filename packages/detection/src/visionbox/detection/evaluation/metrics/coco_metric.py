"""``CocoMetric``: COCO box, mask and proposal AP/AR computed by pycocotools' ``COCOeval``
(mmdet 3.x interface and result names: ``coco/bbox_mAP``, ``coco/segm_mAP_50``, ``coco/AR@100``).

``process`` takes data samples as dicts with ``img_id``, ``ori_shape`` and ``pred_instances``
(``bboxes`` (N, 4) x1y1x2y2 in the original image, ``scores``, ``labels`` and optional ``masks``
(N, H, W)); without ``ann_file`` they must carry ``instances`` (the dataset's ground truth) too.
The values are ``COCOeval.stats`` rounded to 3 decimals, as mmdet reports them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os.path as osp
import tempfile
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

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


@contextlib.contextmanager
def _quiet(enabled: bool):
    if not enabled:
        yield
        return
    with contextlib.redirect_stdout(io.StringIO()):
        yield


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
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
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
        self._coco_api: COCO | None = None
        if ann_file is not None:
            if not osp.isfile(ann_file):
                raise FileNotFoundError(f"CocoMetric: annotation file not found: {ann_file}")
            with _quiet(True):
                self._coco_api = COCO(ann_file)
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

    def results2json(self, results: Sequence[dict], outfile_prefix: str) -> dict[str, str]:
        """Write ``<prefix>.bbox.json`` (and ``.segm.json``); return the files per metric."""
        if self.cat_ids is None:
            raise RuntimeError("results2json needs cat_ids (set by compute_metrics)")
        bbox_json, segm_json = [], []
        for result in results:
            boxes = _xywh(result["bboxes"])
            labels, scores = result["labels"], result["scores"]
            for i in range(len(labels)):
                entry = dict(
                    image_id=result["img_id"],
                    bbox=[float(v) for v in boxes[i]],
                    score=float(scores[i]),
                    category_id=self.cat_ids[int(labels[i])],
                )
                bbox_json.append(entry)
                if "masks" in result:
                    mask_scores = result.get("mask_scores", scores)
                    segm_json.append(
                        dict(entry, score=float(mask_scores[i]), segmentation=result["masks"][i])
                    )
        files = {}
        files["bbox"] = files["proposal"] = f"{outfile_prefix}.bbox.json"
        with open(files["bbox"], "w") as f:
            json.dump(bbox_json, f)
        if segm_json:
            files["segm"] = f"{outfile_prefix}.segm.json"
            with open(files["segm"], "w") as f:
                json.dump(segm_json, f)
        return files

    def gt_to_coco_json(self, gt_dicts: Sequence[dict], outfile_prefix: str) -> str:
        """Write the samples' ground truth as a COCO json; return its path."""
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
        path = f"{outfile_prefix}.gt.json"
        with open(path, "w") as f:
            json.dump(dict(images=images, annotations=annotations, categories=categories), f)
        return path

    # Evaluation ------------------------------------------------------------------------------

    def compute_metrics(self, results: list) -> dict[str, float]:
        logger = MMLogger.get_current_instance()
        gts, preds = zip(*results) if results else ((), ())
        tmp_dir = None
        if self.outfile_prefix is None:
            tmp_dir = tempfile.TemporaryDirectory()
            outfile_prefix = osp.join(tmp_dir.name, "results")
        else:
            outfile_prefix = self.outfile_prefix
        try:
            return self._evaluate(gts, preds, outfile_prefix, logger)
        finally:
            if tmp_dir is not None:
                tmp_dir.cleanup()

    def _evaluate(self, gts, preds, outfile_prefix, logger) -> dict[str, float]:
        coco = self._coco_api
        if coco is None:
            with _quiet(True):
                coco = COCO(self.gt_to_coco_json(gts, outfile_prefix))
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
        files = self.results2json(preds, outfile_prefix)
        if self.format_only:
            logger.info(f"CocoMetric: results written to {osp.dirname(outfile_prefix) or '.'}")
            return {}
        eval_results: dict[str, float] = {}
        for metric in self.metrics:
            iou_type = "bbox" if metric == "proposal" else metric
            if iou_type not in files:
                raise KeyError(f"CocoMetric metric {metric!r} needs predicted masks")
            with open(files[iou_type]) as f:
                dets = json.load(f)
            if iou_type == "segm":
                for det in dets:
                    det.pop("bbox")  # area from the mask, as COCO does for segm results
            if not dets:
                logger.warning(f"CocoMetric: no {metric} predictions; its metrics are 0.")
                continue
            with _quiet(True):
                coco_dt = coco.loadRes(dets)
            evaluator = COCOeval(coco, coco_dt, iou_type)
            evaluator.params.catIds = self.cat_ids
            evaluator.params.imgIds = self.img_ids
            evaluator.params.maxDets = list(self.proposal_nums)
            evaluator.params.iouThrs = self.iou_thrs
            if metric == "proposal":
                evaluator.params.useCats = 0
            summary = io.StringIO()
            with contextlib.redirect_stdout(summary):
                evaluator.evaluate()
                evaluator.accumulate()
                evaluator.summarize()
            logger.info(f"Evaluating {metric}...\n{summary.getvalue()}")
            if metric == "proposal":
                items = self.metric_items or list(_STAT_INDEX)[6:]
                for item in items:
                    eval_results[item] = float(f"{evaluator.stats[_STAT_INDEX[item]]:.3f}")
                continue
            if self.classwise:
                eval_results.update(self._classwise(evaluator, coco, metric, logger))
            items = self.metric_items or list(_STAT_INDEX)[:6]
            for item in items:
                eval_results[f"{metric}_{item}"] = float(
                    f"{round(evaluator.stats[_STAT_INDEX[item]], 3)}"
                )
            ap = evaluator.stats[:6]
            logger.info(f"{metric}_mAP_copypaste: " + " ".join(f"{v:.3f}" for v in ap))
        return eval_results

    def _classwise(self, evaluator: COCOeval, coco: COCO, metric: str, logger) -> dict:
        """Per-class AP, AP50, AP75, AP_s/m/l; logs them as a table."""
        precisions = evaluator.eval["precision"]  # (T, R, K, A, M)
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
