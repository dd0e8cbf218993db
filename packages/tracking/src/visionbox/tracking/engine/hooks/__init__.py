"""Hooks of the tracking recipes."""

from .siamrpn_backbone_unfreeze_hook import SiamRPNBackboneUnfreezeHook
from .visualization_hook import TrackVisualizationHook

__all__ = ["SiamRPNBackboneUnfreezeHook", "TrackVisualizationHook"]
