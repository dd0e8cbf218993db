"""High-level inference: build a segmentor from a config and a checkpoint, segment images."""

from .inference import inference_model, init_model

__all__ = ["inference_model", "init_model"]
