"""High-level tracking APIs."""

from .inference import inference_mot, init_track_model
from .sot_inference import inference_sot

__all__ = ["inference_mot", "inference_sot", "init_track_model"]
