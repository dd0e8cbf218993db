"""Backbones of the tracking package: ResNet with the SOT paddings and dilations."""

from .sot_resnet import SOTResNet

__all__ = ["SOTResNet"]
