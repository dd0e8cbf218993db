"""VisionBox Shapes for tracking: MOTChallenge sequences (MOT) and frame folders (SOT).

MOT layout (TrackEval's MOTChallenge layout with ``BENCHMARK='SHAPES'``)::

    OUT/SHAPES-{train,val}/SHAPES-01/img1/000001.jpg
    OUT/SHAPES-{train,val}/SHAPES-01/gt/gt.txt      frame,id,x,y,w,h,1,1,visibility
    OUT/SHAPES-{train,val}/SHAPES-01/seqinfo.ini
    OUT/seqmaps/SHAPES-{train,val}.txt

Objects move on straight, slightly curved paths: they enter and leave through the borders, cross and
occlude each other (a fixed depth order). ``gt.txt`` has the whole box of each object (not clipped
to the image) in every frame where some of it is visible; ``visibility`` is its visible fraction.

SOT layout (GOT-10k style)::

    OUT/{train,val}/list.txt
    OUT/{train,val}/SHAPES-SOT-001/00000001.jpg ... groundtruth.txt (x,y,w,h per frame)
"""

from __future__ import annotations

import os

import numpy as np

from .render import (
    CLASS_COLORS,
    CLASSES,
    fill_polygon,
    jitter_color,
    rng_for,
    shape_polygon,
    textured_background,
    write_jpeg,
)

__all__ = ["make_mot", "make_sot"]

SIZE = 256
_PAD = 96  # objects are rasterised on a padded canvas so that out-of-image parts count


def _frame_noise(rng: np.random.Generator, bg: np.ndarray) -> np.ndarray:
    return np.clip(bg.astype(np.int16) + rng.integers(-3, 4, size=bg.shape), 0, 255).astype(
        np.uint8
    )


def _mot_tracks(rng: np.random.Generator, frames: int, count: int) -> list[dict]:
    tracks = []
    for i in range(count):
        size = rng.uniform(26, 44)
        label = int(rng.integers(0, len(CLASSES)))
        if i < 2:  # a guaranteed crossing: two objects meet mid-sequence on the same row
            y = rng.uniform(80, SIZE - 80)
            direction = 1 if i == 0 else -1
            p0 = np.array([SIZE / 2 - direction * SIZE * 0.45, y + (i - 0.5) * 8])
            v = np.array([direction * SIZE * 0.9 / frames, 0.0])
            start = 0
        else:
            side = int(rng.integers(0, 4))
            t = rng.uniform(40, SIZE - 40)
            entry = [(-size, t), (SIZE + size, t), (t, -size), (t, SIZE + size)][side]
            exit_ = (
                np.array([SIZE - entry[0], rng.uniform(40, SIZE - 40)])
                if side < 2
                else np.array([rng.uniform(40, SIZE - 40), SIZE - entry[1]])
            )
            p0 = np.array(entry, float)
            duration = rng.uniform(0.6, 1.2) * frames
            v = (exit_ - p0) / duration
            start = int(rng.integers(-int(frames * 0.4), int(frames * 0.6)))
        tracks.append(
            dict(
                id=i + 1,
                label=label,
                size=size,
                p0=p0,
                v=v,
                start=start,
                angle=rng.uniform(0, 2 * np.pi),
                spin=rng.uniform(-0.03, 0.03),
                wobble=rng.uniform(0, 4),
                color=jitter_color(rng, CLASS_COLORS[label]),
            )
        )
    return tracks


def _polygon_at(track: dict, frame: int) -> np.ndarray:
    t = frame - track["start"]
    pos = track["p0"] + track["v"] * t
    normal = np.array([-track["v"][1], track["v"][0]])
    normal = normal / (np.linalg.norm(normal) + 1e-9)
    pos = pos + normal * track["wobble"] * np.sin(t / 9.0)
    return shape_polygon(
        CLASSES[track["label"]], pos[0], pos[1], track["size"], track["angle"] + track["spin"] * t
    )


def _render_layers(img: np.ndarray, polys: list[np.ndarray], colors: list) -> np.ndarray:
    """Draw polygons far-to-near on ``img``; return the (M,) visible fraction of each."""
    owner = np.full((SIZE + 2 * _PAD, SIZE + 2 * _PAD), -1, np.int32)
    full = np.zeros(len(polys))
    for j, poly in enumerate(polys):
        layer = np.zeros(owner.shape, np.uint8)
        fill_polygon(layer, poly + _PAD, 1)
        full[j] = layer.sum()
        owner[layer > 0] = j
        fill_polygon(img, poly, colors[j])
    inside = owner[_PAD:-_PAD, _PAD:-_PAD]
    counts = np.bincount(inside[inside >= 0], minlength=len(polys))
    return counts / np.maximum(full, 1)


