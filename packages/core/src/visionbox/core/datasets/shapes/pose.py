"""VisionBox Shapes for pose estimation: stick figures with K = 11 named keypoints.

2D layout (COCO keypoints)::

    OUT/annotations/keypoints_{train,val}.json   one category 'figure' with keypoints and skeleton
    OUT/{train,val}/000001.jpg
    OUT/dataset_info.py                          mmpose-style dataset_info (flip pairs, sigmas, ...)
    OUT/dataset_info.json                        the same, as JSON

Some keypoints are hidden by an occluder (visibility 1); the others are visible (2). "Left" is the
figure's image-left side, so a horizontal flip swaps the pairs in ``flip_indices``.

3D layout (pose lifting)::

    OUT/annotations/{train,val}.json   sequences of 3D keypoints (metres, world frame), their 2D
                                       projections (pixels) and the camera of each sequence
    OUT/dataset_info.py, dataset_info.json

Camera model: ``X_cam = R @ (X_world - T)``, ``u = f * X_cam[:2] / X_cam[2] + c`` (x right, y
down, z forward).
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from .render import (
    place_boxes,
    rng_for,
    textured_background,
    write_jpeg,
    write_json,
)

__all__ = ["POSE_DATASET_INFO", "KEYPOINT_NAMES", "make_pose", "make_pose3d"]

SIZE = 256
KEYPOINT_NAMES = (
    "head", "neck", "left_elbow", "right_elbow", "left_hand", "right_hand",
    "hip", "left_knee", "right_knee", "left_foot", "right_foot",
)  # fmt: skip
FLIP_INDICES = (0, 1, 3, 2, 5, 4, 6, 8, 7, 10, 9)
SKELETON = (
    (0, 1), (1, 2), (2, 4), (1, 3), (3, 5), (1, 6), (6, 7), (7, 9), (6, 8), (8, 10),
)  # fmt: skip
SIGMAS = (0.026, 0.035, 0.072, 0.072, 0.062, 0.062, 0.107, 0.087, 0.087, 0.089, 0.089)
_COLORS = {"center": [51, 153, 255], "left": [0, 255, 0], "right": [255, 128, 0]}


def _side(name: str) -> str:
    return name.split("_")[0] if name.startswith(("left", "right")) else "center"


def _dataset_info() -> dict:
    keypoint_info = {}
    for i, name in enumerate(KEYPOINT_NAMES):
        swap = KEYPOINT_NAMES[FLIP_INDICES[i]] if FLIP_INDICES[i] != i else ""
        part = "upper" if i < 6 else "lower"
        keypoint_info[i] = dict(name=name, id=i, color=_COLORS[_side(name)], type=part, swap=swap)
    skeleton_info = {
        i: dict(
            link=(KEYPOINT_NAMES[a], KEYPOINT_NAMES[b]),
            id=i,
            color=_COLORS[_side(KEYPOINT_NAMES[b])],
        )
        for i, (a, b) in enumerate(SKELETON)
    }
    return dict(
        dataset_name="visionbox_shapes_pose",
        paper_info=dict(author="VisionBox", title="VisionBox Shapes", year="2024"),
        keypoint_info=keypoint_info,
        skeleton_info=skeleton_info,
        joint_weights=[1.0] * len(KEYPOINT_NAMES),
        sigmas=list(SIGMAS),
        flip_indices=list(FLIP_INDICES),
        flip_pairs=[[i, j] for i, j in enumerate(FLIP_INDICES) if i < j],
    )


#: The pose dataset's metainfo in mmpose's ``dataset_info`` format (plus ``flip_indices``).
POSE_DATASET_INFO = _dataset_info()


def _write_dataset_info(out_dir: str) -> None:
    info = POSE_DATASET_INFO
    write_json(os.path.join(out_dir, "dataset_info.json"), info)
    lines = ['"""VisionBox Shapes pose: keypoints, skeleton, flip pairs and OKS sigmas."""', ""]
    lines.append(f"dataset_info = {info!r}")
    with open(os.path.join(out_dir, "dataset_info.py"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def _rot(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def figure_keypoints(rng: np.random.Generator) -> np.ndarray:
    """(K, 2) keypoints of a random upright figure, hip at the origin, height about 1."""
    up = np.array([0.0, -1.0])
    down = -up
    tilt = rng.uniform(-0.25, 0.25)
    k = np.zeros((len(KEYPOINT_NAMES), 2))
    k[6] = 0
    k[1] = k[6] + 0.42 * _rot(up, tilt)
    k[0] = k[1] + 0.2 * _rot(up, tilt + rng.uniform(-0.2, 0.2))
    for side, (elbow, hand) in ((-1, (2, 4)), (1, (3, 5))):
        a = rng.uniform(0.35, 2.6)
        k[elbow] = k[1] + 0.24 * _rot(down, -side * a)
        k[hand] = k[elbow] + 0.22 * _rot(down, -side * (a + rng.uniform(-0.9, 0.9)))
    for side, (knee, foot) in ((-1, (7, 9)), (1, (8, 10))):
        a = rng.uniform(0.08, 0.7)
        k[knee] = k[6] + 0.3 * _rot(down, -side * a)
        k[foot] = k[knee] + 0.3 * _rot(down, -side * (a + rng.uniform(-0.35, 0.45)))
    return k


def _draw_figure(img, mask, kpts: np.ndarray, scale: float, color: tuple) -> None:
    thick = max(2, int(round(0.07 * scale)))
    pts = np.round(kpts * 16).astype(np.int32)
    for a, b in SKELETON:
        for canvas, value in ((img, color), (mask, 1)):
            cv2.line(canvas, tuple(pts[a]), tuple(pts[b]), value, thick, cv2.LINE_8, shift=4)
    head_r = int(round(0.09 * scale * 16))
    cv2.circle(img, tuple(pts[0]), head_r, color, -1, cv2.LINE_8, shift=4)
    cv2.circle(mask, tuple(pts[0]), head_r, 1, -1, cv2.LINE_8, shift=4)
    dot = max(2, int(round(0.035 * scale * 16)))
    light = tuple(int(min(255, c + 110)) for c in color)
    for i in (2, 3, 4, 5, 7, 8, 9, 10):
        cv2.circle(img, tuple(pts[i]), dot + 16, light, -1, cv2.LINE_8, shift=4)


def _pose_image(rng: np.random.Generator, image_id: int, next_ann_id: int):
    img = textured_background(rng, SIZE, SIZE)
    count = int(rng.integers(1, 4))
    heights = rng.uniform(90, 140, size=count)
    centres = place_boxes(rng, heights * 0.9, SIZE, SIZE, margin=2)
    anns = []
    for height, centre in zip(heights, centres):
        if centre is None:
            continue
        local = figure_keypoints(rng)
        local -= (local.min(0) + local.max(0)) / 2
        kpts = local * height * 0.8 + centre
        mask = np.zeros((SIZE, SIZE), np.uint8)
        hsv = np.array([[[rng.integers(0, 180), rng.integers(190, 256), rng.integers(170, 240)]]])
        color = tuple(int(c) for c in cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)[0, 0])
        _draw_figure(img, mask, kpts, height, color)
        vis = np.full(len(KEYPOINT_NAMES), 2)
        if rng.random() < 0.3:  # an occluder patch over one hand or foot
            j = int(rng.choice([4, 5, 9, 10]))
            half = max(6, int(0.1 * height))
            x, y = np.round(kpts[j]).astype(int)
            patch = textured_background(rng, 2 * half, 2 * half)
            y1, x1 = max(0, y - half), max(0, x - half)
            y2, x2 = min(SIZE, y + half), min(SIZE, x + half)
            img[y1:y2, x1:x2] = patch[: y2 - y1, : x2 - x1]
            mask[y1:y2, x1:x2] = 0
            inside = (kpts[:, 0] >= x1) & (kpts[:, 0] < x2) & (kpts[:, 1] >= y1) & (kpts[:, 1] < y2)
            vis[inside] = 1
        ys, xs = np.nonzero(mask)
        x1, y1, x2, y2 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        seg = [c.reshape(-1).astype(float).tolist() for c in contours if len(c) >= 3]
        flat = np.concatenate([np.round(kpts, 2), vis[:, None]], 1).reshape(-1)
        anns.append(
            {
                "id": next_ann_id + len(anns),
                "image_id": image_id,
                "category_id": 1,
                "bbox": [float(x1), float(y1), float(x2 - x1), float(y2 - y1)],
                "area": float(mask.sum()),
                "segmentation": seg,
                "iscrowd": 0,
                "keypoints": [float(v) if i % 3 < 2 else int(v) for i, v in enumerate(flat)],
                "num_keypoints": int((vis > 0).sum()),
            }
        )
    return img, anns


def make_pose(out_dir: str, seed: int, num_train: int, num_val: int) -> list[str]:
    """Write the 2D pose set; returns the annotation files."""
    category = {
        "id": 1,
        "name": "figure",
        "supercategory": "figure",
        "keypoints": list(KEYPOINT_NAMES),
        "skeleton": [[a + 1, b + 1] for a, b in SKELETON],
    }
    written = []
    for split, count in (("train", num_train), ("val", num_val)):
        images, annotations = [], []
        for index in range(count):
            rng = rng_for(seed, "pose", split, index)
            image_id = index + 1
            img, anns = _pose_image(rng, image_id, len(annotations) + 1)
            name = f"{image_id:06d}.jpg"
            write_jpeg(os.path.join(out_dir, split, name), img)
            images.append({"id": image_id, "file_name": name, "width": SIZE, "height": SIZE})
            annotations.extend(anns)
        path = os.path.join(out_dir, "annotations", f"keypoints_{split}.json")
        write_json(
            path,
            {
                "info": {"description": "VisionBox Shapes pose", "version": "1.0", "seed": seed},
                "licenses": [],
                "images": images,
                "annotations": annotations,
                "categories": [category],
            },
        )
        written.append(path)
    _write_dataset_info(out_dir)
    return written


def _figure_3d(rng: np.random.Generator, phase: float, swing: float) -> np.ndarray:
    """(K, 3) keypoints in the figure's frame (metres; x right, y down, z forward), walking."""
    k = np.zeros((len(KEYPOINT_NAMES), 3))
    k[6] = [0, 0, 0]
    k[1] = [0, -0.55, 0]
    k[0] = [0, -0.8, 0]
    s = np.sin(phase) * swing
    for side, (elbow, hand), sign in ((-1, (2, 4), 1), (1, (3, 5), -1)):
        k[elbow] = k[1] + [side * 0.18, 0.28 * np.cos(sign * s), 0.28 * np.sin(sign * s)]
        k[hand] = k[elbow] + [
            side * 0.04,
            0.25 * np.cos(sign * s + 0.3),
            0.25 * np.sin(sign * s + 0.3),
        ]
    for side, (knee, foot), sign in ((-1, (7, 9), -1), (1, (8, 10), 1)):
        k[knee] = k[6] + [side * 0.12, 0.42 * np.cos(sign * s), 0.42 * np.sin(sign * s)]
        k[foot] = k[knee] + [0, 0.42 * np.cos(sign * s - 0.2), 0.42 * np.sin(sign * s - 0.2)]
    return k


