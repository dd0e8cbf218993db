"""``PoseLocalVisualizer``: core's visualizer under mmpose's name (keypoints and the dataset's
skeleton, ground truth left and prediction right)."""

from __future__ import annotations

from visionbox.core.visualization import LocalVisualizer

from ..registry import VISUALIZERS

__all__ = ["PoseLocalVisualizer"]


@VISUALIZERS.register_module()
class PoseLocalVisualizer(LocalVisualizer):
    """Pose visualizer; arguments as core's :class:`LocalVisualizer`. It draws
    ``keypoints`` with ``keypoints_visible`` (or ``keypoint_scores``) above 0.3 and the
    ``skeleton_links`` / ``keypoint_colors`` of ``dataset_meta``."""
