"""High-level tracking APIs (functions and the ``MOTInferencer`` / ``SOTInferencer``)."""

from .inference import inference_mot, init_track_model
from .inferencer import MOTInferencer, SOTInferencer
from .sot_inference import inference_sot

__all__ = [
    "MOTInferencer",
    "SOTInferencer",
    "inference_mot",
    "inference_sot",
    "init_track_model",
]
