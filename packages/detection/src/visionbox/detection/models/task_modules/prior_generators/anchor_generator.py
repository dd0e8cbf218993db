"""``AnchorGenerator``: the anchors of every feature-map location, as mmdet 3.x lays them out.

Shape shorthand: L levels; H_l, W_l the level's feature size; A the anchors per location
(``len(ratios) * len(scales)``). ``grid_priors`` returns, per level, (H_l * W_l * A, 4)
x1y1x2y2 boxes in input pixels, location-major (all A anchors of location 0 first), which is the
order of a head's ``(N, A * C, H, W)`` output after ``permute(0, 2, 3, 1)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ....registry import TASK_UTILS

__all__ = ["AnchorGenerator"]


def _pair(value: int | float | Sequence) -> tuple[float, float]:
    if isinstance(value, (int, float)):
        return (value, value)
    if len(value) != 2:
        raise ValueError(f"a stride must be a number or a pair, got {value!r}")
    return (value[0], value[1])


@TASK_UTILS.register_module()
class AnchorGenerator:
    """Anchors of a multi-level feature pyramid (Faster R-CNN, RetinaNet, ...).

    Args:
        strides: Stride of each level, a number or ``(w, h)``.
        ratios: Height/width ratios of the anchors.
        scales: Anchor scales relative to ``base_sizes``; exclusive with ``octave_base_scale``.
        base_sizes: Base anchor size per level (default: the level's stride).
        scale_major: Order the base anchors scale-major (mmdet's default) or ratio-major.
        octave_base_scale: With ``scales_per_octave``, scales are
            ``octave_base_scale * 2 ** (i / scales_per_octave)`` (RetinaNet).
        scales_per_octave: See ``octave_base_scale``.
        centers: Anchor centre per level (default: ``center_offset`` of the stride cell).
        center_offset: Offset of the centre in units of the base size.
        use_box_type: Kept for mmdet configs; only ``False`` (plain tensors) is supported.
    """

    def __init__(
        self,
        strides: Sequence[int | Sequence[int]],
        ratios: Sequence[float],
        scales: Sequence[float] | None = None,
        base_sizes: Sequence[int] | None = None,
        scale_major: bool = True,
        octave_base_scale: float | None = None,
        scales_per_octave: int | None = None,
        centers: Sequence[tuple[float, float]] | None = None,
        center_offset: float = 0.0,
        use_box_type: bool = False,
    ) -> None:
        if use_box_type:
            raise ValueError("AnchorGenerator(use_box_type=True) is not supported; use False.")
        if not 0 <= center_offset <= 1:
            raise ValueError(f"center_offset must be in [0, 1], got {center_offset}")
        if centers is not None and len(centers) != len(strides):
            raise ValueError(f"centers has {len(centers)} entries, strides {len(strides)}")
        self.strides = [_pair(s) for s in strides]
        self.base_sizes = [min(s) for s in self.strides] if base_sizes is None else list(base_sizes)
        if len(self.base_sizes) != len(self.strides):
            raise ValueError(
                f"base_sizes has {len(self.base_sizes)} entries, strides {len(self.strides)}"
            )
        if (scales is None) == (octave_base_scale is None or scales_per_octave is None):
            raise ValueError(
                "AnchorGenerator needs either scales or (octave_base_scale and scales_per_octave)"
            )
        if scales is not None:
            self.scales = torch.tensor(list(scales), dtype=torch.float32)
        else:
            octave = [2 ** (i / scales_per_octave) for i in range(scales_per_octave)]
            self.scales = torch.tensor(octave, dtype=torch.float32) * octave_base_scale
        self.octave_base_scale = octave_base_scale
        self.scales_per_octave = scales_per_octave
        self.ratios = torch.tensor(list(ratios), dtype=torch.float32)
        self.scale_major = scale_major
        self.centers = centers
        self.center_offset = center_offset
        self.base_anchors = [
            self._base_anchors(size, None if centers is None else centers[i])
            for i, size in enumerate(self.base_sizes)
        ]

    @property
    def num_levels(self) -> int:
        """Number of pyramid levels."""
        return len(self.strides)

    @property
    def num_base_priors(self) -> list[int]:
        """Anchors per location of each level."""
        return [anchors.size(0) for anchors in self.base_anchors]

    def _base_anchors(self, base_size: float, center: tuple[float, float] | None) -> Tensor:
        """(A, 4) anchors of one location centred at ``center``."""
        w = h = float(base_size)
        x_c, y_c = (self.center_offset * w, self.center_offset * h) if center is None else center
        h_ratios = torch.sqrt(self.ratios)
        w_ratios = 1 / h_ratios
        if self.scale_major:
            ws = (w * w_ratios[:, None] * self.scales[None, :]).reshape(-1)
            hs = (h * h_ratios[:, None] * self.scales[None, :]).reshape(-1)
        else:
            ws = (w * self.scales[:, None] * w_ratios[None, :]).reshape(-1)
            hs = (h * self.scales[:, None] * h_ratios[None, :]).reshape(-1)
        return torch.stack([x_c - 0.5 * ws, y_c - 0.5 * hs, x_c + 0.5 * ws, y_c + 0.5 * hs], -1)

    def single_level_grid_priors(
        self,
        featmap_size: tuple[int, int],
        level_idx: int,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
    ) -> Tensor:
        """(H * W * A, 4) anchors of level ``level_idx`` for a (H, W) feature map."""
        feat_h, feat_w = featmap_size
        stride_w, stride_h = self.strides[level_idx]
        base = self.base_anchors[level_idx].to(device=device, dtype=dtype)
        shift_x = torch.arange(0, feat_w, device=device, dtype=dtype) * stride_w
        shift_y = torch.arange(0, feat_h, device=device, dtype=dtype) * stride_h
        yy, xx = torch.meshgrid(shift_y, shift_x, indexing="ij")
        xx, yy = xx.reshape(-1), yy.reshape(-1)
        shifts = torch.stack([xx, yy, xx, yy], dim=-1)
        return (shifts[:, None, :] + base[None, :, :]).reshape(-1, 4)

    def grid_priors(
        self,
        featmap_sizes: Sequence[tuple[int, int]],
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
    ) -> list[Tensor]:
        """Anchors of every level: L tensors (H_l * W_l * A, 4)."""
        if len(featmap_sizes) != self.num_levels:
            raise ValueError(
                f"AnchorGenerator has {self.num_levels} levels but got {len(featmap_sizes)} "
                "feature maps (check the neck's num_outs against the anchor strides)."
            )
        return [
            self.single_level_grid_priors(tuple(size), i, dtype, device)
            for i, size in enumerate(featmap_sizes)
        ]

    def single_level_valid_flags(
        self,
        featmap_size: tuple[int, int],
        valid_size: tuple[int, int],
        num_base_anchors: int,
        device: str | torch.device = "cpu",
    ) -> Tensor:
        """(H * W * A,) bool: whether each anchor's location lies in the ``valid_size`` part."""
        feat_h, feat_w = featmap_size
        valid_h, valid_w = valid_size
        valid_x = torch.arange(feat_w, device=device) < valid_w
        valid_y = torch.arange(feat_h, device=device) < valid_h
        valid = (valid_y[:, None] & valid_x[None, :]).reshape(-1)
        return valid[:, None].expand(valid.size(0), num_base_anchors).reshape(-1)

    def valid_flags(
        self,
        featmap_sizes: Sequence[tuple[int, int]],
        pad_shape: tuple[int, int],
        device: str | torch.device = "cpu",
    ) -> list[Tensor]:
        """Per level, which anchors come from the image's own (unpadded-to-batch) area.

        Args:
            featmap_sizes: L (H_l, W_l) sizes of the batch's feature maps.
            pad_shape: The image's (h, w) before padding to the batch shape.
        """
        flags = []
        for i, (feat_h, feat_w) in enumerate(featmap_sizes):
            stride_w, stride_h = self.strides[i]
            h, w = pad_shape[:2]
            valid = (
                min(int(math.ceil(h / stride_h)), feat_h),
                min(int(math.ceil(w / stride_w)), feat_w),
            )
            flags.append(
                self.single_level_valid_flags(
                    (feat_h, feat_w), valid, self.num_base_priors[i], device
                )
            )
        return flags

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(strides={self.strides}, ratios={self.ratios.tolist()}, "
            f"scales={self.scales.tolist()}, base_sizes={self.base_sizes})"
        )
