"""Backbones shared by every VisionBox task (OpenMMLab names, arguments and keys)."""

from .convnext import ConvNeXt
from .csp_darknet import CSPDarknet, SPPBottleneck
from .cspnext import CSPNeXt
from .hrnet import HRNet
from .mit import MixVisionTransformer
from .mobilenet_v2 import MobileNetV2
from .res_blocks import BasicBlock, Bottleneck, ResLayer
from .resnet import ResNet, ResNetV1c, ResNetV1d, ResNeXt
from .swin import SwinTransformer
from .vision_transformer import VisionTransformer

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "CSPDarknet",
    "CSPNeXt",
    "ConvNeXt",
    "HRNet",
    "MixVisionTransformer",
    "MobileNetV2",
    "ResLayer",
    "ResNeXt",
    "ResNet",
    "ResNetV1c",
    "ResNetV1d",
    "SPPBottleneck",
    "SwinTransformer",
    "VisionTransformer",
]
