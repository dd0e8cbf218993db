"""A SyncBN segmentation config under ``torchrun --nproc_per_node 2 tools/segmentation/train.py
CONFIG --launcher pytorch`` on CPU (gloo).

SyncBN synchronises through NCCL; on a CPU process group each rank falls back to BN with one
warning, and DDP keeps the ranks' parameters identical (the BN running statistics are rank 0's,
broadcast before each forward pass; the checkpoint holds rank 0's). A hook of the config's
``custom_imports`` records each rank's final state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.engine import safe_torch_load

REPO = Path(__file__).resolve().parents[2]

HOOK_MODULE = """
import hashlib, json
import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from visionbox.segmentation.registry import HOOKS


@HOOKS.register_module()
class RecordRankHook(Hook):
    def after_run(self, runner):
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        digest = hashlib.sha256()
        for key, value in sorted(model.named_parameters()):
            digest.update(key.encode())
            digest.update(value.detach().cpu().contiguous().numpy().tobytes())
        norms = sorted({type(m).__name__ for m in model.modules() if "Norm" in type(m).__name__})
        record = dict(
            rank=get_rank(),
            world_size=get_world_size(),
            wrapper=type(runner.model).__name__,
            iters=runner.iter,
            norms=norms,
            digest=digest.hexdigest(),
        )
        with open(f"{runner.work_dir}/rank{get_rank()}.json", "w") as file:
            json.dump(record, file)
"""

CONFIG = """
_base_ = "segmentation::shapes/fcn_r18-d8_shapes-256x256.py"
custom_imports = dict(imports=["seg_dist_hook"], allow_failed_imports=False)
norm_cfg = dict(type="SyncBN", requires_grad=True)
model = dict(
    backbone=dict(norm_cfg=norm_cfg),
    decode_head=dict(norm_cfg=norm_cfg),
    auxiliary_head=dict(norm_cfg=norm_cfg),
)
data_root = "{root}/"
train_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root))
val_dataloader = dict(batch_size=1, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
max_iters = 4
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [dict(type="PolyLR", power=0.9, begin=0, end=max_iters, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=max_iters))
custom_hooks = [dict(type="RecordRankHook")]
log_level = "WARNING"
"""


def test_syncbn_config_trains_on_two_cpu_ranks(tmp_path):
    root = tmp_path / "shapes_seg"
    make_shapes("segmentation", str(root), seed=0, num_train=8, num_val=2)
    (tmp_path / "seg_dist_hook.py").write_text(HOOK_MODULE)
    config = tmp_path / "fcn_syncbn_dist.py"
    config.write_text(textwrap.dedent(CONFIG).replace("{root}", str(root)))
    env = dict(os.environ, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    for attempt in range(2):
        work_dir = tmp_path / f"work{attempt}"
        command = [
            sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
            str(REPO / "tools" / "segmentation" / "train.py"), str(config),
            "--launcher", "pytorch", "--work-dir", str(work_dir),
        ]  # fmt: skip
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        # A gloo rank of this torch build once aborted in C++ ("terminate called without an
        # active exception", SIGABRT) in one of about fifteen runs: that crash, and only that
        # one, gets a second run; every assertion below holds for the run that finished.
        if result.returncode == 0 or "terminate called without" not in result.stderr:
            break
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    records = [json.loads((work_dir / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["rank"] for r in records] == [0, 1]
    assert all(r["world_size"] == 2 and r["iters"] == 4 for r in records)
    assert records[0]["wrapper"] == "MMDistributedDataParallel"
    # SyncBN on a gloo group: plain BN in each rank, announced by a warning.
    assert records[0]["norms"] == ["BatchNorm2d"]
    assert "SyncBN" in result.stderr
    assert records[0]["digest"] == records[1]["digest"]  # the parameters

    checkpoint = safe_torch_load(str(work_dir / "iter_4.pth"))
    assert checkpoint["meta"]["iter"] == 4
    assert "decode_head.conv_seg.weight" in checkpoint["state_dict"]
    assert all(torch.isfinite(v).all() for v in checkpoint["state_dict"].values())
    assert (work_dir / "last_checkpoint").read_text() == str(work_dir / "iter_4.pth")
