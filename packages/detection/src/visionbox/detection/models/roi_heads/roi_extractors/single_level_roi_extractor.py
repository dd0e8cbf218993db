"""``SingleRoIExtractor``: pool each RoI from the one FPN level its size maps to
(Lin et al., Feature Pyramid Networks, https://arxiv.org/abs/1612.03144, eq. 1).

Shape shorthand: R RoIs as (R, 5) ``[image index, x1, y1, x2, y2]`` in input pixels; L levels;
S the output size. The level of a RoI of scale ``s = sqrt(w * h)`` is
``floor(log2(s / finest_scale + 1e-6))`` clamped to ``[0, L - 1]``.
RoIAlign and RoIPool come from ``torchvision.ops``, one call per level; on the CPU, RoIAlign
runs as weighted sums of feature rows (:mod:`.roi_align`) when it trains and on the fast
inference path.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn
from torchvision.ops import RoIAlign as TvRoIAlign
from torchvision.ops import RoIPool as TvRoIPool

from ....registry import MODELS
from .roi_align import roi_align_rows

__all__ = ["SingleRoIExtractor", "RoIAlign", "RoIPool", "build_roi_layer"]


def _size(value: int | Sequence[int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _exporting() -> bool:
    """Whether the model is being traced, exported or compiled (torchvision's op has an ONNX
    form and a fixed graph; the row sums depend on the RoIs' sizes)."""
    compiling = getattr(torch.compiler, "is_compiling", None)  # torch >= 2.3
    return (
        torch.jit.is_tracing()
        or torch.onnx.is_in_onnx_export()
        or (compiling is not None and compiling())
    )


class RoIAlign(nn.Module):
    """mmcv's ``RoIAlign`` arguments on ``torchvision.ops.roi_align``.

    On the CPU, a forward pass that records gradients, and any eager forward pass after
    :meth:`switch_to_deploy` (which ``optimize_for_inference`` calls), runs
    :func:`~.roi_align.roi_align_rows` instead: the same values up to float rounding, several
    times faster, with a backward pass an order of magnitude faster. Evaluation of the plain
    model, tracing, export and compilation keep torchvision's kernel (bit-identical to
    mmcv's, with an ONNX form).

    Args:
        output_size: Pooled (h, w) or an int.
        spatial_scale: Feature stride's inverse.
        sampling_ratio: Samples per bin side (0: adaptive).
        pool_mode: Only ``'avg'`` (torchvision's mode).
        aligned: Half-pixel alignment (``True`` as in mmcv and Detectron2).
        use_torchvision: Kept for mmcv configs.
    """

    def __init__(
        self,
        output_size: int | Sequence[int],
        spatial_scale: float = 1.0,
        sampling_ratio: int = 0,
        pool_mode: str = "avg",
        aligned: bool = True,
        use_torchvision: bool = False,
    ) -> None:
        super().__init__()
        if pool_mode != "avg":
            raise ValueError(f"RoIAlign supports pool_mode='avg' only, got {pool_mode!r}")
        self.output_size = _size(output_size)
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = int(sampling_ratio)
        self.aligned = aligned
        self.deploy = False
        self.op = TvRoIAlign(self.output_size, self.spatial_scale, self.sampling_ratio, aligned)

    def switch_to_deploy(self) -> None:
        """Use the row-sum implementation on the CPU for inference too."""
        self.deploy = True

    def forward(self, feats: Tensor, rois: Tensor) -> Tensor:
        """(B, C, H, W), (R, 5) -> (R, C, *output_size)."""
        if (
            feats.device.type == "cpu"
            and (self.deploy or (torch.is_grad_enabled() and feats.requires_grad))
            and not _exporting()
        ):
            return roi_align_rows(
                feats, rois, self.output_size, self.spatial_scale, self.sampling_ratio, self.aligned
            )
        return self.op(feats, rois.to(feats.dtype))


class RoIPool(nn.Module):
    """mmcv's ``RoIPool`` on ``torchvision.ops.roi_pool``."""

    def __init__(self, output_size: int | Sequence[int], spatial_scale: float = 1.0) -> None:
        super().__init__()
        self.output_size = _size(output_size)
        self.spatial_scale = float(spatial_scale)
        self.op = TvRoIPool(self.output_size, self.spatial_scale)

    def forward(self, feats: Tensor, rois: Tensor) -> Tensor:
        """(B, C, H, W), (R, 5) -> (R, C, *output_size)."""
        return self.op(feats, rois.to(feats.dtype))


_ROI_LAYERS = {"RoIAlign": RoIAlign, "RoIPool": RoIPool}


def build_roi_layer(cfg: dict, spatial_scale: float) -> nn.Module:
    """Build ``dict(type='RoIAlign' | 'RoIPool', ...)`` for one level."""
    cfg = dict(cfg)
    kind = cfg.pop("type", None)
    if kind not in _ROI_LAYERS:
        from visionbox.core.utils import did_you_mean

        raise KeyError(
            f"Unknown roi_layer type {kind!r}; choose from {sorted(_ROI_LAYERS)}."
            f"{did_you_mean(str(kind), list(_ROI_LAYERS))}"
        )
    layer_cls = _ROI_LAYERS[kind]
    try:
        return layer_cls(spatial_scale=spatial_scale, **cfg)
    except TypeError as err:
        raise TypeError(f"roi_layer {kind}: {err}") from err


@MODELS.register_module()
class SingleRoIExtractor(BaseModule):
    """Pool RoI features from the level that matches each RoI's scale.

    Args:
        roi_layer: ``dict(type='RoIAlign', output_size=7, sampling_ratio=0)`` or ``RoIPool``.
        out_channels: Channels of the input (and output) features.
        featmap_strides: Stride of each level.
        finest_scale: RoI scale mapped to level 0 (56 in mmdet, i.e. 224 / 2 ** 2).
        init_cfg: Weight initialisation (none needed).
    """

    def __init__(
        self,
        roi_layer: dict,
        out_channels: int,
        featmap_strides: Sequence[int],
        finest_scale: int = 56,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.roi_layers = nn.ModuleList(
            [build_roi_layer(roi_layer, 1.0 / s) for s in featmap_strides]
        )
        self.out_channels = out_channels
        self.featmap_strides = list(featmap_strides)
        self.finest_scale = finest_scale
        self.output_size = self.roi_layers[0].output_size

    @property
    def num_inputs(self) -> int:
        """Number of feature levels it reads."""
        return len(self.featmap_strides)

    def map_roi_levels(self, rois: Tensor, num_levels: int) -> Tensor:
        """(R, 5) RoIs -> (R,) level index."""
        scale = torch.sqrt((rois[:, 3] - rois[:, 1]) * (rois[:, 4] - rois[:, 2]))
        levels = torch.floor(torch.log2(scale / self.finest_scale + 1e-6))
        return levels.clamp(min=0, max=num_levels - 1).long()

    @staticmethod
    def roi_rescale(rois: Tensor, scale_factor: float) -> Tensor:
        """Scale (R, 5) RoIs about their centres by ``scale_factor``."""
        cx = (rois[:, 1] + rois[:, 3]) * 0.5
        cy = (rois[:, 2] + rois[:, 4]) * 0.5
        w = (rois[:, 3] - rois[:, 1]) * scale_factor
        h = (rois[:, 4] - rois[:, 2]) * scale_factor
        return torch.stack(
            [rois[:, 0], cx - w * 0.5, cy - h * 0.5, cx + w * 0.5, cy + h * 0.5], dim=-1
        )

    def forward(
        self, feats: Sequence[Tensor], rois: Tensor, roi_scale_factor: float | None = None
    ) -> Tensor:
        """Pool (R, C, S, S) features of (R, 5) ``rois`` from the L (B, C, H_l, W_l) ``feats``."""
        if len(feats) < self.num_inputs:
            raise ValueError(
                f"SingleRoIExtractor reads {self.num_inputs} levels (featmap_strides="
                f"{self.featmap_strides}) but got {len(feats)} feature maps"
            )
        feats = feats[: self.num_inputs]
        out = feats[0].new_zeros((rois.size(0), self.out_channels, *self.output_size))
        if rois.numel() == 0:
            return out
        if self.num_inputs == 1:
            if roi_scale_factor is not None:
                rois = self.roi_rescale(rois, roi_scale_factor)
            return self.roi_layers[0](feats[0], rois)
        # The level comes from the RoI as given; the enlarged RoI is pooled from that level.
        levels = self.map_roi_levels(rois, self.num_inputs)
        if roi_scale_factor is not None:
            rois = self.roi_rescale(rois, roi_scale_factor)
        for i in range(self.num_inputs):
            inds = torch.nonzero(levels == i).flatten()
            if inds.numel() > 0:
                out[inds] = self.roi_layers[i](feats[i], rois[inds]).to(out.dtype)
            elif torch.is_grad_enabled() and feats[i].requires_grad:
                # Keep every level in the graph so distributed training sees all gradients.
                out = out + 0.0 * feats[i].sum()
        return out
