"""``AssociativeEmbedding``: bottom-up heatmaps plus per-keypoint tags that group keypoints into
people (Newell et al., "Associative Embedding: End-to-End Learning for Joint Detection and
Grouping", NeurIPS 2017).

Shape shorthand: N instances, K keypoints, (w, h) input size, (W, H) heatmap size, L tag
dimensions, T = ``decode_topk`` candidates per keypoint, M decoded instances.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from ..registry import KEYPOINT_CODECS
from .base import BaseKeypointCodec, _check_keypoints, _visible
from .utils import gaussian_heatmaps, refine_keypoints, refine_keypoints_dark_udp

__all__ = ["AssociativeEmbedding"]


@KEYPOINT_CODECS.register_module()
class AssociativeEmbedding(BaseKeypointCodec):
    """Encode Gaussian heatmaps and the flat heatmap index of every keypoint; decode by peak
    detection and tag grouping.

    Encoding: ``heatmaps`` (K, H, W), ``keypoint_indices`` (N, K, 2) as (y * W + x, valid) and
    ``keypoint_weights`` (N, K). Decoding (:meth:`decode`): per keypoint type the ``decode_topk``
    peaks after a max-pool NMS; keypoints join the group with the closest mean tag (Hungarian
    matching, in ``decode_keypoint_order``) when the tag distance is below ``decode_tag_thr``,
    else start a group; missing keypoints of a group are filled at the heatmap location that
    best fits its tag; coordinates are refined to sub-pixel (:meth:`_refine`).

    Args:
        input_size: (w, h) of the model input.
        heatmap_size: (W, H) of the heatmaps (the input size when the head restores it).
        sigma: Gaussian sigma; None uses ``sqrt(W * H) / 64``.
        use_udp: Align heatmap and input corners (scale ``(input - 1) / (heatmap - 1)``).
        decode_keypoint_order: Order in which keypoint types are grouped (default 0..K-1).
        decode_nms_kernel: Max-pool kernel of the peak NMS.
        decode_gaussian_kernel: Blur of the heatmaps before the DARK-UDP refinement (UDP only).
        decode_keypoint_thr: Minimum peak score of a keypoint to be grouped.
        decode_tag_thr: Maximum tag distance to join a group.
        decode_topk: Peaks kept per keypoint type.
        decode_center_shift: Offset added to the decoded coordinates (pixels of the heatmap).
        decode_max_instances: Maximum instances per image (None: unlimited).
    """

    label_mapping_table = dict(
        keypoint_indices="keypoint_indices", keypoint_weights="keypoint_weights"
    )
    field_mapping_table = dict(heatmaps="heatmaps")

    def __init__(
        self,
        input_size: tuple[int, int],
        heatmap_size: tuple[int, int],
        sigma: float | None = None,
        use_udp: bool = False,
        decode_keypoint_order: Sequence[int] = (),
        decode_nms_kernel: int = 5,
        decode_gaussian_kernel: int = 3,
        decode_keypoint_thr: float = 0.1,
        decode_tag_thr: float = 1.0,
        decode_topk: int = 30,
        decode_center_shift: float = 0.0,
        decode_max_instances: int | None = None,
    ) -> None:
        self.input_size = tuple(input_size)
        self.heatmap_size = tuple(heatmap_size)
        self.sigma = sigma if sigma is not None else (heatmap_size[0] * heatmap_size[1]) ** 0.5 / 64
        self.use_udp = use_udp
        self.decode_keypoint_order = list(decode_keypoint_order)
        self.decode_nms_kernel = decode_nms_kernel
        self.decode_gaussian_kernel = decode_gaussian_kernel
        self.decode_keypoint_thr = decode_keypoint_thr
        self.decode_tag_thr = decode_tag_thr
        self.decode_topk = decode_topk
        self.decode_center_shift = decode_center_shift
        self.decode_max_instances = decode_max_instances
        if use_udp:
            self.scale_factor = (np.array(input_size, np.float32) - 1) / (
                np.array(heatmap_size, np.float32) - 1
            )
        else:
            self.scale_factor = np.array(input_size, np.float32) / np.array(
                heatmap_size, np.float32
            )

    def encode(self, keypoints: np.ndarray, keypoints_visible: np.ndarray | None = None) -> dict:
        keypoints = _check_keypoints(keypoints)
        visible = _visible(keypoints, keypoints_visible)
        scaled = keypoints / self.scale_factor
        heatmaps, weights = gaussian_heatmaps(
            self.heatmap_size, scaled, visible, self.sigma, mode="udp" if self.use_udp else "msra"
        )
        w, h = self.heatmap_size
        rounded = np.floor(scaled + 0.5).astype(np.int64)
        inside = (
            (rounded[..., 0] >= 0)
            & (rounded[..., 0] < w)
            & (rounded[..., 1] >= 0)
            & (rounded[..., 1] < h)
        )
        valid = inside & (weights > 0)
        flat = np.where(valid, rounded[..., 1] * w + rounded[..., 0], 0)
        indices = np.stack([flat, valid.astype(np.int64)], axis=-1)
        return dict(heatmaps=heatmaps, keypoint_indices=indices, keypoint_weights=weights * valid)

    # Decoding ---------------------------------------------------------------------------------

    def _peaks(self, heatmaps: np.ndarray, tags: np.ndarray):
        """Top-k NMS peaks: locs (K, T, 2), vals (K, T), tags (K, T, L)."""
        k, h, w = heatmaps.shape
        kernel = np.ones((self.decode_nms_kernel, self.decode_nms_kernel), np.uint8)
        pooled = (
            cv2.dilate(heatmaps.transpose(1, 2, 0).copy(), kernel)
            .reshape(h, w, k)
            .transpose(2, 0, 1)
        )
        peaks = np.where(pooled == heatmaps, heatmaps, 0).reshape(k, -1)
        topk = min(self.decode_topk, h * w)
        index = np.argpartition(-peaks, topk - 1, axis=1)[:, :topk]
        vals = np.take_along_axis(peaks, index, axis=1)
        order = np.argsort(-vals, axis=1)
        index, vals = np.take_along_axis(index, order, 1), np.take_along_axis(vals, order, 1)
        locs = np.stack([index % w, index // w], axis=-1).astype(np.float32)
        flat_tags = tags.reshape(k, h * w, -1)
        peak_tags = np.take_along_axis(flat_tags, index[..., None], axis=1)
        return locs, vals, peak_tags

    def _group(self, locs: np.ndarray, vals: np.ndarray, tags: np.ndarray) -> list[dict]:
        k = locs.shape[0]
        order = self.decode_keypoint_order or list(range(k))
        groups: list[dict] = []
        for j in order:
            keep = vals[j] > self.decode_keypoint_thr
            cand_locs, cand_vals, cand_tags = locs[j][keep], vals[j][keep], tags[j][keep]
            if len(cand_vals) == 0:
                continue
            assigned = np.zeros(len(cand_vals), bool)
            if groups:
                means = np.stack([g["tag_sum"] / g["count"] for g in groups])
                dist = np.linalg.norm(cand_tags[:, None] - means[None], axis=-1)  # (C, G)
                cost = np.round(dist) * 100 - cand_vals[:, None]
                rows, cols = linear_sum_assignment(cost)
                for r, c in zip(rows, cols):
                    if dist[r, c] < self.decode_tag_thr and groups[c]["vals"][j] == 0:
                        self._add(groups[c], j, cand_locs[r], cand_vals[r], cand_tags[r])
                        assigned[r] = True
            for r in np.nonzero(~assigned)[0]:
                if (
                    self.decode_max_instances is not None
                    and len(groups) >= self.decode_max_instances
                ):
                    break
                group = dict(
                    locs=np.zeros((k, 2), np.float32), vals=np.zeros(k, np.float32),
                    tag_sum=np.zeros_like(cand_tags[r]), count=0,
                )  # fmt: skip
                self._add(group, j, cand_locs[r], cand_vals[r], cand_tags[r])
                groups.append(group)
        return groups

    @staticmethod
    def _add(group: dict, j: int, loc: np.ndarray, val: float, tag: np.ndarray) -> None:
        group["locs"][j] = loc
        group["vals"][j] = val
        group["tag_sum"] = group["tag_sum"] + tag
        group["count"] += 1

    def _fill_missing(self, group: dict, heatmaps: np.ndarray, tags: np.ndarray) -> None:
        missing = np.nonzero(group["vals"] == 0)[0]
        if len(missing) == 0:
            return
        k, h, w = heatmaps.shape
        mean_tag = group["tag_sum"] / group["count"]
        dist = np.linalg.norm(tags[missing].reshape(len(missing), h * w, -1) - mean_tag, axis=-1)
        score = heatmaps[missing].reshape(len(missing), -1) - np.round(dist)
        best = score.argmax(axis=1)
        group["locs"][missing] = np.stack([best % w, best // w], axis=-1)
        group["vals"][missing] = heatmaps[missing].reshape(len(missing), -1)[
            np.arange(len(missing)), best
        ]

    def decode(self, heatmaps: np.ndarray, tags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, H, W) heatmaps and (K, H, W[, L]) tags -> keypoints (M, K, 2) in the input space
        and scores (M, K); :meth:`decode_instances` also gives the instance scores."""
        keypoints, scores, _ = self.decode_instances(heatmaps, tags)
        return keypoints, scores

    def decode_instances(
        self, heatmaps: np.ndarray, tags: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(K, H, W) heatmaps and (K, H, W[, L]) tags -> keypoints (M, K, 2) in the input space,
        keypoint scores (M, K) and instance scores (M,).

        An instance's score is the mean over the K keypoints of the scores its group collected
        by tag matching (zero for the keypoints filled in afterwards), as mmpose scores it: a
        group that matched few keypoints ranks low even when the filled-in keypoints sit on
        strong peaks of other people.
        """
        heatmaps = np.asarray(heatmaps, np.float32)
        tags = np.asarray(tags, np.float32)
        if tags.ndim == 3:
            tags = tags[..., None]
        if tags.shape[:3] != heatmaps.shape:
            raise ValueError(f"tags {tags.shape} do not match the heatmaps {heatmaps.shape}.")
        k = heatmaps.shape[0]
        locs, vals, peak_tags = self._peaks(heatmaps, tags)
        groups = self._group(locs, vals, peak_tags)
        if not groups:
            empty = np.zeros(0, np.float32)
            return np.zeros((0, k, 2), np.float32), np.zeros((0, k), np.float32), empty
        instance_scores = np.array([g["vals"].mean() for g in groups], np.float32)
        for group in groups:
            self._fill_missing(group, heatmaps, tags)
        keypoints = np.stack([g["locs"] for g in groups])
        scores = np.stack([g["vals"] for g in groups])
        keypoints = self._refine(keypoints, heatmaps) + self.decode_center_shift
        return (
            (keypoints * self.scale_factor).astype(np.float32),
            scores.astype(np.float32),
            instance_scores,
        )

    def _refine(self, keypoints: np.ndarray, heatmaps: np.ndarray) -> np.ndarray:
        """Sub-pixel refinement as mmpose's: DARK-UDP (Newton step on the log of the heatmaps
        blurred with ``decode_gaussian_kernel``) with ``use_udp``, else a quarter pixel towards
        the higher neighbour."""
        if self.use_udp:
            return refine_keypoints_dark_udp(keypoints, heatmaps, self.decode_gaussian_kernel)
        return refine_keypoints(keypoints, heatmaps)
