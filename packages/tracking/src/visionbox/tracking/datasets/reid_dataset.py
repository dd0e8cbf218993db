"""Re-identification data cut from MOTChallenge ground truth.

:func:`cut_reid_crops` writes one image per (sampled) ground-truth box of MOTChallenge
sequences and an annotation file of ``<relative path> <identity label>`` lines (mmdetection's
ReID format); :class:`ReIDDataset` reads it, optionally sampling triplet batches (``num_ids``
identities x ``ins_per_id`` crops per item).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import cv2
import numpy as np
import torch

from visionbox.core.datasets import BaseVisionDataset, read_mot_txt, read_seqinfo
from visionbox.core.datasets.readers import AnnotationError
from visionbox.core.structures import BaseDataSample
from visionbox.tracking.registry import DATASETS, TRANSFORMS

__all__ = ["PackReIDInputs", "ReIDDataset", "cut_reid_crops"]


def cut_reid_crops(
    seq_dirs: Sequence[str],
    out_dir: str,
    min_visibility: float = 0.3,
    sample_interval: int = 1,
    max_per_id: int | None = None,
    img_scale: tuple[int, int] = (128, 64),
    ann_name: str = "reid.txt",
) -> str:
    """Cut ground-truth boxes of MOTChallenge sequences into ReID crops.

    Args:
        seq_dirs: Sequence folders (``seqinfo.ini``, ``gt/gt.txt``, frames).
        out_dir: Output folder: ``imgs/<seq>_<id>_<frame>.jpg`` and the annotation file.
        min_visibility: Boxes less visible are skipped.
        sample_interval: Keep every n-th frame of a track.
        max_per_id: Keep at most this many crops per identity.
        img_scale: Crop size (height, width).
        ann_name: Annotation file name.

    Returns:
        The annotation file path; labels are 0..K-1 over (sequence, track id).
    """
    os.makedirs(os.path.join(out_dir, "imgs"), exist_ok=True)
    lines, label_of = [], {}
    for seq_dir in seq_dirs:
        info = read_seqinfo(os.path.join(seq_dir, "seqinfo.ini"))
        rows = read_mot_txt(os.path.join(seq_dir, "gt", "gt.txt"))
        if rows.shape[1] > 8:
            rows = rows[rows[:, 8] >= min_visibility]
        rows = rows[rows[:, 6] != 0] if rows.shape[1] > 6 else rows
        seq = os.path.basename(os.path.normpath(seq_dir))
        counts: dict[int, int] = defaultdict(int)
        for frame in np.unique(rows[:, 0]).astype(int):
            img_path = os.path.join(
                seq_dir, info.get("imDir", "img1"), f"{frame:06d}{info.get('imExt', '.jpg')}"
            )
            img = cv2.imread(img_path)
            if img is None:
                raise FileNotFoundError(f"frame not found or unreadable: {img_path!r}")
            for _, tid, x, y, w, h in rows[rows[:, 0] == frame][:, :6]:
                tid = int(tid)
                n = counts[tid]
                counts[tid] += 1
                if n % sample_interval or (
                    max_per_id is not None and n // sample_interval >= max_per_id
                ):
                    continue
                x1, y1 = max(int(x), 0), max(int(y), 0)
                x2, y2 = min(int(x + w), img.shape[1]), min(int(y + h), img.shape[0])
                if x2 - x1 < 2 or y2 - y1 < 2:
                    continue
                crop = cv2.resize(img[y1:y2, x1:x2], (img_scale[1], img_scale[0]))
                name = f"imgs/{seq}_{tid:06d}_{frame:06d}.jpg"
                cv2.imwrite(os.path.join(out_dir, name), crop)
                label = label_of.setdefault((seq, tid), len(label_of))
                lines.append(f"{name} {label}\n")
    ann_file = os.path.join(out_dir, ann_name)
    with open(ann_file, "w", encoding="utf-8") as f:
        f.writelines(lines)
    return ann_file


@DATASETS.register_module()
class ReIDDataset(BaseVisionDataset):
    """ReID crops listed as ``<path> <label>`` lines.

    Args:
        triplet_sampler: ``dict(num_ids=8, ins_per_id=4)``: each item is ``num_ids`` identities
            (its own first) with ``ins_per_id`` crops each, as one (K, C, H, W) input; ``None``:
            one crop per item.
        ann_file, metainfo, data_root, data_prefix, filter_cfg, indices, serialize_data,
        pipeline, test_mode, lazy_init, max_refetch, backend_args: As in
            :class:`~visionbox.core.datasets.BaseVisionDataset`.
    """

    def __init__(
        self,
        triplet_sampler: dict | None = None,
        ann_file: str | None = "",
        metainfo: Mapping | None = None,
        data_root: str | None = "",
        data_prefix: dict | None = None,
        filter_cfg: dict | None = None,
        indices: int | Sequence[int] | None = None,
        serialize_data: bool = True,
        pipeline: Sequence[dict | Callable] = (),
        test_mode: bool = False,
        lazy_init: bool = False,
        max_refetch: int = 1000,
        backend_args: dict | None = None,
    ) -> None:
        if triplet_sampler is not None and set(triplet_sampler) != {"num_ids", "ins_per_id"}:
            raise KeyError(
                f"triplet_sampler needs exactly num_ids and ins_per_id, got {triplet_sampler}"
            )
        self.triplet_sampler = triplet_sampler
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            filter_cfg=filter_cfg,
            indices=indices,
            serialize_data=serialize_data,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch,
            backend_args=backend_args,
        )

    def load_raw_list(self) -> list[Any]:
        with open(self.ann_file, encoding="utf-8") as f:
            return [line.split() for line in f if line.strip()]

    def parse_data_info(self, raw: Any) -> dict:
        if len(raw) != 2:
            raise AnnotationError(self.ann_file, " ".join(raw), "expected '<path> <label>'")
        prefix = self.data_prefix.get("img_path", "") or self.data_root
        return dict(img_path=os.path.join(prefix, raw[0]), gt_label=int(raw[1]))

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        super().full_init()
        by_label: dict[int, list[int]] = defaultdict(list)
        for idx in range(len(self)):
            by_label[self.get_data_info(idx)["gt_label"]].append(idx)
        self.index_dic = {k: np.array(v) for k, v in by_label.items()}
        self.pids = np.array(sorted(self.index_dic))

    def triplet_sampling(self, label: int, num_ids: int, ins_per_id: int) -> list[int]:
        """Indices of ``ins_per_id`` crops of ``label`` and of ``num_ids - 1`` other identities."""
        others = self.pids[self.pids != label]
        chosen = [label] + list(
            np.random.choice(others, min(num_ids - 1, len(others)), replace=False)
        )
        out = []
        for pid in chosen:
            pool = self.index_dic[pid]
            out.extend(np.random.choice(pool, ins_per_id, replace=len(pool) < ins_per_id).tolist())
        return out

    def prepare_data(self, idx: int) -> Any:
        info = self.get_data_info(idx)
        if self.triplet_sampler is None:
            return self.pipeline(info)
        items = [
            self.pipeline(self.get_data_info(i))
            for i in self.triplet_sampling(info["gt_label"], **self.triplet_sampler)
        ]
        sample = BaseDataSample()
        sample.set_field(torch.cat([it["data_samples"].gt_label for it in items]), "gt_label")
        return dict(inputs=torch.stack([it["inputs"] for it in items]), data_samples=sample)


@TRANSFORMS.register_module()
class PackReIDInputs:
    """Pack a crop: ``inputs`` (C, H, W) uint8 tensor and a data sample with ``gt_label`` (1,).

    Args:
        meta_keys: Keys copied into the sample's metainfo when present.
    """

    def __init__(
        self, meta_keys: Sequence[str] = ("img_path", "ori_shape", "img_shape", "scale")
    ) -> None:
        self.meta_keys = tuple(meta_keys)

    def __call__(self, results: dict) -> dict:
        img = np.ascontiguousarray(results["img"])
        img = img[..., None] if img.ndim == 2 else img
        sample = BaseDataSample(metainfo={k: results[k] for k in self.meta_keys if k in results})
        sample.set_field(torch.tensor([int(results.get("gt_label", -1))]), "gt_label")
        return dict(inputs=torch.from_numpy(img).permute(2, 0, 1).contiguous(), data_samples=sample)
