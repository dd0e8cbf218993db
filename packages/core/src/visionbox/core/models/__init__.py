"""Shared models: base classes, CNN building blocks, backbones, necks and losses.

Importing this package registers every component in ``visionbox.core.registry.MODELS`` (the
registry's ``locations`` do it on the first build) and the ``Pretrained`` weight initializer of
VisionBox scopes (VisionBox's checkpoint loader, ``torchvision://`` from the hub cache only).
"""

from . import backbones, base, data_preprocessors, layers, losses, necks, pretrained
from .backbones import (
    CSPDarknet,
    CSPNeXt,
    HRNet,
    MobileNetV2,
    ResNet,
    ResNetV1c,
    ResNetV1d,
    ResNeXt,
)
from .base import BaseBackbone, BaseHead, BaseNeck, BaseTaskModel, build_component, check_channels
from .fuse_conv_bn import fuse_conv_bn
from .layers import (
    ConvModule,
    DepthwiseSeparableConvModule,
    build_activation_layer,
    build_conv_layer,
    build_norm_layer,
    build_padding_layer,
    build_upsample_layer,
)
from .losses import weight_reduce_loss, weighted_loss
from .necks import FPN, PAFPN, ChannelMapper, CSPNeXtPAFPN
from .optimize import is_conv_net, optimize_for_inference
from .pretrained import load_torchvision_checkpoint, torchvision_checkpoint_path

__all__ = [
    "FPN",
    "PAFPN",
    "BaseBackbone",
    "BaseHead",
    "BaseNeck",
    "BaseTaskModel",
    "CSPDarknet",
    "CSPNeXt",
    "CSPNeXtPAFPN",
    "ChannelMapper",
    "ConvModule",
    "DepthwiseSeparableConvModule",
    "HRNet",
    "MobileNetV2",
    "ResNeXt",
    "ResNet",
    "ResNetV1c",
    "ResNetV1d",
    "backbones",
    "base",
    "build_activation_layer",
    "build_component",
    "build_conv_layer",
    "build_norm_layer",
    "build_padding_layer",
    "build_upsample_layer",
    "check_channels",
    "data_preprocessors",
    "fuse_conv_bn",
    "is_conv_net",
    "layers",
    "load_torchvision_checkpoint",
    "losses",
    "necks",
    "optimize_for_inference",
    "pretrained",
    "torchvision_checkpoint_path",
    "weight_reduce_loss",
    "weighted_loss",
]
