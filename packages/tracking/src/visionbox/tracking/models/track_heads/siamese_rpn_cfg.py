"""``train_cfg`` / ``test_cfg`` of :class:`SiameseRPNHead`, checked once at construction.

The head builds its training targets for the whole batch at once, with the semantics of the
detection package's ``MaxIoUAssigner`` and ``RandomSampler`` (one box per pair). Their configs are
built with the real classes, so a misspelt key or type fails with the accepted names and a "did
you mean"; the settings are then read from the built objects:

* assigner ``MaxIoUAssigner``: ``pos_iou_thr``, ``neg_iou_thr`` (a number or a ``(lo, hi)``
  range), ``min_pos_iou``, ``match_low_quality``, ``gt_max_assign_all`` are honoured;
  ``ignore_iof_thr`` / ``ignore_wrt_candidates`` have no effect (SOT pairs carry no ignored
  boxes) and ``gpu_assign_thr`` none either (targets are built on the anchors' device); the IoU
  calculator must be ``BboxOverlaps2D``;
* sampler ``RandomSampler``: ``num``, ``pos_fraction`` and ``neg_pos_ub`` are honoured;
  ``add_gt_as_proposals`` must be False (as in mmtracking's SiamRPN++ configs: the box is not
  an anchor);
* ``num_neg`` (negatives of a negative pair), ``search_size`` (the search crop's side) and
  ``exemplar_size`` (the template's side, the data pipeline's business; accepted as in
  mmtracking's configs).

An unscoped ``MaxIoUAssigner`` / ``RandomSampler`` (mmtracking's spelling) means the detection
package's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from visionbox.core.utils import did_you_mean
from visionbox.detection.models.task_modules import BboxOverlaps2D, MaxIoUAssigner, RandomSampler
from visionbox.tracking.registry import TASK_UTILS

__all__ = ["SiamRPNTargetCfg", "parse_test_cfg", "parse_train_cfg"]

TRAIN_KEYS = ("assigner", "sampler", "num_neg", "exemplar_size", "search_size")
TEST_KEYS = ("penalty_k", "window_influence", "lr")
TEST_DEFAULTS = dict(penalty_k=0.05, window_influence=0.42, lr=0.38)


@dataclass(frozen=True)
class SiamRPNTargetCfg:
    """The target settings of :class:`SiameseRPNHead` (see the module docstring)."""

    pos_iou_thr: float
    neg_iou_lo: float
    neg_iou_hi: float
    min_pos_iou: float
    match_low_quality: bool
    gt_max_assign_all: bool
    num: int
    pos_fraction: float
    neg_pos_ub: float
    num_neg: int
    search_size: int


def _check_keys(cfg: Mapping, allowed: tuple[str, ...], where: str) -> None:
    for key in cfg:
        if key not in allowed:
            raise KeyError(
                f"{where}: unknown key {key!r}.{did_you_mean(key, allowed)} "
                f"Allowed: {', '.join(allowed)}."
            )


def _build(cfg: Any, expected: type, where: str) -> Any:
    if not isinstance(cfg, Mapping) or "type" not in cfg:
        raise TypeError(f"{where} must be a config dict with a 'type', got {cfg!r}")
    cfg = dict(cfg)
    if cfg["type"] == expected.__name__:
        cfg["type"] = f"detection.{expected.__name__}"  # mmtracking's unscoped spelling
    obj = TASK_UTILS.build(cfg)
    if not isinstance(obj, expected):
        raise NotImplementedError(
            f"{where}: SiameseRPNHead builds its targets as detection.{expected.__name__} "
            f"does; {type(obj).__name__} is not supported."
        )
    return obj


def parse_train_cfg(train_cfg: Mapping | None) -> SiamRPNTargetCfg | None:
    """Check ``train_cfg`` (the model's ``train_cfg.rpn``) and return its settings (None
    without a ``train_cfg``: the head can then only predict)."""
    if train_cfg is None:
        return None
    where = "SiameseRPNHead.train_cfg"
    _check_keys(train_cfg, TRAIN_KEYS, where)
    missing = [k for k in ("assigner", "sampler", "num_neg", "search_size") if k not in train_cfg]
    if missing:
        raise KeyError(f"{where} needs {missing}")
    assigner = _build(train_cfg["assigner"], MaxIoUAssigner, f"{where}.assigner")
    if not isinstance(assigner.iou_calculator, BboxOverlaps2D):
        raise NotImplementedError(
            f"{where}.assigner.iou_calculator: only BboxOverlaps2D is supported, got "
            f"{type(assigner.iou_calculator).__name__}"
        )
    sampler = _build(train_cfg["sampler"], RandomSampler, f"{where}.sampler")
    if sampler.add_gt_as_proposals:
        raise NotImplementedError(
            f"{where}.sampler: add_gt_as_proposals=True is not supported (the box is not an "
            "anchor); set add_gt_as_proposals=False as mmtracking's SiamRPN++ configs do."
        )
    neg = assigner.neg_iou_thr
    lo, hi = (float(neg[0]), float(neg[1])) if isinstance(neg, (list, tuple)) else (0.0, neg)
    return SiamRPNTargetCfg(
        pos_iou_thr=float(assigner.pos_iou_thr),
        neg_iou_lo=lo,
        neg_iou_hi=float(hi),
        min_pos_iou=float(assigner.min_pos_iou),
        match_low_quality=bool(assigner.match_low_quality),
        gt_max_assign_all=bool(assigner.gt_max_assign_all),
        num=int(sampler.num),
        pos_fraction=float(sampler.pos_fraction),
        neg_pos_ub=float(sampler.neg_pos_ub),
        num_neg=int(train_cfg["num_neg"]),
        search_size=int(train_cfg["search_size"]),
    )


def parse_test_cfg(test_cfg: Mapping | None) -> dict[str, float]:
    """Check ``test_cfg`` (the model's ``test_cfg.rpn``): ``penalty_k``, ``window_influence``
    and ``lr``, with mmtracking's values as defaults."""
    test_cfg = dict(test_cfg or {})
    _check_keys(test_cfg, TEST_KEYS, "SiameseRPNHead.test_cfg")
    return {k: float(test_cfg.get(k, v)) for k, v in TEST_DEFAULTS.items()}
