"""SOT benchmark layouts: LaSOT, GOT-10k, TrackingNet, OTB and VisionBox Shapes SOT.

=============  ==============================================================================
dataset        layout under ``data_prefix.img_path``
=============  ==============================================================================
LaSOT          ``<class>/<class>-<k>/img/00000001.jpg``, ``groundtruth.txt``,
               ``full_occlusion.txt``, ``out_of_view.txt`` (absent frames)
GOT-10k        ``<seq>/00000001.jpg``, ``groundtruth.txt``, ``absence.label`` and
               ``cover.label`` (absent, or cover 0: fully occluded); ``list.txt``
TrackingNet    ``TRAIN_<k>/anno/<seq>.txt`` and ``TRAIN_<k>/frames/<seq>/0.jpg`` (or ``TEST``);
               sequence names are ``<chunk>/<seq>``
OTB            ``<seq>/img/0001.jpg`` and ``groundtruth_rect.txt``
Shapes SOT     GOT-10k's (``tools/make_shapes.py --task sot``)
=============  ==============================================================================

Every layout also reads mmtracking's infos files as ``ann_file`` (see
:mod:`.base_sot_dataset`), e.g. ``lasot_test_infos.txt`` or ``otb100_infos.txt``.
"""

from __future__ import annotations

import os

import numpy as np

from visionbox.tracking.registry import DATASETS

from .base_sot_dataset import BaseSOTDataset, read_flags, read_sequence_list, read_values

__all__ = ["GOT10kDataset", "LaSOTDataset", "OTBDataset", "ShapesSOTDataset", "TrackingNetDataset"]


def _offset(entry: dict) -> int:
    """Index of the entry's first frame in per-frame files that start at frame 1."""
    return max(entry.get("start_frame_id") or 1, 1) - 1


@DATASETS.register_module()
class LaSOTDataset(BaseSOTDataset):
    """LaSOT (Fan et al. 2019): ``<class>/<name>/img`` with ``groundtruth.txt``; frames that are
    fully occluded or out of view are absent. ``ann_file`` may be LaSOT's ``testing_set.txt``
    (one name a line) or mmtracking's ``lasot_test_infos.txt``."""

    FRAMENAME_TEMPLATE = "%08d.jpg"

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

    def sequence_entry(self, name: str) -> dict:
        seq = f"{name.rsplit('-', 1)[0]}/{name}"
        return dict(video_path=f"{seq}/img", ann_path=f"{seq}/groundtruth.txt")

    def absent_flags(self, entry: dict, length: int) -> np.ndarray:
        seq = os.path.join(self.seq_root, os.path.dirname(entry["video_path"].rstrip("/")))
        offset = _offset(entry)
        return read_flags(os.path.join(seq, "full_occlusion.txt"), length, offset) | read_flags(
            os.path.join(seq, "out_of_view.txt"), length, offset
        )


@DATASETS.register_module()
class GOT10kDataset(BaseSOTDataset):
    """GOT-10k (Huang et al. 2019): ``<seq>/*.jpg`` with ``groundtruth.txt``, ``absence.label``
    and ``cover.label``; a frame is visible when it is not absent and its cover is > 0 (as in
    mmtracking). ``ann_file`` may be the split's ``list.txt`` (found in the sequence folder when
    not given) or mmtracking's ``got10k_<split>_infos.txt``. Test sequences hold only the first
    frame's box."""

    FRAMENAME_TEMPLATE = "%08d.jpg"

    def find_sequences(self) -> list[str]:
        listed = os.path.join(self.seq_root, "list.txt")
        if os.path.isfile(listed):
            return read_sequence_list(listed)
        return super().find_sequences()

    def sequence_entry(self, name: str) -> dict:
        return dict(video_path=name, ann_path=f"{name}/groundtruth.txt")

    def absent_flags(self, entry: dict, length: int) -> np.ndarray:
        seq = os.path.join(self.seq_root, entry["video_path"])
        offset = _offset(entry)
        absent = read_flags(os.path.join(seq, "absence.label"), length, offset)
        cover = read_values(os.path.join(seq, "cover.label"))
        if cover is not None:
            cover = cover[offset : offset + length]
            covered = np.zeros(length, bool)
            covered[: len(cover)] = cover <= 0  # cover 0: the target is fully occluded
            absent |= covered
        return absent


@DATASETS.register_module()
class TrackingNetDataset(BaseSOTDataset):
    """TrackingNet (Müller et al. 2018): chunk folders ``TRAIN_<k>`` / ``TEST`` with
    ``anno/<seq>.txt`` and ``frames/<seq>/<i>.jpg`` (from 0). Sequences are ``<chunk>/<seq>``;
    ``ann_file`` may be mmtracking's ``trackingnet_<split>_infos.txt``."""

    FRAMENAME_TEMPLATE = "%d.jpg"

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

    def sequence_entry(self, name: str) -> dict:
        if "/" not in name:
            raise ValueError(
                f"TrackingNetDataset: sequence names are '<chunk>/<seq>', got {name!r}"
            )
        chunk, seq = name.split("/", 1)
        return dict(video_path=f"{chunk}/frames/{seq}", ann_path=f"{chunk}/anno/{seq}.txt")

    def entry_name(self, video_path: str) -> str:
        parts = [p for p in video_path.strip("/").split("/") if p and p != "frames"]
        return "/".join(parts[:1] + parts[-1:]) if len(parts) > 1 else video_path


@DATASETS.register_module()
class OTBDataset(BaseSOTDataset):
    """OTB-100 (Wu et al. 2015): ``<seq>/img/*.jpg`` with ``groundtruth_rect.txt`` (commas,
    tabs or spaces). Five sequences do not start at their first image (BlurCar1 247-988,
    BlurCar3 3-359, BlurCar4 18-397, David 300-770, Tiger1 6-354): read them with mmtracking's
    ``otb100_infos.txt`` as ``ann_file``; without it a sequence whose image and box counts
    differ is refused. ``Board`` names its frames ``%05d.jpg``; Tiger1's first 5 boxes belong to
    the frames skipped at initialisation (``init_skip_num``, as in mmtracking)."""

    FRAMENAME_TEMPLATE = "%04d.jpg"
    INIT_SKIP_NUM = {"Tiger1": 5}

    def find_sequences(self) -> list[str]:
        root = self.seq_root
        if not os.path.isdir(root):
            raise FileNotFoundError(f"OTBDataset: sequence folder not found: {root!r}")
        return sorted(
            n
            for n in os.listdir(root)
            if os.path.isfile(os.path.join(root, n, "groundtruth_rect.txt"))
        )

    def sequence_entry(self, name: str) -> dict:
        return dict(video_path=f"{name}/img", ann_path=f"{name}/groundtruth_rect.txt")

    def adjust_entry(self, entry: dict) -> dict:
        if entry["name"] == "Board":
            entry["framename_template"] = "%05d.jpg"
        if entry.get("start_frame_id") is not None and entry["name"] in self.INIT_SKIP_NUM:
            entry["init_skip_num"] = self.INIT_SKIP_NUM[entry["name"]]
        return entry


@DATASETS.register_module()
class ShapesSOTDataset(GOT10kDataset):
    """VisionBox Shapes SOT (GOT-10k layout: ``<split>/list.txt``, ``<split>/<seq>/*.jpg``,
    ``groundtruth.txt``), made by ``make_shapes('sot', ...)``."""

    METAINFO: dict = dict(classes=("shape",))
