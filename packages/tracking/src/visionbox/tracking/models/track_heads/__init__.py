"""Track heads: appearance embeddings of detected boxes; Siamese heads of single-object trackers."""

from .quasi_dense_embed_head import QuasiDenseEmbedHead
from .quasi_dense_track_head import QuasiDenseTrackHead, bbox2roi
from .siamese_rpn_head import CorrelationHead, SiameseRPNHead, depthwise_correlation
from .sot_anchor_generator import SiameseRPNAnchorGenerator

__all__ = [
    "CorrelationHead",
    "QuasiDenseEmbedHead",
    "QuasiDenseTrackHead",
    "SiameseRPNAnchorGenerator",
    "SiameseRPNHead",
    "bbox2roi",
    "depthwise_correlation",
]
