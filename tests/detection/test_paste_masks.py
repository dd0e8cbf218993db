"""paste_masks against a plain per-box reference that samples every pixel of the image."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from visionbox.detection.models.roi_heads.mask_heads import paste, paste_masks


def _reference(masks: torch.Tensor, boxes: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """One box at a time: sample its mask at every pixel centre, keep the box's window."""
    out = torch.zeros(len(masks), h, w)
    xs, ys = torch.arange(w) + 0.5, torch.arange(h) + 0.5
    for i, (x0, y0, x1, y1) in enumerate(boxes.tolist()):
        gx = (xs - x0) / max(x1 - x0, 1e-6) * 2 - 1
        gy = (ys - y0) / max(y1 - y0, 1e-6) * 2 - 1
        grid = torch.stack([gx[None].expand(h, w), gy[:, None].expand(h, w)], -1)
        full = F.grid_sample(masks[i][None, None], grid[None], align_corners=False)[0, 0]
        c0 = min(max(math.floor(x0), 0), w - 1)
        r0 = min(max(math.floor(y0), 0), h - 1)
        c1, r1 = min(math.ceil(x1) + 1, w - 1), min(math.ceil(y1) + 1, h - 1)
        if c1 >= c0 and r1 >= r0:
            out[i, r0 : r1 + 1, c0 : c1 + 1] = full[r0 : r1 + 1, c0 : c1 + 1]
    return out


def _boxes(num: int, h: int, w: int, seed: int) -> torch.Tensor:
    """Boxes from 1 px to larger than the image, some crossing or outside its borders."""
    g = torch.Generator().manual_seed(seed)
    size = torch.exp(torch.rand(num, 2, generator=g) * math.log(1.3 * max(h, w)))
    centre = torch.rand(num, 2, generator=g) * torch.tensor([w * 1.2, h * 1.2]) - 0.1 * w
    return torch.cat([centre - size / 2, centre + size / 2], 1)


@pytest.mark.parametrize("chunk", [1, 5, 16])
def test_paste_equals_the_per_box_reference(chunk, monkeypatch):
    monkeypatch.setattr(paste, "CHUNK", chunk)
    h, w = 37, 53
    boxes = _boxes(23, h, w, seed=chunk)
    masks = torch.rand(23, 28, 28, generator=torch.Generator().manual_seed(1))
    expected = _reference(masks, boxes, h, w)
    torch.testing.assert_close(paste_masks(masks, boxes, h, w), expected, atol=1e-6, rtol=0)
    binary = paste_masks(masks, boxes, h, w, threshold=0.5)
    assert binary.dtype == torch.bool and torch.equal(binary, expected >= 0.5)
    assert torch.equal(paste_masks(masks, boxes, h, w, threshold=0.0), expected >= 0)


def test_empty_and_full_masks():
    empty = paste_masks(torch.zeros(0, 28, 28), torch.zeros(0, 4), 10, 12, threshold=0.5)
    assert empty.shape == (0, 10, 12) and empty.dtype == torch.bool
    # a full mask covers exactly its box's pixels
    pasted = paste_masks(torch.ones(1, 28, 28), torch.tensor([[2.0, 3, 10, 12]]), 24, 30, 0.5)
    ref = torch.zeros(1, 24, 30, dtype=torch.bool)
    ref[0, 3:12, 2:10] = True
    assert torch.equal(pasted, ref)
