"""Keypoint metrics on mmengine's ``BaseMetric``: ``PCKAccuracy``, ``AUC``, ``EPE``, ``NME``
(2D) and ``MPJPE`` (3D, with P-MPJPE and N-MPJPE). Formulas in :mod:`..functional`.

Each sample gives ``pred_instances.keypoints`` (N, K, D), ``gt_instances.keypoints`` (N, K, D)
(``lifting_target`` for 3D) and ``keypoints_visible`` (N, K) as the mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from mmengine.evaluator import BaseMetric

from ...registry import METRICS
from ..functional import (
    keypoint_auc,
    keypoint_epe,
    keypoint_mpjpe,
    keypoint_nme,
    keypoint_pck_accuracy,
)

__all__ = ["AUC", "EPE", "MPJPE", "NME", "PCKAccuracy"]


def _np(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _base_result(sample: dict) -> dict:
    gt = sample["gt_instances"]
    pred = _np(sample["pred_instances"]["keypoints"])
    gt_kpts = _np(gt["keypoints"])
    mask = _np(gt["keypoints_visible"]).astype(bool).reshape(gt_kpts.shape[:2])
    return dict(pred_coords=pred[..., :2], gt_coords=gt_kpts[..., :2], mask=mask)


def _cat(results: list[dict], key: str) -> np.ndarray:
    return np.concatenate([r[key] for r in results])


@METRICS.register_module()
class PCKAccuracy(BaseMetric):
    """Percentage of correct keypoints: error / normaliser < ``thr``, averaged over keypoints.

    Args:
        thr: Threshold of the normalised error.
        norm_item: ``'bbox'`` (the longer side of the gt box), ``'head'`` (``head_size`` of the
            sample), ``'torso'`` (``torso_size``), or a list of them.
        collect_device: Device to gather results across processes.
        prefix: Prefix of the metric names.
    """

    def __init__(
        self,
        thr: float = 0.05,
        norm_item: str | Sequence[str] = "bbox",
        collect_device: str = "cpu",
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thr = thr
        self.norm_item = [norm_item] if isinstance(norm_item, str) else list(norm_item)
        for item in self.norm_item:
            if item not in ("bbox", "head", "torso"):
                raise KeyError(f"norm_item must be 'bbox', 'head' or 'torso'; got {item!r}.")

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            result = _base_result(sample)
            n = result["gt_coords"].shape[0]
            if "bbox" in self.norm_item:
                boxes = _np(sample["gt_instances"]["bboxes"]).reshape(-1, 4)
                size = np.max(boxes[:, 2:] - boxes[:, :2], axis=1)
                result["bbox_size"] = np.stack([size, size], axis=1)
            for item in ("head", "torso"):
                if item in self.norm_item:
                    value = float(sample[f"{item}_size"])
                    result[f"{item}_size"] = np.full((n, 2), value, np.float32)
            self.results.append(result)

    def compute_metrics(self, results: list) -> dict:
        pred, gt, mask = (_cat(results, k) for k in ("pred_coords", "gt_coords", "mask"))
        names = dict(bbox="PCK", head="PCKh", torso="tPCK")
        metrics = {}
        for item in self.norm_item:
            _, pck, _ = keypoint_pck_accuracy(
                pred, gt, mask, self.thr, _cat(results, f"{item}_size")
            )
            metrics[names[item]] = pck
        return metrics


@METRICS.register_module()
class AUC(BaseMetric):
    """Area under the PCK curve with a fixed normaliser (pixels).

    Args:
        norm_factor: Normaliser of the errors.
        num_thrs: Thresholds 0, 1/num_thrs, ..., (num_thrs - 1)/num_thrs.
        collect_device: Device to gather results across processes.
        prefix: Prefix of the metric names.
    """

    def __init__(
        self,
        norm_factor: float = 30,
        num_thrs: int = 20,
        collect_device: str = "cpu",
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.norm_factor = norm_factor
        self.num_thrs = num_thrs

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        self.results.extend(_base_result(s) for s in data_samples)

    def compute_metrics(self, results: list) -> dict:
        pred, gt, mask = (_cat(results, k) for k in ("pred_coords", "gt_coords", "mask"))
        return dict(AUC=keypoint_auc(pred, gt, mask, self.norm_factor, self.num_thrs))


@METRICS.register_module()
class EPE(BaseMetric):
    """End-point error: the mean pixel distance of the visible keypoints."""

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        self.results.extend(_base_result(s) for s in data_samples)

    def compute_metrics(self, results: list) -> dict:
        pred, gt, mask = (_cat(results, k) for k in ("pred_coords", "gt_coords", "mask"))
        return dict(EPE=keypoint_epe(pred, gt, mask))


@METRICS.register_module()
class NME(BaseMetric):
    """Normalised mean error.

    Args:
        norm_mode: ``'use_norm_item'`` (a per-sample size named by ``norm_item``) or
            ``'keypoint_distance'`` (the gt distance between ``keypoint_indices``).
        norm_item: ``'bbox_size'`` or a per-sample key, with ``'use_norm_item'``.
        keypoint_indices: Two keypoint indices, with ``'keypoint_distance'``.
        collect_device: Device to gather results across processes.
        prefix: Prefix of the metric names.
    """

    def __init__(
        self,
        norm_mode: Literal["use_norm_item", "keypoint_distance"],
        norm_item: str | None = None,
        keypoint_indices: Sequence[int] | None = None,
        collect_device: str = "cpu",
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if norm_mode not in ("use_norm_item", "keypoint_distance"):
            raise ValueError(
                f"norm_mode must be 'use_norm_item' or 'keypoint_distance'; got {norm_mode!r}."
            )
        if norm_mode == "use_norm_item" and not norm_item:
            raise ValueError("norm_mode='use_norm_item' needs norm_item.")
        if norm_mode == "keypoint_distance" and (
            keypoint_indices is None or len(keypoint_indices) != 2
        ):
            raise ValueError("norm_mode='keypoint_distance' needs two keypoint_indices.")
        self.norm_mode = norm_mode
        self.norm_item = norm_item
        self.keypoint_indices = None if keypoint_indices is None else list(keypoint_indices)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            result = _base_result(sample)
            if self.norm_mode == "use_norm_item":
                if self.norm_item == "bbox_size":
                    boxes = _np(sample["gt_instances"]["bboxes"]).reshape(-1, 4)
                    size = np.max(boxes[:, 2:] - boxes[:, :2], axis=1)
                else:
                    size = np.full(
                        result["gt_coords"].shape[0],
                        float(np.asarray(sample[self.norm_item]).reshape(-1)[0]),
                    )
                result["norm"] = np.stack([size, size], axis=1)
            else:
                a, b = self.keypoint_indices
                size = np.linalg.norm(
                    result["gt_coords"][:, a] - result["gt_coords"][:, b], axis=-1
                )
                result["norm"] = np.stack([size, size], axis=1)
            self.results.append(result)

    def compute_metrics(self, results: list) -> dict:
        pred, gt, mask = (_cat(results, k) for k in ("pred_coords", "gt_coords", "mask"))
        return dict(NME=keypoint_nme(pred, gt, mask, _cat(results, "norm")))


@METRICS.register_module()
class MPJPE(BaseMetric):
    """Mean per-joint position error of 3D keypoints against ``gt_instances.lifting_target``.

    Args:
        mode: ``'mpjpe'``, ``'p-mpjpe'`` (after Procrustes alignment) or ``'n-mpjpe'`` (after the
            least-squares scale).
        skip_list: Action names to skip (samples whose ``target_img_path`` contains one).
        collect_device: Device to gather results across processes.
        prefix: Prefix of the metric names.
    """

    ALIGNMENT = {"mpjpe": "none", "p-mpjpe": "procrustes", "n-mpjpe": "scale"}

    def __init__(
        self,
        mode: Literal["mpjpe", "p-mpjpe", "n-mpjpe"] = "mpjpe",
        skip_list: Sequence[str] = (),
        collect_device: str = "cpu",
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if mode not in self.ALIGNMENT:
            raise KeyError(f"mode must be one of {list(self.ALIGNMENT)}; got {mode!r}.")
        self.mode = mode
        self.skip_list = list(skip_list)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            path = str(sample.get("target_img_path", ""))
            if any(action in path for action in self.skip_list):
                continue
            gt = sample["gt_instances"]
            target = _np(gt["lifting_target"]).reshape(-1, *_np(gt["lifting_target"]).shape[-2:])
            pred = _np(sample["pred_instances"]["keypoints"]).reshape(target.shape)
            visible = gt.get("lifting_target_visible")
            mask = (
                np.ones(target.shape[:2], bool)
                if visible is None
                else _np(visible).astype(bool).reshape(target.shape[:2])
            )
            self.results.append(dict(pred_coords=pred, gt_coords=target, mask=mask))

    def compute_metrics(self, results: list) -> dict:
        pred, gt, mask = (_cat(results, k) for k in ("pred_coords", "gt_coords", "mask"))
        name = self.mode.upper()
        return {name: keypoint_mpjpe(pred, gt, mask, self.ALIGNMENT[self.mode])}
