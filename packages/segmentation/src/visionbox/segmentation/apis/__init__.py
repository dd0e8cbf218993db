"""High-level inference: build a segmentor from a config and a checkpoint, segment images, draw
the results."""

from .inference import inference_model, init_model
from .show import show_result_pyplot

__all__ = ["inference_model", "init_model", "show_result_pyplot"]
