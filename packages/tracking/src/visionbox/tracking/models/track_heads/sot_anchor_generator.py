"""``SiameseRPNAnchorGenerator``: the anchors of one SiamRPN score map and its Hanning window.

Anchor index convention (as mmdet's ``grid_priors``): anchor ``(y * W + x) * A + a`` sits at
cell ``(y, x)`` with base anchor ``a``; A = ``len(ratios) * len(scales)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from visionbox.tracking.registry import TASK_UTILS

__all__ = ["SiameseRPNAnchorGenerator"]


@TASK_UTILS.register_module()
class SiameseRPNAnchorGenerator:
    """Anchors of a single-level Siamese RPN score map (pysot's integer anchor sizes).

    Args:
        strides: One stride, e.g. ``[8]`` (or ``[(8, 8)]``).
        ratios: Height / width ratios.
        scales: Anchor scales, in units of the stride.
        base_sizes: Base size per level (default: the stride).
        scale_major: Order the base anchors scale-major (mmdet's default).
        center_offset: Offset of the anchor centres, in strides.
    """

    def __init__(
        self,
        strides: Sequence[int | Sequence[int]],
        ratios: Sequence[float],
        scales: Sequence[float] | None = None,
        base_sizes: Sequence[int] | None = None,
        scale_major: bool = True,
        center_offset: float = 0.0,
    ) -> None:
        if len(strides) != 1:
            raise ValueError(f"SiameseRPNAnchorGenerator supports one level, got strides {strides}")
        stride = strides[0]
        self.strides = [(stride, stride) if isinstance(stride, (int, float)) else tuple(stride)]
        self.ratios = torch.tensor(list(ratios), dtype=torch.float32)
        self.scales = torch.tensor(list(scales) if scales is not None else [8.0])
        self.base_sizes = list(base_sizes) if base_sizes is not None else [self.strides[0][0]]
        self.scale_major = scale_major
        self.center_offset = center_offset
        self.base_anchors = [self._base_anchors(self.base_sizes[0])]

    @property
    def num_levels(self) -> int:
        return 1

    @property
    def num_base_anchors(self) -> list[int]:
        return [len(self.ratios) * len(self.scales)]

    num_base_priors = num_base_anchors

    def _base_anchors(self, base_size: float) -> Tensor:
        """(A, 4) x1y1x2y2 anchors around ``center_offset * base_size``; widths and heights are
        truncated to integers before scaling."""
        h_ratios = torch.sqrt(self.ratios)
        w_ratios = 1 / h_ratios
        if self.scale_major:
            ws = ((base_size * w_ratios[:, None]).long() * self.scales[None, :]).view(-1)
            hs = ((base_size * h_ratios[:, None]).long() * self.scales[None, :]).view(-1)
        else:
            ws = ((base_size * w_ratios[None, :]).long() * self.scales[:, None]).view(-1)
            hs = ((base_size * h_ratios[None, :]).long() * self.scales[:, None]).view(-1)
        c = self.center_offset * base_size
        return torch.stack([c - 0.5 * ws, c - 0.5 * hs, c + 0.5 * ws, c + 0.5 * hs], dim=-1)

    def grid_priors(
        self, featmap_sizes: Sequence[tuple[int, int]], device: torch.device | str = "cpu"
    ) -> list[Tensor]:
        """One (H * W * A, 4) anchor tensor per level, origin at the map's top-left cell."""
        (h, w), (sw, sh) = featmap_sizes[0], self.strides[0]
        shift_x = torch.arange(w, device=device, dtype=torch.float32) * sw
        shift_y = torch.arange(h, device=device, dtype=torch.float32) * sh
        yy, xx = torch.meshgrid(shift_y, shift_x, indexing="ij")
        shifts = torch.stack([xx, yy, xx, yy], dim=-1).reshape(-1, 1, 4)
        return [(shifts + self.base_anchors[0].to(device)[None]).reshape(-1, 4)]

    def centered_priors(
        self, featmap_size: tuple[int, int], device: torch.device | str = "cpu"
    ) -> Tensor:
        """(H * W * A, 4) anchors whose origin is the map's centre cell (the search centre)."""
        anchors = self.grid_priors([featmap_size], device)[0]
        (h, w), (sw, sh) = featmap_size, self.strides[0]
        return anchors - anchors.new_tensor([(w // 2) * sw, (h // 2) * sh] * 2)

    def gen_2d_hanning_windows(
        self, featmap_sizes: Sequence[tuple[int, int]], device: torch.device | str = "cpu"
    ) -> list[Tensor]:
        """One (H * W * A,) cosine window per level (``np.hanning`` outer product)."""
        h, w = featmap_sizes[0]
        window = torch.outer(
            torch.hann_window(h, periodic=False, dtype=torch.float64),
            torch.hann_window(w, periodic=False, dtype=torch.float64),
        )
        return [window.flatten().repeat_interleave(self.num_base_anchors[0]).float().to(device)]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(strides={self.strides}, ratios={self.ratios.tolist()}, "
            f"scales={self.scales.tolist()})"
        )
