"""HRModule sums the branches of each fused output from index 0 upward, as mmpose 1.3 and
mmseg 1.2 do (``y = 0; for j in range(num_branches): y += x[j] or fuse[i][j](x[j])``), so that
HRNet's outputs are bit-identical to theirs, not a few ULPs off."""

from __future__ import annotations

import torch

from visionbox.core.models.backbones.hrnet import HRModule
from visionbox.core.models.backbones.res_blocks import BasicBlock


def test_fused_outputs_sum_branches_in_index_order():
    torch.manual_seed(0)
    module = HRModule(
        num_branches=4,
        block=BasicBlock,
        num_blocks=(1, 1, 1, 1),
        in_channels=[4, 8, 16, 32],
        num_channels=(4, 8, 16, 32),
    ).eval()
    inputs = [torch.randn(2, c, 32 // 2**i, 24 // 2**i) for i, c in enumerate([4, 8, 16, 32])]
    with torch.no_grad():
        out = module([x.clone() for x in inputs])
        branches = [b(x) for b, x in zip(module.branches, inputs)]
        for i, row in enumerate(module.fuse_layers):
            y = 0  # a transcription of mmpose's HRModule.forward
            for j in range(module.num_branches):
                y += branches[j] if i == j else row[j](branches[j])
            assert torch.equal(out[i], torch.relu(y)), f"output {i} differs"
