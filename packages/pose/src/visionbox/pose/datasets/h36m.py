"""``Human36mDataset``: 2D-to-3D lifting samples in the Human3.6M layout (Ionescu et al.,
"Human3.6M", TPAMI 2014), read from sequences of 2D and 3D keypoints with cameras.

Two annotation formats are read:

* VisionBox Shapes pose3d json (``make_shapes('pose3d', ...)``): ``sequences`` of
  ``keypoints_3d`` (T, K, 3) in the world frame, ``keypoints_2d`` (T, K, 2) in pixels and a
  ``camera`` (``R``, ``T``, ``f``, ``c``, ``w``, ``h``; ``X_cam = R @ (X_world - T)``);
* mmpose's Human3.6M ``.npz`` (``imgname``, ``part`` (N, K, 3) 2D keypoints with visibility,
  ``S`` (N, K, 4) camera-frame 3D keypoints with visibility), grouped into sequences by the
  image name before its frame number.

A sample is a window of ``seq_len`` frames around (``causal=False``) or ending at
(``causal=True``) its target frame: ``keypoints`` (T, K, 2), ``keypoints_visible`` (T, K),
``lifting_target`` (K, 3) in the camera frame, ``lifting_target_visible`` (K,),
``camera_param``; windows at the sequence ends repeat the edge frames (``pad_video_seq``).
"""

from __future__ import annotations

import copy
import os.path as osp
import re
from collections.abc import Callable, Sequence

import numpy as np
from mmengine.fileio import load

from visionbox.core.datasets import BaseVisionDataset
from visionbox.core.datasets.readers import AnnotationError

from ..registry import DATASETS
from .metainfo import parse_pose_metainfo

__all__ = ["Human36mDataset"]

_FRAME = re.compile(r"^(.*?)[_.]?(\d+)(\.\w+)?$")


