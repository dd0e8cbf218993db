"""Models of VisionBox semantic segmentation: segmentors, decode heads, the data preprocessor and
pixel samplers. Backbones (the dilated ``ResNetV1c`` with ``contract_dilation`` / ``multi_grid``
included), necks and losses come from :mod:`visionbox.core.models`."""

from . import decode_heads, segmentors
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
    "SegDataPreProcessor",
    "SegformerHead",
    "UPerHead",
    "accuracy",
    "build_pixel_sampler",
    "decode_heads",
    "resize",
    "segmentors",
    "stack_batch",
]
