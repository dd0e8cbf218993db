"""End-to-end pose wrappers: network, head and the codec's decoding in one graph.

Shape shorthand: N inputs; K keypoints; T frames of a lifter's 2D input.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..models.pose_estimators.pose_lifter import PoseLifter
from ..models.pose_estimators.topdown import TopdownPoseEstimator
from .decode import DECODERS, decode_keypoints

__all__ = ["TopdownEnd2End", "PoseLifterEnd2End"]


class TopdownEnd2End(nn.Module):
    """A top-down estimator: (N, 3, h, w) crops -> ``keypoints`` (N, K, 2) in the crop's pixels
    and ``keypoint_scores`` (N, K). Flip test is not part of the graph."""

    output_names = ("keypoints", "keypoint_scores")

    def __init__(self, model: TopdownPoseEstimator) -> None:
        super().__init__()
        codec = getattr(model.head, "decoder", None)
        if type(codec).__name__ not in DECODERS:
            raise NotImplementedError(
                f"no exported decoding for the codec {type(codec).__name__}; codecs with one: "
                f"{', '.join(DECODERS)}"
            )
        self.model = model

    def forward(self, inputs: Tensor) -> tuple[Tensor, Tensor]:
        head = self.model.head
        outputs = head.forward(self.model.extract_feat(inputs))
        if getattr(head, "dims", 2) == 4:  # RLE: coordinates and sigma logits, as RLEHead.predict
            outputs = torch.cat([outputs[..., :2], outputs[..., 2:].sigmoid()], dim=-1)
        return decode_keypoints(head.decoder, outputs)


class PoseLifterEnd2End(nn.Module):
    """A lifter: 2D input -> root-relative ``keypoints`` (N, K, 3) (the codec's ``target_mean``
    and ``target_std`` undone) and ``keypoint_scores`` (N, K), ones."""

    output_names = ("keypoints", "keypoint_scores")

    def __init__(self, model: PoseLifter) -> None:
        super().__init__()
        if getattr(model, "with_traj", False):
            raise NotImplementedError("lifters with a trajectory branch have no exported graph")
        self.model = model
        codec = model.head.decoder
        mean = getattr(codec, "target_mean", None)
        std = getattr(codec, "target_std", None)
        self.register_buffer(
            "target_mean", None if mean is None else torch.as_tensor(mean, dtype=torch.float32)
        )
        self.register_buffer(
            "target_std", None if std is None else torch.as_tensor(std, dtype=torch.float32)
        )

    def forward(self, inputs: Tensor) -> tuple[Tensor, Tensor]:
        keypoints = self.model.head.forward(self.model.extract_feat(inputs))
        if self.target_mean is not None:
            keypoints = keypoints * self.target_std + self.target_mean
        return keypoints, torch.ones_like(keypoints[..., 0])
