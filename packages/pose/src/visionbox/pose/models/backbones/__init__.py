"""Backbones with mmpose 1.x defaults (core's trunks and ``state_dict`` keys) and the TCN."""

from .hrnet import HRNet
from .resnet import ResNet, ResNetV1d
from .tcn import TCN

__all__ = ["HRNet", "ResNet", "ResNetV1d", "TCN"]