@DATASETS.register_module()
class Human36mDataset(BaseVisionDataset):
    """Sequences of 2D keypoints with the 3D pose of a target frame.

    Args:
        ann_file: Shapes pose3d json or mmpose Human3.6M npz, relative to ``data_root``.
        seq_len: Frames per sample (the receptive field of the lifting model).
        seq_step: Step between the frames of a window.
        multiple_target: Not supported (must be 0).
        multiple_target_step: Not supported (must be 0).
        pad_video_seq: Repeat the edge frames so that every frame is a target.
        causal: Windows end at the target frame instead of being centred on it.
        subset_frac: Keep this fraction of the targets (evenly spaced).
        keypoint_2d_src: ``'gt'`` (the only source implemented).
        keypoint_2d_det_file: Not supported (must be None).
        factor_file: Not supported (must be None).
        camera_param_file: Not supported (cameras come with the annotations; must be None).
        data_mode: ``'topdown'``.
        metainfo: ``dict(from_file=<dataset_info.py>)`` or a dataset_info dict.
        data_root: Root of ``ann_file``.
        data_prefix: ``dict(img=...)`` (kept for configs).
        filter_cfg: Unused.
        indices: Keep only these samples.
        serialize_data: Keep the data list as one buffer.
        pipeline: Transforms.
        test_mode: Testing.
        lazy_init: Defer loading.
        max_refetch: Samples to try when the pipeline returns None.
    """

    METAINFO: dict = dict()

    def __init__(
        self,
        ann_file: str = "",
        seq_len: int = 1,
        seq_step: int = 1,
        multiple_target: int = 0,
        multiple_target_step: int = 0,
        pad_video_seq: bool = False,
        causal: bool = True,
        subset_frac: float = 1.0,
        keypoint_2d_src: str = "gt",
        keypoint_2d_det_file: str | None = None,
        factor_file: str | None = None,
        camera_param_file: str | None = None,
        data_mode: str = "topdown",
        metainfo: dict | None = None,
        data_root: str | None = "",
        data_prefix: dict | None = None,
        filter_cfg: dict | None = None,
        indices: int | Sequence[int] | None = None,
        serialize_data: bool = True,
        pipeline: Sequence[dict | Callable] = (),
        test_mode: bool = False,
        lazy_init: bool = False,
        max_refetch: int = 1000,
    ) -> None:
        unsupported = dict(
            multiple_target=multiple_target, multiple_target_step=multiple_target_step,
            keypoint_2d_det_file=keypoint_2d_det_file, factor_file=factor_file,
            camera_param_file=camera_param_file,
        )  # fmt: skip
        for key, value in unsupported.items():
            if value:
                raise ValueError(f"Human36mDataset does not support {key}={value!r}.")
        if keypoint_2d_src != "gt":
            raise ValueError(f"keypoint_2d_src must be 'gt'; got {keypoint_2d_src!r}.")
        if data_mode != "topdown":
            raise ValueError("Human36mDataset has data_mode='topdown' only.")
        if seq_len < 1 or seq_step < 1 or not 0 < subset_frac <= 1:
            raise ValueError("seq_len and seq_step must be >= 1 and subset_frac in (0, 1].")
        self.seq_len = seq_len
        self.seq_step = seq_step
        self.pad_video_seq = pad_video_seq
        self.causal = causal
        self.subset_frac = subset_frac
        self.data_mode = data_mode
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=dict(img="") if data_prefix is None else dict(data_prefix),
            filter_cfg=filter_cfg,
            indices=indices,
            serialize_data=serialize_data,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch,
        )

    @classmethod
    def _load_metainfo(cls, metainfo: dict | None = None) -> dict:
        metainfo = copy.deepcopy(cls.METAINFO) if metainfo is None else metainfo
        return parse_pose_metainfo(dict(metainfo)) if metainfo else {}

    # Reading ----------------------------------------------------------------------------------

    def _sequences(self) -> list[dict]:
        """Sequences as dicts of ``kpts2d`` (T, K, 2), ``vis2d`` (T, K), ``kpts3d`` (T, K, 3) in
        the camera frame, ``vis3d`` (T, K), ``camera`` and ``name``."""
        if self.ann_file.endswith(".npz"):
            return self._npz_sequences()
        ann = load(self.ann_file)
        if not isinstance(ann, dict) or "sequences" not in ann:
            raise AnnotationError(self.ann_file, None, "expected a json with 'sequences'")
        sequences = []
        for seq in ann["sequences"]:
            cam = seq["camera"]
            world = np.asarray(seq["keypoints_3d"], np.float32)
            rot, centre = np.asarray(cam["R"], np.float32), np.asarray(cam["T"], np.float32)
            kpts2d = np.asarray(seq["keypoints_2d"], np.float32)
            sequences.append(
                dict(
                    name=seq["name"],
                    kpts2d=kpts2d,
                    vis2d=np.ones(kpts2d.shape[:2], np.float32),
                    kpts3d=((world - centre) @ rot.T).astype(np.float32),
                    vis3d=np.ones(world.shape[:2], np.float32),
                    camera=dict(cam),
                )
            )
        return sequences

    def _npz_sequences(self) -> list[dict]:
        data = np.load(self.ann_file)
        for key in ("imgname", "part", "S"):
            if key not in data:
                raise AnnotationError(self.ann_file, None, f"the npz has no {key!r}")
        groups: dict[str, list[int]] = {}
        for i, name in enumerate(data["imgname"]):
            match = _FRAME.match(osp.splitext(osp.basename(str(name)))[0])
            groups.setdefault(match.group(1) if match else str(name), []).append(i)
        sequences = []
        for name, index in groups.items():
            part, s = data["part"][index], data["S"][index]
            sequences.append(
                dict(
                    name=name,
                    kpts2d=part[..., :2].astype(np.float32),
                    vis2d=part[..., 2].astype(np.float32),
                    kpts3d=s[..., :3].astype(np.float32),
                    vis3d=s[..., 3].astype(np.float32),
                    camera=dict(w=1000, h=1002),
                )
            )
        return sequences

    def _window(self, t: int, length: int) -> np.ndarray | None:
        span = (self.seq_len - 1) * self.seq_step
        start = t - span if self.causal else t - span // 2
        frames = start + np.arange(self.seq_len) * self.seq_step
        if not self.pad_video_seq and (frames[0] < 0 or frames[-1] >= length):
            return None
        return np.clip(frames, 0, length - 1)

    def load_data_list(self) -> list[dict]:
        if not self.ann_file or not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f"Human36mDataset: annotation file not found: {self.ann_file!r}"
            )
        data_list = []
        for seq in self._sequences():
            length = len(seq["kpts2d"])
            targets = np.arange(length)
            if self.subset_frac < 1:
                keep = max(1, int(round(length * self.subset_frac)))
                targets = targets[np.linspace(0, length - 1, keep).astype(int)]
            for t in targets:
                frames = self._window(int(t), length)
                if frames is None:
                    continue
                data_list.append(
                    dict(
                        id=len(data_list),
                        img_id=len(data_list),
                        sequence=seq["name"],
                        target_idx=int(t),
                        frame_ids=frames.tolist(),
                        keypoints=seq["kpts2d"][frames],
                        keypoints_visible=seq["vis2d"][frames],
                        lifting_target=seq["kpts3d"][t],
                        lifting_target_visible=seq["vis3d"][t],
                        camera_param=copy.deepcopy(seq["camera"]),
                        target_img_path=f"{seq['name']}/{int(t):06d}",
                        category_id=1,
                    )
                )
        return data_list

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        for key in ("flip_indices", "dataset_name", "skeleton_links"):
            if key in self._metainfo:
                info[key] = copy.deepcopy(self._metainfo[key])
        return info
