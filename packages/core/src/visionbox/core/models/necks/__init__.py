"""Necks shared by every VisionBox task (OpenMMLab names, arguments and keys)."""

from .channel_mapper import ChannelMapper
from .fpn import FPN
from .pafpn import PAFPN

__all__ = ["FPN", "PAFPN", "ChannelMapper"]
