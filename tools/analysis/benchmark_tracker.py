"""Milliseconds per frame of each VisionBox tracker's update, beside a per-track reference.

    python tools/analysis/benchmark_tracker.py [--frames 1000] [--repeat 3] [--dets 10 100 500]
        [--trackers ByteTracker SORTTracker ...] [--out FILE.json]

mmdetection's trackers cannot be imported here (they need mmcv's compiled ops), so the peer row,
``ByteTracker (per-track reference)``, is ByteTrack written the way mmdetection writes it: a dict
of tracks, a Python loop over them for every Kalman predict and update, dense IoU matrices and
SciPy's Hungarian solver on them. It runs the same algorithm with the same thresholds (the
script prints how many of its ids agree with ours); the ratio rows are ours / reference. The
reference's time is a unit that follows the machine's speed (its work is the same kind, small
NumPy calls), so the ratios compare between machines where milliseconds do not.

Synthetic scene: ``dets`` objects moving at constant velocity with box noise and random scores
in [0.2, 1.0] (so ByteTrack's low-score association runs), one detection per object per frame;
QuasiDenseTracker gets 256-channel embeddings. The time is that of ``tracker.track(sample)``,
from the detections of a data sample to the tracked instances, on one thread: CPU time of the
process (``time.process_time``, what the update costs even on a machine shared with other work)
and, in the JSON, the wall time too; each the best of ``--repeat`` passes.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from mmengine.structures import InstanceData

from visionbox.tracking.models.task_modules import (
    KalmanFilter,
    bbox_cxcyah_to_xyxy,
    bbox_overlaps,
    bbox_xyxy_to_cxcyah,
    linear_assignment,
)
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


class PerTrackByteTracker:
    """ByteTrack with one object per track and Python loops over the tracks (see the module
    docstring); ByteTracker's default thresholds."""

    def __init__(self) -> None:
        self.kf = KalmanFilter()
        self.tracks: dict[int, dict] = {}
        self.next_id = 0

    def _match(self, ids, boxes, labels, scores, weight, iou_thr):
        if not ids or not len(boxes):
            return np.full(len(boxes), -1)
        cost = np.full((len(ids), len(boxes)), np.inf)
        for row, tid in enumerate(ids):  # one track at a time
            t = self.tracks[tid]
            ious = bbox_overlaps(bbox_cxcyah_to_xyxy(t["mean"][:4])[None], boxes)[0]
            ious = ious * scores if weight else ious
            cost[row] = np.where(labels == t["label"], 1 - ious, np.inf)
        _, det_to_track = linear_assignment(cost, 1 - iou_thr)
        return np.array([ids[r] if r >= 0 else -1 for r in det_to_track])

    def track(self, sample: FrameDataSample) -> np.ndarray:
        pred, frame = sample.pred_instances, sample.metainfo["frame_id"]
        boxes = pred.bboxes.numpy().astype(np.float64)
        scores, labels = pred.scores.numpy().astype(np.float64), pred.labels.numpy()
        if frame == 0:
            self.tracks, self.next_id = {}, 0
        ids = np.full(len(boxes), -1)
        for t in self.tracks.values():
            if t["last"] != frame - 1 and not t["tentative"]:
                t["mean"][7] = 0.0
            t["mean"], t["cov"] = self.kf.predict(t["mean"], t["cov"])
        high, low = scores > 0.6, (scores > 0.1) & (scores <= 0.6)
        confirmed = [i for i, t in self.tracks.items() if not t["tentative"]]
        tentative = [i for i, t in self.tracks.items() if t["tentative"]]
        hi = np.nonzero(high)[0]
        ids[hi] = self._match(confirmed, boxes[hi], labels[hi], scores[hi], True, 0.1)
        rest = hi[ids[hi] < 0]
        ids[rest] = self._match(tentative, boxes[rest], labels[rest], scores[rest], True, 0.3)
        taken = set(ids[hi].tolist())
        second = [i for i in confirmed if i not in taken and self.tracks[i]["last"] == frame - 1]
        lo = np.nonzero(low)[0]
        ids[lo] = self._match(second, boxes[lo], labels[lo], scores[lo], False, 0.5)
        new = high & (ids < 0) & (scores > 0.7)
        for d in np.nonzero(new)[0]:
            mean, cov = self.kf.initiate(bbox_xyxy_to_cxcyah(boxes[d]))
            self.tracks[self.next_id] = dict(
                mean=mean, cov=cov, label=labels[d], last=frame, hits=0, tentative=frame != 0
            )
            ids[d], self.next_id = self.next_id, self.next_id + 1
        for d in np.nonzero(ids >= 0)[0]:  # one track at a time
            t = self.tracks[int(ids[d])]
            if not new[d]:
                z = bbox_xyxy_to_cxcyah(boxes[d])
                t["mean"], t["cov"] = self.kf.update(t["mean"], t["cov"], z)
            t["hits"], t["last"] = t["hits"] + 1, frame
            t["tentative"] = t["tentative"] and t["hits"] < 3
        for tid in list(self.tracks):
            t = self.tracks[tid]
            if frame - t["last"] >= 10 or (t["tentative"] and t["last"] != frame):
                del self.tracks[tid]
        return ids[ids >= 0]