def _yaw(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _pose3d_sequence(rng: np.random.Generator, frames: int) -> dict:
    scale = rng.uniform(0.85, 1.15)
    swing = rng.uniform(0.3, 0.7)
    speed = rng.uniform(0.15, 0.35)
    yaw0, yaw_rate = rng.uniform(-np.pi, np.pi), rng.uniform(-0.04, 0.04)
    start = np.array([rng.uniform(-0.5, 0.5), 0.0, rng.uniform(-0.5, 0.5)])
    pitch = rng.uniform(0.05, 0.25)
    c, s = np.cos(pitch), np.sin(pitch)
    R = np.array([[1, 0, 0], [0, c, -s], [0, s, c]]) @ _yaw(rng.uniform(-0.3, 0.3))
    distance = rng.uniform(4.0, 6.0)
    T = -R.T @ np.array([0.0, -0.3, distance])  # camera centre in world coordinates
    f = np.array([rng.uniform(280, 340)] * 2)
    cxy = np.array([SIZE / 2, SIZE / 2])
    kpts3d, kpts2d = [], []
    for t in range(frames):
        yaw = yaw0 + yaw_rate * t
        body = _figure_3d(rng, speed * t * 2 * np.pi / 4, swing) * scale
        world = (
            body @ _yaw(yaw).T
            + start
            + np.array([0.02 * t * np.sin(yaw), 0, 0.02 * t * np.cos(yaw)])
        )
        cam = (world - T) @ R.T
        uv = f * cam[:, :2] / cam[:, 2:3] + cxy
        kpts3d.append(np.round(world, 4).tolist())
        kpts2d.append(np.round(uv, 2).tolist())
    camera = {
        "R": np.round(R, 6).tolist(),
        "T": np.round(T, 6).tolist(),
        "f": f.round(3).tolist(),
        "c": cxy.tolist(),
        "w": SIZE,
        "h": SIZE,
    }
    return {"camera": camera, "keypoints_3d": kpts3d, "keypoints_2d": kpts2d}


def make_pose3d(
    out_dir: str, seed: int, num_train: int, num_val: int, frames: int = 50
) -> list[str]:
    """Write 3D keypoint sequences with cameras; ``num_*`` count sequences."""
    written = []
    for split, count in (("train", num_train), ("val", num_val)):
        sequences = []
        for index in range(count):
            seq = _pose3d_sequence(rng_for(seed, "pose3d", split, index), frames)
            sequences.append({"name": f"{split}_{index + 1:03d}", **seq})
        path = os.path.join(out_dir, "annotations", f"{split}.json")
        write_json(
            path,
            {
                "keypoint_names": list(KEYPOINT_NAMES),
                "skeleton": [list(e) for e in SKELETON],
                "flip_indices": list(FLIP_INDICES),
                "fps": 25,
                "projection": "X_cam = R @ (X_world - T); uv = f * X_cam[:2] / X_cam[2] + c",
                "sequences": sequences,
            },
        )
        written.append(path)
    _write_dataset_info(out_dir)
    return written
