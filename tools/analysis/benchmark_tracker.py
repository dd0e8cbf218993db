"""Milliseconds per frame of each VisionBox tracker's update.

    python tools/analysis/benchmark_tracker.py [--frames 1000] [--dets 10 100 500]
        [--trackers ByteTracker SORTTracker ...] [--out FILE.json]

Synthetic scene: ``dets`` objects moving at constant velocity with box noise and random scores
in [0.2, 1.0] (so ByteTrack's low-score association runs), one detection per object per frame;
QuasiDenseTracker gets 256-channel embeddings. The time is that of ``tracker.track(sample)``,
from the detections of a data sample to the tracked instances, on one thread: CPU time of the
process (``time.process_time``, what the update costs even on a machine shared with other work)
and, in the JSON, the wall time too.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from mmengine.structures import InstanceData

from visionbox.tracking.registry import MODELS
from visionbox.tracking.structures import FrameDataSample

TRACKERS = ("ByteTracker", "SORTTracker", "OCSORTTracker", "StrongSORTTracker", "QuasiDenseTracker")


def make_frames(num_dets: int, num_frames: int, seed: int = 0) -> list[FrameDataSample]:
    """Data samples of a synthetic scene (see the module docstring)."""
    rng = np.random.default_rng(seed)
    extent = 40.0 * np.sqrt(num_dets) + 200
    pos = rng.uniform(0, extent, (num_dets, 2))
    vel = rng.normal(0, 2, (num_dets, 2))
    size = rng.uniform(20, 60, (num_dets, 2))
    identity = rng.normal(0, 1, (num_dets, 256)).astype(np.float32)
    frames = []
    for t in range(num_frames):
        centre = pos + vel * t + rng.normal(0, 0.5, pos.shape)
        boxes = np.concatenate([centre - size / 2, centre + size / 2], 1)
        pred = InstanceData()
        pred.bboxes = torch.from_numpy(boxes.astype(np.float32))
        pred.scores = torch.from_numpy(rng.uniform(0.2, 1.0, num_dets).astype(np.float32))
        pred.labels = torch.zeros(num_dets, dtype=torch.long)
        pred.embeds = torch.from_numpy(
            identity + rng.normal(0, 0.1, identity.shape).astype(np.float32)
        )
        sample = FrameDataSample(metainfo=dict(frame_id=t))
        sample.pred_instances = pred
        frames.append(sample)
    return frames


def benchmark(name: str, frames: list[FrameDataSample]) -> tuple[float, float]:
    """(CPU, wall) mean ms per frame of ``name`` over ``frames`` (after 5 warm-up frames)."""
    tracker = MODELS.build(dict(type=name))
    for sample in frames[:5]:
        tracker.track(sample)
    cpu, wall = time.process_time(), time.perf_counter()
    for sample in frames:
        tracker.track(sample)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu * 1000 / len(frames), wall * 1000 / len(frames)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--dets", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--trackers", nargs="+", default=list(TRACKERS))
    parser.add_argument("--out", help="write the table as JSON")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    table: dict[str, dict[str, dict[str, float]]] = {}
    print(f"CPU ms per frame over {args.frames} frames (1 thread)")
    print(f"{'tracker':<20}" + "".join(f"{n:>10} dets" for n in args.dets))
    scenes = {n: make_frames(n, args.frames) for n in args.dets}
    for name in args.trackers:
        table[name] = {}
        for n in args.dets:
            cpu, wall = benchmark(name, scenes[n])
            table[name][str(n)] = dict(cpu_ms=round(cpu, 3), wall_ms=round(wall, 3))
        cells = "".join(f"{table[name][str(n)]['cpu_ms']:>15.3f}" for n in args.dets)
        print(f"{name:<20}{cells}", flush=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(table, f, indent=2)
    return table


if __name__ == "__main__":
    main()
