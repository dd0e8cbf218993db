"""High-level inference: build a segmentor from a config and a checkpoint, segment images, draw
the results (functions and ``SegInferencer``)."""

from .inference import inference_model, init_model
from .inferencer import MMSegInferencer, SegInferencer
from .show import show_result_pyplot

__all__ = [
    "MMSegInferencer",
    "SegInferencer",
    "inference_model",
    "init_model",
    "show_result_pyplot",
]
