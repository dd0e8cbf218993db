"""Run an exported file beside the eager model and compare every output.

The bounds of the export contract, by output name:

========================  ==========================================================
``dets`` (N, K, 5)        boxes within 1e-2 px, scores within 1e-4
integer outputs           equal (``labels``, ``seg_pred``)
``keypoints``             within 1e-3 px
every other output        within 1e-4 + 1e-4 * |eager| (``seg_logits``, ``masks``, ...)
========================  ==========================================================
"""

from __future__ import annotations

import os
import os.path as osp
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ..utils.errors import UserError
from .export import _as_tuple, output_names_of

__all__ = ["ExportVerificationError", "run_exported", "compare_outputs", "verify", "BOUNDS"]

#: (absolute, relative) bounds by output name; integer outputs must be equal.
BOUNDS: dict[str, tuple[float, float]] = {"keypoints": (1e-3, 0.0)}
_BOX_BOUND = 1e-2
_DEFAULT_BOUND = (1e-4, 1e-4)


class ExportVerificationError(RuntimeError):
    """The exported file's outputs differ from the eager model's beyond the bounds."""


def _format_of(path: str) -> str:
    return "onnx" if path.endswith(".onnx") else "torch-export"


def run_exported(path: str | os.PathLike, inputs: Tensor | Sequence[Tensor]) -> list[np.ndarray]:
    """The outputs of an exported file on ``inputs``: onnxruntime (CPU) for ``.onnx``, the loaded
    ``ExportedProgram`` otherwise."""
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f"exported file not found: {path}")
    inputs = _as_tuple(inputs)
    if _format_of(path) == "onnx":
        session = _ort_session(path)
        feed = {arg.name: t.numpy() for arg, t in zip(session.get_inputs(), inputs)}
        return list(session.run(None, feed))
    program = torch.export.load(path)
    with torch.no_grad():
        outputs = program.module()(*inputs)
    outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    return [o.detach().numpy() for o in outputs]


def _ort_session(path: str, threads: int | None = None):
    try:
        import onnxruntime as ort
    except ImportError as err:
        raise UserError(
            "running an ONNX file needs onnxruntime: pip install 'visionbox-core[export]'"
        ) from err
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _rows(name: str, got: np.ndarray, want: np.ndarray) -> list[tuple[str, float, float, bool]]:
    """``(what, largest difference, bound, within)`` rows of one output."""
    if got.shape != want.shape:
        return [(f"{name} shape {got.shape} vs {want.shape}", float("inf"), 0.0, False)]
    if got.size == 0:
        return [(name, 0.0, 0.0, True)]
    if not np.issubdtype(want.dtype, np.floating):
        diff = float(np.abs(got.astype(np.int64) - want.astype(np.int64)).max())
        return [(name, diff, 0.0, diff == 0)]
    got, want = got.astype(np.float64), want.astype(np.float64)
    error = np.abs(got - want)
    if name == "dets":
        box, score = float(error[..., :4].max()), float(error[..., 4].max())
        return [
            ("dets boxes (px)", box, _BOX_BOUND, box <= _BOX_BOUND),
            ("dets scores", score, 1e-4, score <= 1e-4),
        ]
    atol, rtol = BOUNDS.get(name, _DEFAULT_BOUND)
    within = bool(np.all(error <= atol + rtol * np.abs(want)))
    return [(name, float(error.max()), atol, within)]


def compare_outputs(
    names: Sequence[str], got: Sequence[np.ndarray], want: Sequence[Tensor | np.ndarray]
) -> list[tuple[str, float, float, bool]]:
    """Rows ``(what, largest difference, bound, within)`` for every output (see the bounds in the
    module docstring)."""
    rows = []
    for name, g, w in zip(names, got, want):
        w = w.detach().cpu().numpy() if isinstance(w, Tensor) else np.asarray(w)
        rows.extend(_rows(name, np.asarray(g), w))
    return rows


def verify(
    path: str | os.PathLike,
    model: nn.Module,
    inputs: Tensor | Sequence[Tensor],
    print_fn: Callable[[str], None] | None = print,
) -> list[tuple[str, float, float, bool]]:
    """Run ``path`` and ``model`` on ``inputs``, print the largest differences, and raise
    :class:`ExportVerificationError` when one is above its bound (see the module docstring).

    Returns:
        The comparison rows ``(what, largest difference, bound, within)``.
    """
    inputs = _as_tuple(inputs)
    got = run_exported(path, inputs)
    with torch.no_grad():
        want = model.eval()(*inputs)
    want = list(want) if isinstance(want, (tuple, list)) else [want]
    names = output_names_of(model, len(want))
    if len(got) != len(want):
        raise ExportVerificationError(
            f"{path} has {len(got)} outputs, the eager model {len(want)} ({', '.join(names)})"
        )
    rows = compare_outputs(names, got, want)
    if print_fn is not None:
        print_fn(f"verify {path} against eager PyTorch, batch {inputs[0].size(0)}:")
        for what, diff, bound, within in rows:
            print_fn(
                f"  {what:<24} max diff {diff:.3g}  bound {bound:g}  {'ok' if within else 'FAIL'}"
            )
    failed = [row for row in rows if not row[3]]
    if failed:
        listed = ", ".join(f"{what} ({diff:.3g} > {bound:g})" for what, diff, bound, _ in failed)
        raise ExportVerificationError(f"{path} differs from the eager model: {listed}")
    return rows
