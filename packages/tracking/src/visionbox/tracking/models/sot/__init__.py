"""Single-object trackers."""

from .base import BaseSingleObjectTracker
from .siamrpn import SiamRPN, crop_and_resize

__all__ = ["BaseSingleObjectTracker", "SiamRPN", "crop_and_resize"]
