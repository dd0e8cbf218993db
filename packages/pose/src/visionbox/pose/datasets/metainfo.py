"""Dataset-info files (mmpose's ``dataset_info`` dicts) -> the metainfo that pose datasets,
models, metrics and visualizers read.

A ``dataset_info`` has ``dataset_name``, ``keypoint_info`` ({id: name, id, color, type, swap}),
``skeleton_info`` ({id: link, id, color}), ``joint_weights`` and ``sigmas``. The parsed metainfo
has ``num_keypoints``, ``keypoint_id2name``, ``keypoint_name2id``, ``upper_body_ids``,
``lower_body_ids``, ``flip_indices``, ``flip_pairs``, ``keypoint_colors``, ``skeleton_links``,
``skeleton_link_colors``, ``dataset_keypoint_weights`` and ``sigmas`` (NumPy arrays where mmpose
has them).
"""

from __future__ import annotations

import os
import os.path as osp

import numpy as np
from mmengine.config import Config

__all__ = ["parse_pose_metainfo", "resolve_dataset_info_path"]

_PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


def resolve_dataset_info_path(path: str) -> str:
    """Find a dataset-info file: as given, or relative to the package (``configs/_base_/...``).

    Raises:
        FileNotFoundError: naming every place looked at.
    """
    candidates = [path, osp.join(_PACKAGE_DIR, path)]
    if path.startswith("pose::"):
        candidates.insert(0, osp.join(_PACKAGE_DIR, "configs", path[len("pose::") :]))
    for candidate in candidates:
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(f"Dataset info file not found: {path!r} (looked at {candidates}).")


def parse_pose_metainfo(metainfo: dict) -> dict:
    """Parse a dataset_info dict (or ``dict(from_file=path)``) into the pose metainfo.

    Raises:
        KeyError: when a required key is missing, naming it.
        ValueError: when a ``swap`` names an unknown keypoint.
    """
    if "from_file" in metainfo:
        path = resolve_dataset_info_path(os.fspath(metainfo["from_file"]))
        cfg = Config.fromfile(path)
        if "dataset_info" not in cfg:
            raise KeyError(f"{path} defines no 'dataset_info'.")
        metainfo = dict(cfg.dataset_info)
    if (
        "num_keypoints" in metainfo
        and "flip_indices" in metainfo
        and "keypoint_info" not in metainfo
    ):
        return metainfo  # already parsed
    for key in ("dataset_name", "keypoint_info", "skeleton_info", "joint_weights", "sigmas"):
        if key not in metainfo:
            raise KeyError(
                f"The dataset info has no {key!r}; it needs keypoint_info, "
                "skeleton_info, joint_weights, sigmas and dataset_name."
            )
    info = metainfo["keypoint_info"]
    ids = sorted(int(k) for k in info)
    entries = [info[i] if i in info else info[str(i)] for i in ids]
    names = [e["name"] for e in entries]
    name2id = {name: i for i, name in enumerate(names)}
    flip_indices = []
    for i, e in enumerate(entries):
        swap = e.get("swap", "")
        if swap and swap not in name2id:
            raise ValueError(f"Keypoint {e['name']!r} swaps with unknown keypoint {swap!r}.")
        flip_indices.append(name2id[swap] if swap else i)
    flip_pairs = [[i, j] for i, j in enumerate(flip_indices) if i < j]
    links, link_colors = [], []
    skeleton = metainfo["skeleton_info"]
    for key in sorted(skeleton, key=int):
        a, b = skeleton[key]["link"]
        links.append((name2id[a], name2id[b]))
        link_colors.append(skeleton[key].get("color", [255, 255, 255]))
    parsed = dict(
        dataset_name=metainfo["dataset_name"],
        num_keypoints=len(names),
        keypoint_id2name=dict(enumerate(names)),
        keypoint_name2id=name2id,
        upper_body_ids=[i for i, e in enumerate(entries) if e.get("type") == "upper"],
        lower_body_ids=[i for i, e in enumerate(entries) if e.get("type") == "lower"],
        flip_indices=flip_indices,
        flip_pairs=flip_pairs,
        keypoint_colors=np.array([e.get("color", [255, 128, 0]) for e in entries], np.uint8),
        num_skeleton_links=len(links),
        skeleton_links=links,
        skeleton_link_colors=np.array(link_colors, np.uint8),
        dataset_keypoint_weights=np.array(metainfo["joint_weights"], np.float32),
        sigmas=np.array(metainfo["sigmas"], np.float32),
    )
    # Sets scored without OKS (Human3.6M) have no sigmas, as in mmpose; others need one each.
    if len(parsed["sigmas"]) not in (0, len(names)):
        raise ValueError(f"{len(parsed['sigmas'])} sigmas for {len(names)} keypoints.")
    return parsed
