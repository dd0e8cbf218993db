"""``MlvlPointGenerator``: the points (feature-map cell positions) of a multi-level pyramid, as
mmdet 3.x lays them out for anchor-free heads (FCOS, YOLOX).

Shape shorthand: L levels; H_l, W_l the level's feature size. ``grid_priors`` returns, per level,
(H_l * W_l, 2) ``(x, y)`` points in input pixels (or (H_l * W_l, 4) ``(x, y, stride_w,
stride_h)`` with ``with_stride``), row-major, which is the order of a head's ``(N, C, H, W)``
output after ``permute(0, 2, 3, 1)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ....registry import TASK_UTILS
from .anchor_generator import _pair

__all__ = ["MlvlPointGenerator"]


@TASK_UTILS.register_module()
class MlvlPointGenerator:
    """Points of every location of a multi-level feature pyramid.

    Args:
        strides: Stride of each level, a number or ``(w, h)``.
        offset: Position of the point inside its cell, in units of the stride (0.5: the cell
            centre, FCOS; 0: the top-left corner, YOLOX).
    """

    def __init__(self, strides: Sequence[int | Sequence[int]], offset: float = 0.5) -> None:
        if not 0 <= offset <= 1:
            raise ValueError(f"offset must be in [0, 1], got {offset}")
        self.strides = [_pair(s) for s in strides]
        self.offset = offset

    @property
    def num_levels(self) -> int:
        """Number of pyramid levels."""
        return len(self.strides)

    @property
    def num_base_priors(self) -> list[int]:
        """Points per location of each level (always 1)."""
        return [1] * self.num_levels

    def single_level_grid_priors(
        self,
        featmap_size: tuple[int, int],
        level_idx: int,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
        with_stride: bool = False,
    ) -> Tensor:
        """(H * W, 2) points of one level, or (H * W, 4) with the stride appended."""
        feat_h, feat_w = featmap_size
        stride_w, stride_h = self.strides[level_idx]
        xs = ((torch.arange(feat_w, device=device) + self.offset) * stride_w).to(dtype)
        ys = ((torch.arange(feat_h, device=device) + self.offset) * stride_h).to(dtype)
        yy, xx = torch.meshgrid(ys, xs, indexing="ij")
        xx, yy = xx.reshape(-1), yy.reshape(-1)
        if not with_stride:
            return torch.stack([xx, yy], dim=-1)
        return torch.stack(
            [xx, yy, torch.full_like(xx, stride_w), torch.full_like(yy, stride_h)], dim=-1
        )

    def grid_priors(
        self,
        featmap_sizes: Sequence[tuple[int, int]],
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
        with_stride: bool = False,
    ) -> list[Tensor]:
        """Points of every level: L tensors (H_l * W_l, 2) (or (H_l * W_l, 4) ``with_stride``)."""
        if len(featmap_sizes) != self.num_levels:
            raise ValueError(
                f"MlvlPointGenerator has {self.num_levels} strides but got "
                f"{len(featmap_sizes)} feature maps (check the neck's num_outs against the "
                "head's strides)."
            )
        return [
            self.single_level_grid_priors(tuple(size), i, dtype, device, with_stride)
            for i, size in enumerate(featmap_sizes)
        ]

    def single_level_valid_flags(
        self,
        featmap_size: tuple[int, int],
        valid_size: tuple[int, int],
        device: str | torch.device = "cpu",
    ) -> Tensor:
        """(H * W,) bool: whether each point lies in the top-left ``valid_size`` part."""
        feat_h, feat_w = featmap_size
        valid_h, valid_w = valid_size
        valid_x = torch.arange(feat_w, device=device) < valid_w
        valid_y = torch.arange(feat_h, device=device) < valid_h
        return (valid_y[:, None] & valid_x[None, :]).reshape(-1)

    def valid_flags(
        self,
        featmap_sizes: Sequence[tuple[int, int]],
        pad_shape: tuple[int, int],
        device: str | torch.device = "cpu",
    ) -> list[Tensor]:
        """Per level, which points come from the image's own (unpadded-to-batch) area."""
        flags = []
        for i, (feat_h, feat_w) in enumerate(featmap_sizes):
            stride_w, stride_h = self.strides[i]
            h, w = pad_shape[:2]
            valid = (
                min(int(math.ceil(h / stride_h)), feat_h),
                min(int(math.ceil(w / stride_w)), feat_w),
            )
            flags.append(self.single_level_valid_flags((feat_h, feat_w), valid, device))
        return flags

    def sparse_priors(
        self,
        prior_idxs: Tensor,
        featmap_size: tuple[int, int],
        level_idx: int,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
    ) -> Tensor:
        """(K, 2) points at the given flat indices of one level's (H, W) grid."""
        _, feat_w = featmap_size
        stride_w, stride_h = self.strides[level_idx]
        x = (prior_idxs % feat_w + self.offset) * stride_w
        y = (torch.div(prior_idxs, feat_w, rounding_mode="floor") + self.offset) * stride_h
        return torch.stack([x, y], dim=1).to(dtype=dtype, device=device)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(strides={self.strides}, offset={self.offset})"