def build(name: str):
    return PerTrackByteTracker() if name == REFERENCE else MODELS.build(dict(type=name))


REFERENCE = "ByteTracker (per-track reference)"


def benchmark(name: str, frames: list[FrameDataSample], repeat: int = 3) -> tuple[float, float]:
    """(CPU, wall) mean ms per frame of ``name`` over ``frames``: the best of ``repeat``
    passes, each by a fresh tracker after 5 warm-up frames. The fastest pass is the one least
    disturbed by the rest of the machine (as ``timeit`` advises); every tracker, the reference
    too, is measured alike."""
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        tracker = build(name)
        for sample in frames[:5]:
            tracker.track(sample)
        cpu, wall = time.process_time(), time.perf_counter()
        for sample in frames:
            tracker.track(sample)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return best_cpu * 1000 / len(frames), best_wall * 1000 / len(frames)


def agreement(frames: list[FrameDataSample]) -> float:
    """Fraction of frames where ByteTracker and the reference output the same ids."""
    ours, reference = build("ByteTracker"), build(REFERENCE)
    same = 0
    for sample in frames:
        a = ours.track(sample).instances_id.numpy()
        same += np.array_equal(np.sort(a), np.sort(reference.track(sample)))
    return same / len(frames)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="passes per cell; the best counts")
    parser.add_argument("--dets", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--trackers", nargs="+", default=[*TRACKERS, REFERENCE])
    parser.add_argument("--out", help="write the table as JSON")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    torch.set_num_threads(1)
    table: dict[str, dict[str, dict[str, float]]] = {}
    print(f"CPU ms per frame over {args.frames} frames (1 thread, best of {args.repeat} passes)")
    print(f"{'tracker':<36}" + "".join(f"{n:>10} dets" for n in args.dets))
    scenes = {n: make_frames(n, args.frames) for n in args.dets}
    for name in args.trackers:
        table[name] = {}
        for n in args.dets:
            cpu, wall = benchmark(name, scenes[n], args.repeat)
            table[name][str(n)] = dict(cpu_ms=round(cpu, 3), wall_ms=round(wall, 3))
        cells = "".join(f"{table[name][str(n)]['cpu_ms']:>15.3f}" for n in args.dets)
        print(f"{name:<36}{cells}", flush=True)
    if REFERENCE in table:
        # the reference's time as the unit: comparable between machines of unequal speed
        for name in (n for n in args.trackers if n != REFERENCE):
            ratios = "".join(
                f"{table[name][str(n)]['cpu_ms'] / table[REFERENCE][str(n)]['cpu_ms']:>15.3f}"
                for n in args.dets
            )
            print(f"{'ratio ' + name + ' / reference':<36}{ratios}")
    if REFERENCE in table and "ByteTracker" in table:
        same = {n: agreement(scenes[n][:100]) for n in args.dets}
        print(
            "frames with the same ids as the reference: "
            + ", ".join(f"{same[n]:.0%} at {n} dets" for n in args.dets)
        )
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(table, f, indent=2)
    return table


if __name__ == "__main__":
    main()
