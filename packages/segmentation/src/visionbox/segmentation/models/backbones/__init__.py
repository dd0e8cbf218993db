"""Backbone variants of segmentation (dilated ResNets); other backbones come from core."""

from .resnet import ResNet, ResNetV1c, ResNetV1d, set_block_dilation

__all__ = ["ResNet", "ResNetV1c", "ResNetV1d", "set_block_dilation"]
