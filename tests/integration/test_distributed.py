"""``torchrun --nproc_per_node 2 tools/detection/train.py CONFIG --launcher pytorch`` on CPU (gloo).

The config's model and data come from a module listed in ``custom_imports``; a hook in it saves
each rank's final weights, which must be identical (DDP averaged the gradients of the ranks'
different data shards) and must have moved away from the initial weights.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from visionbox.core.engine import safe_torch_load

REPO = Path(__file__).resolve().parents[2]

TOY_MODULE = """
import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import Dataset

from visionbox.core.registry import DATASETS, HOOKS, MODELS


@MODELS.register_module()
class DistToyRegressor(BaseModel):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))

    def forward(self, inputs, targets=None, mode="tensor"):
        out = self.net(torch.stack(inputs)).squeeze(1)
        if mode == "loss":
            return dict(loss=((out - torch.stack(targets)) ** 2).mean())
        return out


@DATASETS.register_module()
class DistToyDataset(Dataset):
    def __init__(self, length=32):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(length, 4, generator=g)
        self.y = self.x @ torch.tensor([1.0, -1.0, 2.0, 0.5])

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i] + 0.01 * torch.randn(4), targets=self.y[i])


@HOOKS.register_module()
class SaveRankWeightsHook(Hook):
    def before_train(self, runner):
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        torch.save(model.state_dict(), f"{runner.work_dir}/init_rank{get_rank()}.pth")

    def after_run(self, runner):
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        state = dict(weights=model.state_dict(), world_size=get_world_size(),
                     wrapper=type(runner.model).__name__, samples=len(runner.train_dataloader))
        torch.save(state, f"{runner.work_dir}/final_rank{get_rank()}.pth")
"""

CONFIG = """
custom_imports = dict(imports=["dist_toy_module"], allow_failed_imports=False)
model = dict(type="DistToyRegressor")
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    dataset=dict(type="DistToyDataset"),
    sampler=dict(type="DefaultSampler", shuffle=True),
)
train_cfg = dict(by_epoch=True, max_epochs=2)
optim_wrapper = dict(optimizer=dict(type="SGD", lr=0.05, momentum=0.9))
default_hooks = dict(logger=dict(type="LoggerHook", interval=100))
custom_hooks = [dict(type="SaveRankWeightsHook")]
env_cfg = dict(dist_cfg=dict(backend="nccl"))
randomness = dict(seed=3)
log_level = "WARNING"
"""


def test_two_cpu_ranks_end_with_identical_weights(tmp_path):
    (tmp_path / "dist_toy_module.py").write_text(TOY_MODULE)
    config = tmp_path / "dist_toy_config.py"
    config.write_text(textwrap.dedent(CONFIG))
    work_dir = tmp_path / "work"
    env = dict(os.environ, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        str(REPO / "tools" / "detection" / "train.py"), str(config),
        "--launcher", "pytorch", "--work-dir", str(work_dir),
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    finals = [safe_torch_load(str(work_dir / f"final_rank{r}.pth")) for r in (0, 1)]
    inits = [safe_torch_load(str(work_dir / f"init_rank{r}.pth")) for r in (0, 1)]
    assert [f["world_size"] for f in finals] == [2, 2]
    assert finals[0]["wrapper"] == "MMDistributedDataParallel"
    assert finals[0]["samples"] == 4  # 32 samples / 2 ranks / batch 4: each rank saw its half
    for key, value in finals[0]["weights"].items():
        assert torch.equal(value, finals[1]["weights"][key]), key
        assert not torch.equal(value, inits[0][key]), f"{key} did not train"
    checkpoint = safe_torch_load(str(work_dir / "epoch_2.pth"))
    assert checkpoint["meta"]["cfg"].count("DistToyRegressor") == 1
    for key, value in checkpoint["state_dict"].items():
        assert torch.equal(value, finals[0]["weights"][key])
    assert (work_dir / "last_checkpoint").read_text() == str(work_dir / "epoch_2.pth")
