"""Tiny inputs, random boxes and tiny model configs for fast tests of VisionBox models."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = [
    "assert_all_params_have_grad",
    "random_boxes",
    "tiny_backbone_cfg",
    "tiny_images",
    "tiny_neck_cfg",
]


def tiny_images(
    batch_size: int = 2, channels: int = 3, size: int | tuple[int, int] = 32, seed: int | None = 0
) -> Tensor:
    """A (batch_size, channels, H, W) float batch of standard-normal pixels."""
    h, w = (size, size) if isinstance(size, int) else size
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    return torch.randn(batch_size, channels, h, w, generator=generator)


def random_boxes(
    num: int,
    img_size: int | tuple[int, int] = 64,
    min_size: float = 2.0,
    seed: int | None = 0,
) -> Tensor:
    """(num, 4) valid x1y1x2y2 boxes in pixels inside an (H, W) image, each side >= ``min_size``."""
    h, w = (img_size, img_size) if isinstance(img_size, int) else img_size
    if min_size >= min(h, w):
        raise ValueError(f"min_size {min_size} must be smaller than the image {h}x{w}")
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    scale = torch.tensor([w, h], dtype=torch.float32)
    size = min_size + torch.rand(num, 2, generator=generator) * (scale - min_size)
    x1y1 = torch.rand(num, 2, generator=generator) * (scale - size)
    return torch.cat([x1y1, x1y1 + size], dim=1)


def tiny_backbone_cfg(out_indices: tuple[int, ...] = (0, 1, 2, 3)) -> dict:
    """A ResNet-18 with 8 base channels (~0.2 M parameters): out_channels 8, 16, 32, 64."""
    return dict(
        type="ResNet",
        depth=18,
        base_channels=8,
        out_indices=out_indices,
        norm_cfg=dict(type="BN", requires_grad=True),
        norm_eval=False,
    )


def tiny_neck_cfg(
    in_channels: tuple[int, ...] = (8, 16, 32, 64), out_channels: int = 16, num_outs: int = 5
) -> dict:
    """An FPN matching :func:`tiny_backbone_cfg`."""
    return dict(
        type="FPN", in_channels=list(in_channels), out_channels=out_channels, num_outs=num_outs
    )


def assert_all_params_have_grad(module: nn.Module) -> None:
    """Raise ``AssertionError`` naming every trainable parameter without a (finite) gradient."""
    missing = [n for n, p in module.named_parameters() if p.requires_grad and p.grad is None]
    bad = [
        n
        for n, p in module.named_parameters()
        if p.grad is not None and not torch.isfinite(p.grad).all()
    ]
    if missing or bad:
        raise AssertionError(
            f"parameters without a gradient: {missing}; non-finite gradients: {bad}"
        )
