"""Settings shared by every test: small thread counts, deterministic seeds, and no default scope
leaking from one test into the next."""

import os

import pytest
import torch
from mmengine.registry import DefaultScope

# At most 2 threads; OMP_NUM_THREADS, when set, chooses (1 on a machine shared with other jobs).
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or min(2, os.cpu_count() or 1)))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield


@pytest.fixture(autouse=True)
def _restore_default_scope():
    """A Runner or ``init_default_scope`` leaves a global DefaultScope behind; forget it."""
    saved = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)
