"""``PackTrackInputs``: one frame -> ``inputs`` (1, C, H, W) and a ``TrackDataSample``."""

from __future__ import annotations

from collections.abc import Sequence

from visionbox.core.datasets.transforms import BaseTransform, PackInputs
from visionbox.tracking.registry import TRANSFORMS
from visionbox.tracking.structures import FrameDataSample, TrackDataSample

__all__ = ["PackTrackInputs"]

_META_KEYS = (
    "img_id",
    "img_path",
    "ori_shape",
    "img_shape",
    "scale_factor",
    "flip",
    "flip_direction",
    "frame_id",
    "ori_frame_id",
    "video_id",
    "video_name",
    "video_length",
    "ori_video_length",
)


@TRANSFORMS.register_module()
class PackTrackInputs(BaseTransform):
    """Pack a frame as a clip of one: ``inputs`` (1, C, H, W) and a ``TrackDataSample`` whose
    ``video_data_samples[0]`` carries ``gt_instances`` (``bboxes``, ``labels``,
    ``instances_id``), ``ignored_instances`` and the metainfo.

    Args:
        meta_keys: Keys copied into the frame's metainfo when present.
    """

    def __init__(self, meta_keys: Sequence[str] = _META_KEYS) -> None:
        self.meta_keys = tuple(meta_keys)
        self._pack = PackInputs(meta_keys=self.meta_keys)

    def transform(self, results: dict) -> dict:
        packed = self._pack.transform(results)
        frame = FrameDataSample(metainfo=packed["data_samples"].metainfo)
        for key in ("gt_instances", "ignored_instances"):
            if key in packed["data_samples"]:
                setattr(frame, key, getattr(packed["data_samples"], key))
        sample = TrackDataSample()
        sample.video_data_samples = [frame]
        sample.set_metainfo(dict(key_frames_inds=[0], ref_frames_inds=[]))
        out = dict(data_samples=sample)
        if "inputs" in packed:
            out["inputs"] = packed["inputs"][None]
        return out
