"""RoI mask heads."""

from .fcn_mask_head import FCNMaskHead, mask_target, paste_masks

__all__ = ["FCNMaskHead", "mask_target", "paste_masks"]
