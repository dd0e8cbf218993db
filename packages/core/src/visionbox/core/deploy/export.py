"""Export a model (usually an end-to-end wrapper) to ONNX or ``torch.export``.

Shape shorthand: N images; the input is a preprocessed (N, 3, H, W) float tensor.

- ``format='onnx'``: ``torch.onnx.export`` with the TorchScript exporter (``dynamo=False``; the
  dynamo exporter needs ``onnxscript``, which VisionBox does not depend on), opset 17 by default,
  ``NonMaxSuppression`` for NMS. Needs the ``visionbox-core[export]`` extra (onnx, onnxruntime)
  to verify the file.
- ``format='torch-export'``: ``torch.export.export`` then ``torch.export.save`` (a ``.pt2`` file
  that ``torch.export.load`` reads back without VisionBox); NMS is ``torchvision::nms``.

With ``dynamic_batch`` the first dimension of every input and output is symbolic.

ONNX has no adaptive average pooling: the exporter writes ``AveragePool`` only where the output
size divides the input size. For ONNX, every ``nn.AdaptiveAvgPool2d`` other than a global one
runs as two matrix products with PyTorch's bins (``P_h @ x @ P_w^T``), which exports at any input
size (PSPNet at its 512 x 1024 crop: pool scales 3 and 6 on a 64 x 128 map).
"""

from __future__ import annotations

import contextlib
import os
import os.path as osp
import warnings
from collections.abc import Iterator, Sequence
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn.modules.utils import _pair

from ..utils.errors import UserError

__all__ = ["EXPORT_FORMATS", "ExportFormat", "export", "output_names_of", "check_format"]

ExportFormat = Literal["onnx", "torch-export"]
EXPORT_FORMATS: tuple[str, ...] = ("onnx", "torch-export")
_SUFFIX = {"onnx": ".onnx", "torch-export": ".pt2"}


def check_format(format: str) -> None:
    """Raise a :class:`UserError` naming the allowed formats when ``format`` is not one."""
    if format not in EXPORT_FORMATS:
        raise UserError(f"export format must be one of {', '.join(EXPORT_FORMATS)}; got {format!r}")


def output_names_of(model: nn.Module, count: int | None = None) -> list[str]:
    """The model's ``output_names`` attribute (end-to-end wrappers have one), else ``output{i}``."""
    names = getattr(model, "output_names", None)
    if names:
        return list(names)
    return [f"output{i}" for i in range(count or 1)]


def _as_tuple(example_inputs: Tensor | Sequence[Tensor]) -> tuple[Tensor, ...]:
    inputs = (example_inputs,) if isinstance(example_inputs, Tensor) else tuple(example_inputs)
    if not inputs or not all(isinstance(t, Tensor) for t in inputs):
        raise TypeError("example_inputs must be a tensor or a sequence of tensors")
    return inputs


