"""Models of VisionBox semantic segmentation: segmentors, decode heads, the data preprocessor and
pixel samplers. Backbones, necks and losses come from :mod:`visionbox.core.models`."""

from . import backbones, decode_heads, segmentors
from .backbones import ResNet, ResNetV1c, ResNetV1d
from .data_preprocessor import SegDataPreProcessor, stack_batch
from .decode_heads import (
    ASPPHead,
    BaseCascadeDecodeHead,
    BaseDecodeHead,
    DepthwiseSeparableASPPHead,
    FCNHead,
    PSPHead,
    SegformerHead,
    UPerHead,
)
from .samplers import OHEMPixelSampler, build_pixel_sampler
from .segmentors import CascadeEncoderDecoder, EncoderDecoder
from .utils import accuracy, resize

__all__ = [
    "ASPPHead",
    "BaseCascadeDecodeHead",
    "BaseDecodeHead",
    "CascadeEncoderDecoder",
    "DepthwiseSeparableASPPHead",
    "EncoderDecoder",
    "FCNHead",
    "OHEMPixelSampler",
    "PSPHead",
    "ResNet",
    "ResNetV1c",
    "ResNetV1d",
    "SegDataPreProcessor",
    "SegformerHead",
    "UPerHead",
    "accuracy",
    "backbones",
    "build_pixel_sampler",
    "decode_heads",
    "resize",
    "segmentors",
    "stack_batch",
]
