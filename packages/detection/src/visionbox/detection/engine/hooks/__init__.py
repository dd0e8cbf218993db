"""Hooks of the YOLOX training recipe."""

from .sync_norm_hook import SyncNormHook, get_norm_states
from .yolox_mode_switch_hook import YOLOXModeSwitchHook

__all__ = ["SyncNormHook", "YOLOXModeSwitchHook", "get_norm_states"]
