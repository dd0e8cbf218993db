"""Export of detectors: end-to-end wrappers (network + post-processing) for
:mod:`visionbox.core.deploy`, registered for the ``detection`` scope."""

from torch import nn

from visionbox.core.deploy import register_end2end
from visionbox.core.utils.errors import UserError

from ..models.dense_heads.rtmdet_ins_head import RTMDetInsSepBNHead
from ..models.detectors.single_stage import SingleStageDetector
from ..models.detectors.two_stage import TwoStageDetector
from .candidates import candidates_of, register_candidates
from .detectors import DenseDetectorEnd2End, StaticRoIExtractor, TwoStageDetectorEnd2End
from .rtmdet_ins import RTMDetInsEnd2End

__all__ = [
    "DenseDetectorEnd2End",
    "RTMDetInsEnd2End",
    "StaticRoIExtractor",
    "TwoStageDetectorEnd2End",
    "candidates_of",
    "detector_end2end",
    "register_candidates",
]


@register_end2end("detection")
def detector_end2end(model: nn.Module, component: str | None = None) -> nn.Module:
    """The end-to-end wrapper of a detector (``component`` must be ``None`` or ``'detector'``)."""
    if component not in (None, "detector"):
        raise UserError(f"a detector exports as a whole; got component={component!r}")
    if isinstance(model, TwoStageDetector):
        return TwoStageDetectorEnd2End(model)
    if isinstance(model, SingleStageDetector):
        if isinstance(model.bbox_head, RTMDetInsSepBNHead):
            return RTMDetInsEnd2End(model)
        return DenseDetectorEnd2End(model)
    raise UserError(
        f"no end-to-end export for {type(model).__name__}; detection exports subclasses of "
        "SingleStageDetector and TwoStageDetector"
    )
