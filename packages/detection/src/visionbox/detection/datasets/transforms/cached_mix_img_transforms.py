"""``CachedMosaic`` and ``CachedMixUp``: RTMDet's mixing augmentations (Lyu et al., 2022,
https://arxiv.org/abs/2212.07784), which draw the other images from a cache of the results this
transform has seen instead of from the dataset, so that a plain dataset (no
``MultiImageMixDataset``) can feed them. mmdet 3.x's names, arguments and defaults.

The mixing itself is :class:`Mosaic`'s and :class:`MixUp`'s: every per-instance key they carry
(boxes, labels, ignore flags, and masks where they handle them) moves with the pixels.
"""

from __future__ import annotations

import copy

import numpy as np

from ...registry import TRANSFORMS
from .mix_img_transforms import MixUp, Mosaic

__all__ = ["CachedMixUp", "CachedMosaic", "ResultsCache"]


class ResultsCache:
    """A bounded list of deep-copied results: past ``max_size`` it drops a random entry
    (``random_pop``) or the oldest.

    Args:
        max_size: The most results kept.
        random_pop: Drop a random entry (else first in, first out).
    """

    def __init__(self, max_size: int, random_pop: bool) -> None:
        self.max_size = max_size
        self.random_pop = random_pop
        self.items: list[dict] = []

    def push(self, results: dict) -> None:
        """Keep a copy of ``results`` (without its ``mix_results``)."""
        item = {k: v for k, v in results.items() if k != "mix_results"}
        self.items.append(copy.deepcopy(item))
        if len(self.items) > self.max_size:
            index = np.random.randint(0, len(self.items)) if self.random_pop else 0
            self.items.pop(index)

    def __len__(self) -> int:
        return len(self.items)

    def pick(self, index: int) -> dict:
        """A deep copy of entry ``index`` (mixing must not alter the cache)."""
        return copy.deepcopy(self.items[index])


@TRANSFORMS.register_module()
class CachedMosaic(Mosaic):
    """:class:`Mosaic` of the image and three results drawn from a cache of past results.

    The image joins the cache first; while the cache holds 4 results or fewer the image passes
    unchanged.

    Args:
        img_scale: ``(width, height)``; the canvas is twice as large.
        center_ratio_range: The centre is drawn in this range times ``img_scale``.
        bbox_clip_border: Clip boxes to the canvas.
        pad_val: Value of the canvas outside the images.
        prob: Probability of applying the transform.
        max_cached_images: Size of the cache (>= 4).
        random_pop: Drop a random cached result when the cache is full (else the oldest).
    """

    def __init__(
        self,
        img_scale: tuple[int, int] = (640, 640),
        center_ratio_range: tuple[float, float] = (0.5, 1.5),
        bbox_clip_border: bool = True,
        pad_val: float = 114.0,
        prob: float = 1.0,
        max_cached_images: int = 40,
        random_pop: bool = True,
    ) -> None:
        super().__init__(img_scale, center_ratio_range, bbox_clip_border, pad_val, prob)
        if max_cached_images < 4:
            raise ValueError(
                f"CachedMosaic: max_cached_images must be >= 4, got {max_cached_images}"
            )
        self.max_cached_images = max_cached_images
        self.random_pop = random_pop
        self.results_cache = ResultsCache(max_cached_images, random_pop)

    def get_indexes(self, cache: ResultsCache) -> list[int]:
        """Three random indices of the cache."""
        return [int(np.random.randint(0, len(cache))) for _ in range(3)]

    def transform(self, results: dict) -> dict:
        self.results_cache.push(results)
        if len(self.results_cache) <= 4:
            return results
        indexes = self.get_indexes(self.results_cache)
        results["mix_results"] = [self.results_cache.pick(i) for i in indexes]
        results = super().transform(results)
        results.pop("mix_results", None)
        return results

    def __repr__(self) -> str:
        return (
            f"CachedMosaic(img_scale={self.img_scale}, "
            f"center_ratio_range={self.center_ratio_range}, pad_val={self.pad_val}, "
            f"prob={self.prob}, max_cached_images={self.max_cached_images}, "
            f"random_pop={self.random_pop})"
        )


@TRANSFORMS.register_module()
class CachedMixUp(MixUp):
    """:class:`MixUp` with a result drawn from a cache of past results.

    The image joins the cache first; while the cache holds one result the image passes
    unchanged.

    Args:
        img_scale: ``(width, height)`` the other image is fitted into first.
        ratio_range: Scale jitter of the other image.
        flip_ratio: Threshold of the horizontal flip.
        pad_val: Value of padded pixels (one value, or one per channel).
        max_iters: Tries to find a cached result with boxes.
        bbox_clip_border: Clip boxes to the image.
        max_cached_images: Size of the cache (>= 2).
        random_pop: Drop a random cached result when the cache is full (else the oldest).
        prob: Probability of applying the transform.
    """

    def __init__(
        self,
        img_scale: tuple[int, int] = (640, 640),
        ratio_range: tuple[float, float] = (0.5, 1.5),
        flip_ratio: float = 0.5,
        pad_val: float | tuple[float, ...] = 114.0,
        max_iters: int = 15,
        bbox_clip_border: bool = True,
        max_cached_images: int = 20,
        random_pop: bool = True,
        prob: float = 1.0,
    ) -> None:
        super().__init__(img_scale, ratio_range, flip_ratio, pad_val, max_iters, bbox_clip_border)
        if max_cached_images < 2:
            raise ValueError(
                f"CachedMixUp: max_cached_images must be >= 2, got {max_cached_images}"
            )
        if not 0 <= prob <= 1:
            raise ValueError(f"CachedMixUp: prob must be in [0, 1], got {prob}")
        self.max_cached_images = max_cached_images
        self.random_pop = random_pop
        self.prob = prob
        self.results_cache = ResultsCache(max_cached_images, random_pop)

    def get_indexes(self, cache: ResultsCache) -> int:
        """A random cache index whose result has boxes (after at most ``max_iters`` tries)."""
        index = 0
        for _ in range(self.max_iters):
            index = int(np.random.randint(0, len(cache)))
            if len(cache.items[index].get("gt_bboxes", ())) != 0:
                break
        return index

    def transform(self, results: dict) -> dict:
        self.results_cache.push(results)
        if len(self.results_cache) <= 1 or np.random.uniform(0, 1) > self.prob:
            return results
        index = self.get_indexes(self.results_cache)
        results["mix_results"] = [self.results_cache.pick(index)]
        results = super().transform(results)
        results.pop("mix_results", None)
        return results

    def __repr__(self) -> str:
        return (
            f"CachedMixUp(dynamic_scale={self.dynamic_scale}, ratio_range={self.ratio_range}, "
            f"flip_ratio={self.flip_ratio}, pad_val={self.pad_val}, max_iters={self.max_iters}, "
            f"max_cached_images={self.max_cached_images}, random_pop={self.random_pop}, "
            f"prob={self.prob})"
        )
