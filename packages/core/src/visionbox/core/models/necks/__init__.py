"""Necks shared by every VisionBox task (OpenMMLab names, arguments and keys)."""

from .channel_mapper import ChannelMapper
from .cspnext_pafpn import CSPNeXtPAFPN, csp_pafpn_paths
from .fpn import FPN
from .pafpn import PAFPN

__all__ = ["FPN", "PAFPN", "CSPNeXtPAFPN", "ChannelMapper", "csp_pafpn_paths"]
