"""Export of tracking models' networks for :mod:`visionbox.core.deploy`, registered for the
``tracking`` scope. The trackers' association (Kalman filters, matching, track memory) stays in
Python; what is exported is what runs on pixels:

- ``component='detector'`` (the default of MOT models): the detector's end-to-end wrapper from
  :mod:`visionbox.detection.deploy` (``dets``, ``labels``);
- ``component='reid'``: the ReID network, (N, 3, h, w) crops -> ``embeddings`` (N, D);
- SOT (SiamRPN++): backbone, neck and head on a template and a search region, (N, 3, z, z) and
  (N, 3, x, x) -> ``cls_score`` (N, 2A, H, W) and ``bbox_pred`` (N, 4A, H, W), the outputs of
  ``SiameseRPNHead.forward``.
"""

from __future__ import annotations

from torch import Tensor, nn

from visionbox.core.deploy import end2end, register_end2end
from visionbox.core.utils.errors import UserError

from ..models.reid.base_reid import BaseReID
from ..models.sot.siamrpn import SiamRPN

__all__ = ["ReIDEnd2End", "SiamRPNEnd2End", "tracking_end2end"]


class ReIDEnd2End(nn.Module):
    """A ReID network: (N, 3, h, w) crops -> ``embeddings`` (N, D), as ``mode='tensor'``."""

    output_names = ("embeddings",)

    def __init__(self, model: BaseReID) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: Tensor) -> Tensor:
        return self.model._forward(inputs)


class SiamRPNEnd2End(nn.Module):
    """SiamRPN++'s networks: a template (N, 3, z, z) and a search region (N, 3, x, x) ->
    ``cls_score`` (N, 2A, H, W) and ``bbox_pred`` (N, 4A, H, W). The template features are cut to
    ``test_cfg.center_size`` as in tracking; the penalties, window and smoothing of
    ``SiameseRPNHead.predict`` stay in Python.

    In ONNX the batch is fixed: the depthwise correlation is a convolution whose group count is
    the batch size times the channels, a static attribute of ONNX's ``Conv``.
    """

    output_names = ("cls_score", "bbox_pred")
    onnx_dynamic_batch = False

    def __init__(self, model: SiamRPN) -> None:
        super().__init__()
        self.model = model

    def forward(self, template: Tensor, search: Tensor) -> tuple[Tensor, Tensor]:
        model = self.model
        return model.head(model.forward_template(template), model.forward_search(search))


@register_end2end("tracking")
def tracking_end2end(model: nn.Module, component: str | None = None) -> nn.Module:
    """The exported part of a tracking model: its ``detector`` (default) or ``reid`` network for
    MOT models, the Siamese networks for SiamRPN++, or a ReID model itself."""
    if isinstance(model, SiamRPN):
        if component not in (None, "sot"):
            raise UserError(f"SiamRPN exports as a whole; got component={component!r}")
        return SiamRPNEnd2End(model)
    if isinstance(model, BaseReID):
        return ReIDEnd2End(model)
    component = component or "detector"
    parts = [name for name in ("detector", "reid") if getattr(model, name, None) is not None]
    if component not in parts:
        raise UserError(
            f"{type(model).__name__} has no {component!r} to export; it has: {', '.join(parts)}"
        )
    part = getattr(model, component)
    return ReIDEnd2End(part) if component == "reid" else end2end(part)
