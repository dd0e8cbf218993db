"""Export of pose estimators: end-to-end wrappers with the codec's decoding in the graph, for
:mod:`visionbox.core.deploy`, registered for the ``pose`` scope.

Shape shorthand: N inputs; K keypoints; (H, W) the heatmap size; W_x, W_y the SimCC bins; T
frames of a lifter's 2D input.

- top-down estimators take the (N, 3, h, w) crops and give ``keypoints`` (N, K, 2) in the crop's
  pixels (map them into the image with the crop's centre and scale, as ``predict`` does) and
  ``keypoint_scores`` (N, K);
- lifters take their 2D input as ``PoseLifter`` does (e.g. (N, 2K, T)) and give ``keypoints``
  (N, K, 3) relative to the root (add the root back, as ``predict`` does with ``target_root``)
  and ``keypoint_scores`` (N, K).
"""

from __future__ import annotations

from torch import nn

from visionbox.core.deploy import register_end2end
from visionbox.core.utils.errors import UserError

from ..models.pose_estimators.pose_lifter import PoseLifter
from ..models.pose_estimators.topdown import TopdownPoseEstimator
from .decode import DECODERS, decode_keypoints
from .wrappers import PoseLifterEnd2End, TopdownEnd2End

__all__ = [
    "DECODERS",
    "PoseLifterEnd2End",
    "TopdownEnd2End",
    "decode_keypoints",
    "pose_end2end",
]


@register_end2end("pose")
def pose_end2end(model: nn.Module, component: str | None = None) -> nn.Module:
    """The end-to-end wrapper of a top-down estimator or a lifter."""
    if component not in (None, "pose"):
        raise UserError(f"a pose estimator exports as a whole; got component={component!r}")
    if isinstance(model, PoseLifter):
        return PoseLifterEnd2End(model)
    if isinstance(model, TopdownPoseEstimator):
        return TopdownEnd2End(model)
    raise UserError(
        f"no end-to-end export for {type(model).__name__}; pose exports TopdownPoseEstimator "
        "and PoseLifter (bottom-up grouping stays in Python)"
    )
