"""Pose heads: ``forward`` -> raw outputs, ``loss``, ``predict`` (decoded by the head's codec)."""

from visionbox.core.models.base import BaseHead

from .ae_head import AssociativeEmbeddingHead
from .heatmap_head import HeatmapHead
from .lifting_heads import TemporalRegressionHead, TrajectoryRegressionHead
from .regression_head import RegressionHead, RLEHead
from .rtmcc_head import RTMCCHead
from .simcc_head import SimCCHead
from .utils import decode_batch, flip_coordinates, flip_heatmaps, flip_vectors
from .vis_head import VisPredictHead

__all__ = [
    "AssociativeEmbeddingHead",
    "BaseHead",
    "HeatmapHead",
    "RLEHead",
    "RTMCCHead",
    "RegressionHead",
    "SimCCHead",
    "TemporalRegressionHead",
    "TrajectoryRegressionHead",
    "VisPredictHead",
    "decode_batch",
    "flip_coordinates",
    "flip_heatmaps",
    "flip_vectors",
]
