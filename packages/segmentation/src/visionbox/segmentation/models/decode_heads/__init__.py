"""Decode heads of VisionBox semantic segmentation (mmseg 1.x names and ``state_dict`` keys)."""

from .aspp_head import ASPPHead, ASPPModule
from .cascade_decode_head import BaseCascadeDecodeHead
from .decode_head import BaseDecodeHead
from .fcn_head import FCNHead
from .psp_head import PPM, PSPHead
from .segformer_head import SegformerHead
from .sep_aspp_head import DepthwiseSeparableASPPHead
from .uper_head import UPerHead

__all__ = [
    "PPM",
    "ASPPHead",
    "ASPPModule",
    "BaseCascadeDecodeHead",
    "BaseDecodeHead",
    "DepthwiseSeparableASPPHead",
    "FCNHead",
    "PSPHead",
    "SegformerHead",
    "UPerHead",
]
