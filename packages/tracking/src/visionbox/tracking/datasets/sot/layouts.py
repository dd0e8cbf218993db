"""SOT benchmark layouts: LaSOT, GOT-10k, TrackingNet, OTB and VisionBox Shapes SOT.

=============  ==============================================================================
dataset        layout under ``data_prefix.img_path``
=============  ==============================================================================
LaSOT          ``<class>/<class>-<k>/img/00000001.jpg``, ``groundtruth.txt``,
               ``full_occlusion.txt``, ``out_of_view.txt`` (absent frames)
GOT-10k        ``<seq>/00000001.jpg``, ``groundtruth.txt``, ``absence.label``; ``list.txt``
TrackingNet    ``TRAIN_<k>/anno/<seq>.txt`` and ``TRAIN_<k>/frames/<seq>/0.jpg`` (or ``TEST``);
               sequence names are ``<chunk>/<seq>``
OTB            ``<seq>/img/0001.jpg`` and ``groundtruth_rect.txt``
Shapes SOT     GOT-10k's (``tools/make_shapes.py --task sot``)
=============  ==============================================================================
"""

from __future__ import annotations

import os
import re

import numpy as np

from visionbox.core.datasets import read_sot_groundtruth
from visionbox.tracking.registry import DATASETS

from .base_sot_dataset import BaseSOTDataset, list_images, read_flags, read_sequence_list

__all__ = ["GOT10kDataset", "LaSOTDataset", "OTBDataset", "ShapesSOTDataset", "TrackingNetDataset"]


def _load(frames_dir: str, gt_file: str, absent_files: tuple[str, ...] = ()) -> tuple:
    paths = list_images(frames_dir)
    boxes = read_sot_groundtruth(gt_file)
    absent = np.zeros(len(paths), bool)
    for flag_file in absent_files:
        absent |= read_flags(flag_file, len(paths))
    return paths, boxes, absent


@DATASETS.register_module()
class LaSOTDataset(BaseSOTDataset):
    """LaSOT (Fan et al. 2019): ``<class>/<name>/img`` with ``groundtruth.txt``; frames that are
    fully occluded or out of view are absent. ``ann_file`` may be LaSOT's ``testing_set.txt``
    (one name a line) or mmtracking's ``lasot_test_infos.txt`` (``video_path,ann_path,...``)."""

    def list_sequences(self) -> list[str]:
        if not self.ann_file:
            return self.find_sequences()
        names = []
        for entry in read_sequence_list(self.ann_file):
            if entry == "video_path":
                continue
            parts = [p for p in entry.split("/") if re.fullmatch(r".+-\d+", p)]
            names.append(parts[-1] if parts else entry)
        return names

    def find_sequences(self) -> list[str]:
        root = self.seq_root
        if not os.path.isdir(root):
            raise FileNotFoundError(f"LaSOTDataset: sequence folder not found: {root!r}")
        names = []
        for cls in sorted(os.listdir(root)):
            cls_dir = os.path.join(root, cls)
            if os.path.isdir(cls_dir):
                names += sorted(
                    n
                    for n in os.listdir(cls_dir)
                    if os.path.isfile(os.path.join(cls_dir, n, "groundtruth.txt"))
                )
        return names

    def load_sequence(self, name: str) -> tuple:
        seq = os.path.join(self.seq_root, name.rsplit("-", 1)[0], name)
        return _load(
            os.path.join(seq, "img"),
            os.path.join(seq, "groundtruth.txt"),
            (os.path.join(seq, "full_occlusion.txt"), os.path.join(seq, "out_of_view.txt")),
        )


@DATASETS.register_module()
class GOT10kDataset(BaseSOTDataset):
    """GOT-10k (Huang et al. 2019): ``<seq>/*.jpg`` with ``groundtruth.txt`` and
    ``absence.label``; ``ann_file`` may be the split's ``list.txt`` (found in the sequence folder
    when not given). Test sequences hold only the first frame's box."""

    def find_sequences(self) -> list[str]:
        listed = os.path.join(self.seq_root, "list.txt")
        if os.path.isfile(listed):
            return read_sequence_list(listed)
        return super().find_sequences()

    def load_sequence(self, name: str) -> tuple:
        seq = os.path.join(self.seq_root, name)
        return _load(
            seq, os.path.join(seq, "groundtruth.txt"), (os.path.join(seq, "absence.label"),)
        )


@DATASETS.register_module()
class TrackingNetDataset(BaseSOTDataset):
    """TrackingNet (Müller et al. 2018): chunk folders ``TRAIN_<k>`` / ``TEST`` with
    ``anno/<seq>.txt`` and ``frames/<seq>/<i>.jpg`` (from 0). Sequences are ``<chunk>/<seq>``."""

    def find_sequences(self) -> list[str]:
        root = self.seq_root
        if not os.path.isdir(root):
            raise FileNotFoundError(f"TrackingNetDataset: sequence folder not found: {root!r}")
        names = []
        for chunk in sorted(os.listdir(root)):
            anno = os.path.join(root, chunk, "anno")
            if os.path.isdir(anno):
                names += [
                    f"{chunk}/{os.path.splitext(n)[0]}"
                    for n in sorted(os.listdir(anno))
                    if n.endswith(".txt")
                ]
        return names

    def load_sequence(self, name: str) -> tuple:
        chunk, seq = name.split("/", 1)
        base = os.path.join(self.seq_root, chunk)
        return _load(os.path.join(base, "frames", seq), os.path.join(base, "anno", f"{seq}.txt"))


@DATASETS.register_module()
class OTBDataset(BaseSOTDataset):
    """OTB-100 (Wu et al. 2015): ``<seq>/img/*.jpg`` with ``groundtruth_rect.txt`` (commas,
    tabs or spaces). The frames are matched to the boxes from the first image on."""

    def find_sequences(self) -> list[str]:
        root = self.seq_root
        if not os.path.isdir(root):
            raise FileNotFoundError(f"OTBDataset: sequence folder not found: {root!r}")
        return sorted(
            n
            for n in os.listdir(root)
            if os.path.isfile(os.path.join(root, n, "groundtruth_rect.txt"))
        )

    def load_sequence(self, name: str) -> tuple:
        seq = os.path.join(self.seq_root, name)
        paths, boxes, absent = _load(
            os.path.join(seq, "img"), os.path.join(seq, "groundtruth_rect.txt")
        )
        return paths[: len(boxes)], boxes, absent[: len(boxes)]


@DATASETS.register_module()
class ShapesSOTDataset(GOT10kDataset):
    """VisionBox Shapes SOT (GOT-10k layout: ``<split>/list.txt``, ``<split>/<seq>/*.jpg``,
    ``groundtruth.txt``), made by ``make_shapes('sot', ...)``."""

    METAINFO: dict = dict(classes=("shape",))
