"""Export of VisionBox models to ONNX and ``torch.export``, end to end, and its verification.

- :func:`end2end`: the network plus its post-processing, from each task package's ``deploy``;
- :func:`export`: write it to ``.onnx`` (TorchScript exporter, ``NonMaxSuppression``) or ``.pt2``
  (``torch.export``, ``torchvision::nms``);
- :func:`verify`: run the file (onnxruntime / the ``ExportedProgram``) beside eager PyTorch and
  fail above the bounds;
- :mod:`.cli`: ``visionbox export`` and ``tools/deploy/export.py``.

onnx and onnxruntime come with the ``visionbox-core[export]`` extra and are imported only to
write or run an ONNX file.
"""

from .end2end import END2END_BUILDERS, end2end, register_end2end, scope_of
from .export import EXPORT_FORMATS, check_format, export, output_names_of
from .nms import nms_mask, topk_detections
from .verify import BOUNDS, ExportVerificationError, compare_outputs, run_exported, verify

__all__ = [
    "BOUNDS",
    "END2END_BUILDERS",
    "EXPORT_FORMATS",
    "ExportVerificationError",
    "check_format",
    "compare_outputs",
    "end2end",
    "export",
    "nms_mask",
    "output_names_of",
    "register_end2end",
    "run_exported",
    "scope_of",
    "topk_detections",
    "verify",
]
