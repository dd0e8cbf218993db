"""Segmentors of VisionBox semantic segmentation."""

from .cascade_encoder_decoder import CascadeEncoderDecoder
from .encoder_decoder import EncoderDecoder

__all__ = ["CascadeEncoderDecoder", "EncoderDecoder"]
