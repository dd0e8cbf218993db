"""High-level tracking APIs."""

from .inference import inference_mot, init_track_model

__all__ = ["inference_mot", "init_track_model"]
