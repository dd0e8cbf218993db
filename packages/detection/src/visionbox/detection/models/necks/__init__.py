"""Detection-specific necks (the shared FPN, PAFPN and ChannelMapper live in core)."""

from .yolox_pafpn import YOLOXPAFPN

__all__ = ["YOLOXPAFPN"]