def export(
    model: nn.Module,
    example_inputs: Tensor | Sequence[Tensor],
    format: ExportFormat = "onnx",
    path: str | os.PathLike | None = None,
    dynamic_batch: bool = False,
    opset: int = 17,
    input_names: Sequence[str] | None = None,
) -> str:
    """Write ``model`` traced on ``example_inputs`` to ``path`` and return the path.

    Args:
        model: The module to export, in eval mode (see :func:`visionbox.core.deploy.end2end` for
            the end-to-end wrapper of a VisionBox model).
        example_inputs: A (N, 3, H, W) tensor or a tuple of input tensors.
        format: ``'onnx'`` or ``'torch-export'``.
        path: Output file (default: ``end2end.onnx`` / ``end2end.pt2``).
        dynamic_batch: Make the batch dimension symbolic. ``torch.export`` traces with a batch
            of 2 (a batch of 1 would be specialised), so a batch-1 example is repeated.
        opset: ONNX opset (17 by default; ``RoiAlign`` with ``aligned`` needs 16 or above).
        input_names: Names of the inputs (``input`` for one input).

    Raises:
        UserError: An unknown format, an output folder that cannot be created, or a dynamic
            batch for a wrapper whose ``onnx_dynamic_batch`` is False.
    """
    check_format(format)
    if dynamic_batch and format == "onnx" and not getattr(model, "onnx_dynamic_batch", True):
        raise UserError(f"{type(model).__name__} exports to ONNX with a fixed batch only")
    inputs = _as_tuple(example_inputs)
    path = os.fspath(path) if path is not None else "end2end" + _SUFFIX[format]
    folder = osp.dirname(osp.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create the output folder {folder}: {err}") from err
    model = model.eval()
    names = list(input_names) if input_names else _default_input_names(len(inputs))
    if format == "onnx":
        _export_onnx(model, inputs, path, names, dynamic_batch, opset)
    else:
        _export_torch(model, inputs, path, names, dynamic_batch)
    return path


def _default_input_names(count: int) -> list[str]:
    return ["input"] if count == 1 else [f"input{i}" for i in range(count)]


def _pool_matrix(out: int, size: int, like: Tensor) -> Tensor:
    """(out, size) averaging matrix of adaptive pooling: bin i spans
    ``[floor(i * size / out), ceil((i + 1) * size / out))``, as PyTorch's."""
    index = torch.arange(out)
    start = index * size // out
    end = -(-(index + 1) * size // out)
    cols = torch.arange(size)
    inside = (cols[None] >= start[:, None]) & (cols[None] < end[:, None])
    return (inside / (end - start)[:, None]).to(like)


def adaptive_avg_pool2d_as_matmul(x: Tensor, output_size: int | tuple) -> Tensor:
    """``F.adaptive_avg_pool2d`` as ``P_h @ x @ P_w^T`` for a static (H, W):
    (N, C, H, W) -> (N, C, out_h, out_w)."""
    height, width = int(x.shape[-2]), int(x.shape[-1])
    out_h, out_w = _pair(output_size)
    out_h, out_w = out_h or height, out_w or width
    return _pool_matrix(out_h, height, x) @ x @ _pool_matrix(out_w, width, x).t()


@contextlib.contextmanager
def _onnx_adaptive_pools(model: nn.Module) -> Iterator[None]:
    """Run the model's non-global ``nn.AdaptiveAvgPool2d`` s as matrix products meanwhile."""
    pools = [
        m
        for m in model.modules()
        if isinstance(m, nn.AdaptiveAvgPool2d) and _pair(m.output_size) != (1, 1)
    ]
    for pool in pools:
        pool.forward = lambda x, size=pool.output_size: adaptive_avg_pool2d_as_matmul(x, size)
    try:
        yield
    finally:
        for pool in pools:
            del pool.forward


def _export_onnx(model, inputs, path, names, dynamic_batch, opset) -> None:
    with _onnx_adaptive_pools(model):
        _export_onnx_file(model, inputs, path, names, dynamic_batch, opset)


def _export_onnx_file(model, inputs, path, names, dynamic_batch, opset) -> None:
    with torch.no_grad():
        outputs = model(*inputs)
    count = len(outputs) if isinstance(outputs, (tuple, list)) else 1
    out_names = output_names_of(model, count)
    dynamic_axes = None
    if dynamic_batch:
        dynamic_axes = {name: {0: "batch"} for name in [*names, *out_names]}
    with warnings.catch_warnings():
        # The TorchScript exporter is the supported path here (see the module docstring); its
        # deprecation notice and the tracer's notes on shape-dependent Python are expected.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            inputs,
            path,
            dynamo=False,
            opset_version=opset,
            input_names=names,
            output_names=out_names,
            dynamic_axes=dynamic_axes,
            do_constant_folding=True,
        )


def _export_torch(model, inputs, path, names, dynamic_batch) -> None:
    dynamic_shapes = None
    if dynamic_batch:
        if inputs[0].size(0) == 1:
            inputs = tuple(torch.cat([t, t]) for t in inputs)
        batch = torch.export.Dim("batch")
        dynamic_shapes = tuple({0: batch} for _ in inputs)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        program = torch.export.export(model, inputs, dynamic_shapes=dynamic_shapes)
    torch.export.save(program, path)
