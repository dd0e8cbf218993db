"""Shared fixtures of the tracking tests: a small VisionBox Shapes MOT set."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from visionbox.core.datasets.shapes import make_shapes


@pytest.fixture(autouse=True)
def _one_thread():
    """Tracking runs many tiny ops per frame; one intra-op thread avoids the synchronisation
    cost of a thread pool on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def shapes_mot(tmp_path_factory):
    """Shapes MOT with one train and two val sequences (80 frames each)."""
    root = tmp_path_factory.mktemp("shapes_mot")
    make_shapes("mot", root, seed=0, num_train=1, num_val=2)
    return root


def noisy_results(gt_file, out_file, seed=0, drop=0.1, swap_after=None):
    """Write a MOTChallenge result file from a gt file: rows dropped, boxes jittered and, from
    frame ``swap_after`` on, ids 1 and 2 swapped (identity switches)."""
    rng = np.random.default_rng(seed)
    gt = np.loadtxt(gt_file, delimiter=",", ndmin=2)
    gt = gt[rng.uniform(size=len(gt)) > drop]
    gt[:, 2:4] += rng.normal(0, 2, (len(gt), 2))
    if swap_after is not None:
        late = gt[:, 0] >= swap_after
        ids = gt[:, 1].copy()
        gt[late & (ids == 1), 1] = 2
        gt[late & (ids == 2), 1] = 1
    rows = np.column_stack([gt[:, :6], rng.uniform(0.5, 1, len(gt)), -np.ones((len(gt), 3))])
    np.savetxt(out_file, rows, fmt="%.3f", delimiter=",")
