"""Track heads: appearance embeddings of detected boxes."""

from .quasi_dense_embed_head import QuasiDenseEmbedHead
from .quasi_dense_track_head import QuasiDenseTrackHead, bbox2roi

__all__ = ["QuasiDenseEmbedHead", "QuasiDenseTrackHead", "bbox2roi"]