def _write_mot_sequence(seq_dir: str, rng: np.random.Generator, frames: int) -> None:
    bg = textured_background(rng, SIZE, SIZE)
    tracks = _mot_tracks(rng, frames, int(rng.integers(5, 8)))
    order = rng.permutation(len(tracks))  # depth: earlier in ``order`` is farther
    rows = []
    for frame in range(1, frames + 1):
        img = _frame_noise(rng, bg)
        alive = [tracks[k] for k in order if frame - 1 >= tracks[k]["start"]]
        polys = [_polygon_at(t, frame - 1) for t in alive]
        visibility = _render_layers(img, polys, [t["color"] for t in alive])
        write_jpeg(os.path.join(seq_dir, "img1", f"{frame:06d}.jpg"), img)
        for track, poly, vis in zip(alive, polys, visibility):
            if vis <= 0:
                continue
            x1, y1 = poly.min(0)
            x2, y2 = poly.max(0)
            rows.append((frame, track["id"], x1, y1, x2 - x1, y2 - y1, vis))
    rows.sort(key=lambda r: (r[1], r[0]))
    os.makedirs(os.path.join(seq_dir, "gt"), exist_ok=True)
    with open(os.path.join(seq_dir, "gt", "gt.txt"), "w", encoding="utf-8") as f:
        for fr, tid, x, y, w, h, vis in rows:
            f.write(f"{fr},{tid},{x:.2f},{y:.2f},{w:.2f},{h:.2f},1,1,{vis:.4f}\n")
    name = os.path.basename(seq_dir)
    with open(os.path.join(seq_dir, "seqinfo.ini"), "w", encoding="utf-8") as f:
        f.write(
            f"[Sequence]\nname={name}\nimDir=img1\nframeRate=10\nseqLength={frames}\n"
            f"imWidth={SIZE}\nimHeight={SIZE}\nimExt=.jpg\n"
        )


def make_mot(out_dir: str, seed: int, num_train: int, num_val: int, frames: int = 80) -> list[str]:
    """Write MOTChallenge sequences; ``num_*`` count sequences. Returns the sequence folders."""
    written = []
    number = 0
    os.makedirs(os.path.join(out_dir, "seqmaps"), exist_ok=True)
    for split, count in (("train", num_train), ("val", num_val)):
        names = []
        for index in range(count):
            number += 1
            name = f"SHAPES-{number:02d}"
            seq_dir = os.path.join(out_dir, f"SHAPES-{split}", name)
            _write_mot_sequence(seq_dir, rng_for(seed, "mot", split, index), frames)
            names.append(name)
            written.append(seq_dir)
        with open(
            os.path.join(out_dir, "seqmaps", f"SHAPES-{split}.txt"), "w", encoding="utf-8"
        ) as f:
            f.write("name\n" + "".join(n + "\n" for n in names))
    return written


def _write_sot_sequence(seq_dir: str, rng: np.random.Generator, frames: int) -> None:
    bg = textured_background(rng, SIZE, SIZE)
    labels = rng.choice(len(CLASSES), size=3, replace=False)
    objs = []
    for k, label in enumerate(labels):
        size = rng.uniform(36, 56) if k == 0 else rng.uniform(28, 48)
        objs.append(
            dict(
                label=int(label),
                size=size,
                pos=rng.uniform(60, SIZE - 60, size=2),
                vel=rng.normal(0, 2.0, size=2),
                angle=rng.uniform(0, 2 * np.pi),
                color=jitter_color(rng, CLASS_COLORS[label]),
            )
        )
    target_depth = int(rng.integers(1, 3))  # the target is drawn after one or two distractors
    lines = []
    for frame in range(1, frames + 1):
        img = _frame_noise(rng, bg)
        polys = []
        for obj in objs:
            obj["vel"] = np.clip(obj["vel"] + rng.normal(0, 0.4, size=2), -3.5, 3.5)
            obj["pos"] = obj["pos"] + obj["vel"]
            half = obj["size"] / 2
            for d in range(2):  # bounce on the borders
                if not half <= obj["pos"][d] <= SIZE - half:
                    obj["pos"][d] = np.clip(obj["pos"][d], half, SIZE - half)
                    obj["vel"][d] = -obj["vel"][d]
            obj["angle"] += 0.02
            polys.append(
                shape_polygon(
                    CLASSES[obj["label"]], obj["pos"][0], obj["pos"][1], obj["size"], obj["angle"]
                )
            )
        draw = [1, 2][:target_depth] + [0] + [1, 2][target_depth:]
        for k in draw:
            fill_polygon(img, polys[k], objs[k]["color"])
        write_jpeg(os.path.join(seq_dir, f"{frame:08d}.jpg"), img)
        x1, y1 = polys[0].min(0)
        x2, y2 = polys[0].max(0)
        lines.append(f"{x1:.4f},{y1:.4f},{x2 - x1:.4f},{y2 - y1:.4f}\n")
    with open(os.path.join(seq_dir, "groundtruth.txt"), "w", encoding="utf-8") as f:
        f.writelines(lines)


def make_sot(out_dir: str, seed: int, num_train: int, num_val: int, frames: int = 60) -> list[str]:
    """Write SOT sequences; ``num_*`` count sequences. Returns the sequence folders."""
    written = []
    number = 0
    for split, count in (("train", num_train), ("val", num_val)):
        names = []
        for index in range(count):
            number += 1
            name = f"SHAPES-SOT-{number:03d}"
            seq_dir = os.path.join(out_dir, split, name)
            os.makedirs(seq_dir, exist_ok=True)
            _write_sot_sequence(seq_dir, rng_for(seed, "sot", split, index), frames)
            names.append(name)
            written.append(seq_dir)
        with open(os.path.join(out_dir, split, "list.txt"), "w", encoding="utf-8") as f:
            f.write("".join(n + "\n" for n in names))
    return written
