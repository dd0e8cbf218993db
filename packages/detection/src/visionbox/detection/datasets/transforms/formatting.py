"""``PackDetInputs``: the last step of a detection pipeline (mmdet 3.x keys).

``inputs`` is the (C, H, W) image tensor; ``data_samples`` a :class:`DetDataSample` with
``gt_instances`` (``bboxes``, ``labels``, ``masks``), ``ignored_instances`` (the
``gt_ignore_flags`` instances), ``proposals`` when the results carry them, and the ``meta_keys``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData

from visionbox.core.datasets import PackInputs

from ...registry import TRANSFORMS
from ...structures import DetDataSample

__all__ = ["PackDetInputs"]


@TRANSFORMS.register_module()
class PackDetInputs(PackInputs):
    """Pack a detection sample.

    Args:
        meta_keys: Keys copied to the sample's metainfo when present.
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = (
            "img_id",
            "img_path",
            "ori_shape",
            "img_shape",
            "scale_factor",
            "flip",
            "flip_direction",
        ),
    ) -> None:
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        if "gt_bboxes" in results:
            results["gt_bboxes"] = np.asarray(results["gt_bboxes"], np.float32).reshape(-1, 4)
        packed = super().transform(results)
        base = packed["data_samples"]
        sample = DetDataSample(metainfo=base.metainfo)
        for key, value in base.items():
            setattr(sample, key, value)
        if "gt_instances" in sample and "ignored_instances" not in sample:
            sample.ignored_instances = InstanceData()
        if results.get("proposals") is not None:
            proposals = InstanceData(
                bboxes=torch.as_tensor(np.asarray(results["proposals"], np.float32)).reshape(-1, 4)
            )
            if results.get("proposals_scores") is not None:
                proposals.scores = torch.as_tensor(np.asarray(results["proposals_scores"]))
            sample.proposals = proposals
        packed["data_samples"] = sample
        return packed
