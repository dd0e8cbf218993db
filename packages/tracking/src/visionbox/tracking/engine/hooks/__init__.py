"""Hooks of the tracking recipes."""

from .siamrpn_backbone_unfreeze_hook import SiamRPNBackboneUnfreezeHook

__all__ = ["SiamRPNBackboneUnfreezeHook"]
