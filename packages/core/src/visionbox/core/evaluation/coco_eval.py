"""COCO evaluation in memory on faster-coco-eval's compiled backend, or on pycocotools.

Both backends run the same COCOeval algorithm (per-image matching, then accumulation into the
``precision`` (T, R, K, A, M) and ``recall`` (T, K, A, M) arrays; T IoU thresholds, R recall
thresholds, K categories, A area ranges, M ``maxDets``). The summary statistics are read from those
arrays here, with pycocotools' ``summarize`` rules, so that both backends report the same 12 (box,
mask) or 10 (keypoint) numbers as ``pycocotools.cocoeval.COCOeval.stats`` whatever ``maxDets``.

Ground truth and detections stay in memory (no JSON files): ``build_coco`` indexes a COCO dict,
``evaluate_coco`` takes the detections as a list of COCO result dicts.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os.path as osp
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = [
    "COCO_BACKENDS",
    "CocoEvaluation",
    "build_coco",
    "coco_stats",
    "evaluate_coco",
    "resolve_coco_backend",
]

CocoBackend = Literal["auto", "faster_coco_eval", "pycocotools"]
#: The ``backend`` values that COCO metrics accept.
COCO_BACKENDS = ("auto", "faster_coco_eval", "pycocotools")
_IOU_TYPES = ("bbox", "segm", "keypoints")


def resolve_coco_backend(backend: str) -> str:
    """``'auto'`` -> ``'faster_coco_eval'`` when it is installed, else ``'pycocotools'``.

    Raises:
        ValueError: ``backend`` is not one of :data:`COCO_BACKENDS`.
        ImportError: the named backend is not installed.
    """
    if backend not in COCO_BACKENDS:
        raise ValueError(f"COCO backend {backend!r} is not one of {COCO_BACKENDS}")
    installed = {
        name: importlib.util.find_spec(name) is not None
        for name in ("faster_coco_eval", "pycocotools")
    }
    if backend == "auto":
        if installed["faster_coco_eval"]:
            return "faster_coco_eval"
        backend = "pycocotools"
    if not installed[backend]:
        pip_name = backend.replace("_", "-")
        raise ImportError(f"COCO backend {backend!r} is not installed: pip install {pip_name}")
    return backend


def _classes(backend: str) -> tuple[type, type]:
    if backend == "faster_coco_eval":
        from faster_coco_eval import COCO, COCOeval_faster

        return COCO, COCOeval_faster
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    return COCO, COCOeval


def build_coco(dataset: dict | str, backend: str = "auto") -> Any:
    """A ``COCO`` index of the backend over a COCO dict (kept, not copied) or a json file.

    Raises:
        FileNotFoundError: ``dataset`` is a path that does not exist.
        KeyError: the dict lacks ``images``, ``annotations`` or ``categories``.
    """
    coco_cls, _ = _classes(resolve_coco_backend(backend))
    if isinstance(dataset, str):
        if not osp.isfile(dataset):
            raise FileNotFoundError(f"COCO annotation file not found: {dataset}")
        with contextlib.redirect_stdout(io.StringIO()):
            return coco_cls(dataset)
    missing = [key for key in ("images", "annotations", "categories") if key not in dataset]
    if missing:
        raise KeyError(f"a COCO ground-truth dict needs the keys {missing}")
    coco = coco_cls()
    coco.dataset = dataset
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


@dataclass
class CocoEvaluation:
    """The outcome of :func:`evaluate_coco`.

    Attributes:
        stats: pycocotools' ``COCOeval.stats``: 12 values for bbox/segm, 10 for keypoints.
        precision: (T, R, K, A, M) precision, -1 where undefined.
        recall: (T, K, A, M) recall, -1 where undefined.
        params: The evaluator's ``params`` (``iouThrs``, ``maxDets``, ``areaRngLbl``, ``catIds``).
        summary: The summary table as pycocotools prints it.
    """

    stats: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    params: Any
    summary: str


def _mean_valid(values: np.ndarray) -> float:
    valid = values[values > -1]
    return float(np.mean(valid)) if valid.size else -1.0


def coco_stats(
    precision: np.ndarray, recall: np.ndarray, params: Any, iou_type: str
) -> tuple[np.ndarray, str]:
    """pycocotools' ``COCOeval.summarize`` on the accumulated arrays: (stats, printed table).

    Box and mask stats use ``maxDets[2]`` (``maxDets[0..2]`` for the three AR@), keypoint stats
    ``maxDets[-1]`` and the medium / large areas, exactly as pycocotools indexes them.
    """
    iou_thrs = np.asarray(params.iouThrs)
    area_labels = list(params.areaRngLbl)
    max_dets = list(params.maxDets)

    def one(ap: bool, iou: float | None, area: str, dets: int) -> tuple[float, str]:
        values = precision if ap else recall
        if iou is not None:
            values = values[np.where(iou == iou_thrs)[0]]
        a = [i for i, label in enumerate(area_labels) if label == area]
        m = [i for i, d in enumerate(max_dets) if d == dets]
        values = values[..., a, :][..., m]
        value = _mean_valid(values)
        name = "Average Precision" if ap else "Average Recall"
        iou_str = f"{iou_thrs[0]:0.2f}:{iou_thrs[-1]:0.2f}" if iou is None else f"{iou:0.2f}"
        line = (
            f" {name:<18} {'(AP)' if ap else '(AR)'} @[ IoU={iou_str:<9} | area={area:>6s} "
            f"| maxDets={dets:>3d} ] = {value:0.3f}"
        )
        return value, line

    if iou_type == "keypoints":
        top = max_dets[-1]
        spec = [(True, None, "all", top), (True, 0.5, "all", top), (True, 0.75, "all", top),
                (True, None, "medium", top), (True, None, "large", top),
                (False, None, "all", top), (False, 0.5, "all", top), (False, 0.75, "all", top),
                (False, None, "medium", top), (False, None, "large", top)]  # fmt: skip
    else:
        top = max_dets[2]
        spec = [(True, None, "all", top), (True, 0.5, "all", top), (True, 0.75, "all", top),
                (True, None, "small", top), (True, None, "medium", top),
                (True, None, "large", top), (False, None, "all", max_dets[0]),
                (False, None, "all", max_dets[1]), (False, None, "all", top),
                (False, None, "small", top), (False, None, "medium", top),
                (False, None, "large", top)]  # fmt: skip
    values, lines = zip(*(one(*s) for s in spec), strict=True)
    return np.array(values), "\n".join(lines)


def evaluate_coco(
    coco_gt: Any,
    detections: list[dict],
    iou_type: Literal["bbox", "segm", "keypoints"],
    backend: str = "auto",
    *,
    cat_ids: Sequence[int] | None = None,
    img_ids: Sequence[int] | None = None,
    max_dets: Sequence[int] | None = None,
    iou_thrs: np.ndarray | None = None,
    use_cats: bool = True,
    kpt_oks_sigmas: np.ndarray | None = None,
) -> CocoEvaluation:
    """Evaluate COCO result dicts against ``coco_gt`` (a :func:`build_coco` index).

    Args:
        coco_gt: The ground truth, built by :func:`build_coco` with the same backend.
        detections: One or more COCO results (``image_id``, ``category_id``, ``score`` and
            ``bbox`` x y w h, ``segmentation`` RLE or ``keypoints`` [x, y, v] * K). They are
            changed in place (``id``, ``area`` ... added), as COCO's ``loadRes`` does.
        iou_type: ``'bbox'``, ``'segm'`` or ``'keypoints'``.
        backend: See :func:`resolve_coco_backend`.
        cat_ids / img_ids / max_dets / iou_thrs / use_cats: ``COCOeval.params`` (defaults: the
            evaluator's own).
        kpt_oks_sigmas: (K,) OKS sigmas of the keypoints.

    Returns:
        The stats, the accumulated arrays and the summary text.
    """
    if iou_type not in _IOU_TYPES:
        raise ValueError(f"iou_type {iou_type!r} is not one of {_IOU_TYPES}")
    if not detections:
        raise ValueError("evaluate_coco needs at least one detection (COCO's loadRes does)")
    backend = resolve_coco_backend(backend)
    _, eval_cls = _classes(backend)
    if not isinstance(coco_gt, _classes(backend)[0]):
        raise TypeError(
            f"coco_gt is a {type(coco_gt).__module__}.{type(coco_gt).__name__}; build it with "
            f"build_coco(..., backend={backend!r})"
        )
    with contextlib.redirect_stdout(io.StringIO()):
        coco_dt = coco_gt.loadRes(detections)
        if backend == "faster_coco_eval":
            evaluator = eval_cls(coco_gt, coco_dt, iou_type, print_function=lambda *_: None)
        else:
            evaluator = eval_cls(coco_gt, coco_dt, iou_type)
        params = evaluator.params
        if cat_ids is not None:
            params.catIds = list(cat_ids)
        if img_ids is not None:
            params.imgIds = list(img_ids)
        if max_dets is not None:
            params.maxDets = list(max_dets)
        if iou_thrs is not None:
            params.iouThrs = np.asarray(iou_thrs, dtype=np.float64)
        params.useCats = int(use_cats)
        if kpt_oks_sigmas is not None:
            params.kpt_oks_sigmas = np.asarray(kpt_oks_sigmas, dtype=np.float64)
        evaluator.evaluate()
        evaluator.accumulate()
    precision = np.asarray(evaluator.eval["precision"])
    recall = np.asarray(evaluator.eval["recall"])
    stats, summary = coco_stats(precision, recall, evaluator.params, iou_type)
    return CocoEvaluation(stats, precision, recall, evaluator.params, summary)
