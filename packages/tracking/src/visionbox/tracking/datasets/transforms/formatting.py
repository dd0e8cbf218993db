"""``PackTrackInputs``: one frame -> ``inputs`` (1, C, H, W) and a ``TrackDataSample``; a list
of frames (an SOT template/search pair) -> ``inputs`` (T, C, H, W) and a clip of T frames."""

from __future__ import annotations

from collections.abc import Sequence

from visionbox.core.datasets.transforms import BaseTransform, PackInputs
from visionbox.tracking.registry import TRANSFORMS
from visionbox.tracking.structures import FrameDataSample, TrackDataSample

from .sot_formatting import pack_frame_list

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

    Given a list of frame dicts (an SOT pair from ``PairSampling`` and the ``Seq*`` transforms,
    template first), it packs them all with
    :func:`~visionbox.tracking.datasets.transforms.sot_formatting.pack_frame_list`:
    ``inputs`` (T, C, H, W) and one ``FrameDataSample`` per frame, as mmtracking 1.x's
    ``PackTrackInputs(ref_prefix='search', num_template_frames=1)`` does for SiamRPN++.

    Args:
        ref_prefix: mmtracking's prefix of the reference (search) frames' keys. VisionBox keeps
            every frame as its own ``FrameDataSample`` in ``video_data_samples`` (reference or
            search frames after the key / template frames), so no key is renamed; the prefix is
            recorded in the clip's metainfo (``ref_prefix``).
        num_template_frames: Number of template frames of an SOT pair: ``None`` or 1 (the
            first frame of the list is the template).
        meta_keys: Keys copied into the frame's metainfo when present.
    """

    def __init__(
        self,
        ref_prefix: str = "ref",
        num_template_frames: int | None = None,
        meta_keys: Sequence[str] = _META_KEYS,
    ) -> None:
        if not isinstance(ref_prefix, str) or not ref_prefix:
            raise TypeError(
                f"PackTrackInputs: ref_prefix must be a non-empty str, got {ref_prefix!r}"
            )
        if num_template_frames not in (None, 1):
            raise ValueError(
                "PackTrackInputs: num_template_frames must be None or 1 (one template frame, "
                f"first in the list), got {num_template_frames!r}"
            )
        self.ref_prefix = ref_prefix
        self.num_template_frames = num_template_frames
        self.meta_keys = tuple(meta_keys)
        self._pack = PackInputs(meta_keys=self.meta_keys)

    def transform(self, results: dict | list[dict]) -> dict:
        if isinstance(results, list):
            packed = pack_frame_list(results, self.meta_keys)
            packed["data_samples"].set_metainfo(dict(ref_prefix=self.ref_prefix))
            return packed
        if self.num_template_frames is not None:
            raise TypeError(
                "PackTrackInputs(num_template_frames=...) packs SOT pairs: it needs the list of "
                "frames of PairSampling and the Seq* transforms"
            )
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
