"""``BaseInferencer``: the OpenMMLab 3.x call surface that every task's Inferencer shares.

    inferencer = DetInferencer(model='detection::shapes/faster-rcnn_r18_fpn_shapes.py',
                               weights='work_dirs/demo_detection/epoch_12.pth')
    result = inferencer('demo/', out_dir='outputs', no_save_pred=False)
    result['predictions'][0]     # plain lists and numbers: {'labels': [...], 'scores': [...], ...}

``__call__`` collects the inputs (a path, a folder, an array or a list of them; checked by
:mod:`.inputs` before the model runs), predicts ``batch_size`` images at a time, turns each result
into a JSON-serialisable dict (``pred2dict``) and, when asked, draws it. Outputs follow mmdet's
``DetInferencer``: drawings in ``out_dir/vis/<image name>`` (unless ``no_save_vis``), predictions
in ``out_dir/preds/<image stem>.json`` (when ``no_save_pred=False``). An array input is named
``{index:08d}.jpg``.

A task subclass supplies ``init_model`` (its ``init_*`` function), ``forward`` (images to results),
``pred2dict`` and ``visualizer_cls``.
"""

from __future__ import annotations

import copy
import json
import os
import os.path as osp
from collections.abc import Callable, Iterator, Sequence
from itertools import count
from typing import Any, ClassVar

import numpy as np
import torch
from mmengine.config import Config
from mmengine.utils import ProgressBar
from torch import nn

from ..config import Config as VisionBoxConfig
from ..config import config_path
from .inputs import ImageInput, collect_images, iter_images

__all__ = ["BaseInferencer", "read_config", "resolve_config", "to_plain"]

_names = count()


def resolve_config(model: str | os.PathLike | Config) -> str | Config:
    """A config path, a ``'scope::relative/path.py'`` reference or a ``Config``, checked."""
    if isinstance(model, Config):
        return model
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(
            f"model must be a config path or a Config, got {type(model).__name__}. A built "
            "nn.Module is used through the task's inference_* functions."
        )
    return config_path(model)


def read_config(
    config: str | os.PathLike | VisionBoxConfig, cfg_options: dict | None = None
) -> VisionBoxConfig:
    """The config of an ``init_*`` function: a path, a ``'scope::relative/path.py'`` reference or
    a ``Config`` (copied, never changed), with ``cfg_options`` merged."""
    if isinstance(config, (str, os.PathLike)):
        config = VisionBoxConfig.fromfile(config_path(config))
    elif isinstance(config, VisionBoxConfig):
        config = copy.deepcopy(config)
    else:
        raise TypeError(f"config must be a path or a Config, got {type(config).__name__}")
    if cfg_options:
        config.merge_from_dict(cfg_options)
    return config


def to_plain(value: Any) -> Any:
    """Tensors and NumPy values as Python lists and numbers, recursively (JSON-serialisable)."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return value


def _batches(items: Iterator[ImageInput], size: int) -> Iterator[list[ImageInput]]:
    chunk: list[ImageInput] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class BaseInferencer:
    """Build a model from a config and checkpoint; predict on images, save and draw the results.

    Args:
        model: Config path, ``'scope::relative/path.py'`` of a shipped config, or a ``Config``.
        weights: Checkpoint path or URL; ``None`` keeps the initial weights (with a warning).
        device: ``'cpu'``, ``'cuda:0'``, ...; ``None`` takes CUDA when available.
        scope: The registry scope; ``None`` takes the config's ``default_scope``, else the task's.
        show_progress: Show a progress bar over the inputs.
        fuse: Apply :func:`visionbox.core.models.optimize_for_inference` (BatchNorm folding).
        strict: Refuse a checkpoint whose keys or shapes differ from the model's.
        cfg_options: Overrides merged into the config.
    """

    #: The task's scope, used when neither ``scope`` nor the config names one.
    default_scope: ClassVar[str] = "core"
    #: ``visualizer_cls(name=...)`` draws a result with ``add_datasample``.
    visualizer_cls: ClassVar[Callable[..., Any] | None] = None

    def __init__(
        self,
        model: str | os.PathLike | Config,
        weights: str | None = None,
        device: str | None = None,
        scope: str | None = None,
        show_progress: bool = False,
        fuse: bool = True,
        strict: bool = True,
        cfg_options: dict | None = None,
    ) -> None:
        config = resolve_config(model)
        if weights is not None and "://" not in weights and not osp.isfile(weights):
            raise FileNotFoundError(f"Checkpoint file not found: {weights}")
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        options = dict(cfg_options or {})
        if scope is not None:
            options["default_scope"] = scope
        self.device = device
        self.show_progress = show_progress
        self.model = self.init_model(
            config, weights, device=device, cfg_options=options or None, fuse=fuse, strict=strict
        )
        self.cfg = self.model.cfg
        self.scope = self.cfg.get("default_scope") or self.default_scope
        self.visualizer = None

    # --- what a task supplies -------------------------------------------------------------
    def init_model(
        self,
        config: str | Config,
        weights: str | None,
        *,
        device: str,
        cfg_options: dict | None,
        fuse: bool,
        strict: bool,
    ) -> nn.Module:
        """Build the model with the task's ``init_*`` function."""
        raise NotImplementedError(f"{type(self).__name__} must implement init_model")

    def forward(self, images: list[np.ndarray], **kwargs: Any) -> list[Any]:
        """Results (data samples) of ``(H, W, 3)`` BGR ``images``, one per image."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def pred2dict(self, result: Any) -> dict | list:
        """One result as a JSON-serialisable dict."""
        raise NotImplementedError(f"{type(self).__name__} must implement pred2dict")

    # --- shared -----------------------------------------------------------------------------
    def _get_visualizer(self) -> Any:
        if self.visualizer is None:
            if self.visualizer_cls is None:
                raise NotImplementedError(f"{type(self).__name__} has no visualizer")
            self.visualizer = self.visualizer_cls(name=f"{type(self).__name__}-{next(_names)}")
            self.visualizer.dataset_meta = dict(getattr(self.model, "dataset_meta", None) or {})
        return self.visualizer

    def visualize(
        self,
        image: np.ndarray,
        result: Any,
        *,
        name: str = "result",
        show: bool = False,
        wait_time: float = 0,
        pred_score_thr: float = 0.3,
        out_file: str | None = None,
    ) -> np.ndarray:
        """Draw ``result`` on the BGR ``image``; return the RGB drawing (and write ``out_file``)."""
        return self._get_visualizer().add_datasample(
            name,
            image[..., ::-1],
            data_sample=result,
            draw_gt=False,
            show=show,
            wait_time=wait_time,
            out_file=out_file,
            pred_score_thr=pred_score_thr,
        )

    def _progress(self, total: int) -> ProgressBar | None:
        return ProgressBar(total) if self.show_progress and total > 1 else None

    def __call__(
        self,
        inputs: Any,
        batch_size: int = 1,
        out_dir: str = "",
        return_vis: bool = False,
        show: bool = False,
        wait_time: float = 0,
        no_save_pred: bool = True,
        no_save_vis: bool = False,
        pred_score_thr: float = 0.3,
        return_datasamples: bool = False,
        **forward_kwargs: Any,
    ) -> dict[str, list]:
        """Predict on ``inputs``.

        Args:
            inputs: An image path, a folder of images, an ``(H, W, 3)`` BGR array, or a list of
                these (see :mod:`visionbox.core.apis.inputs` for what is accepted).
            batch_size: Images per forward pass.
            out_dir: Folder of the outputs (``vis/`` and ``preds/``); ``''`` saves nothing.
            return_vis: Return the drawings (RGB arrays) in ``'visualization'``.
            show: Show each drawing in a window.
            wait_time: Seconds a shown window waits.
            no_save_pred: Do not write ``preds/<stem>.json`` (as mmdet, True by default).
            no_save_vis: Do not write ``vis/<name>``.
            pred_score_thr: Lowest score drawn.
            return_datasamples: Return the data samples instead of dicts in ``'predictions'``.
            **forward_kwargs: Passed to the task's ``forward``.

        Returns:
            ``{'predictions': [...], 'visualization': [...]}``, one entry per image
            (``visualization`` is empty unless ``return_vis``).
        """
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        items = collect_images(inputs)
        save_vis = bool(out_dir) and not no_save_vis
        save_pred = bool(out_dir) and not no_save_pred
        draw = return_vis or show or save_vis
        results: dict[str, list] = dict(predictions=[], visualization=[])
        progress = self._progress(len(items))
        for chunk in _batches(iter_images(items), batch_size):
            outputs = self.forward([item.img for item in chunk], **forward_kwargs)
            for item, output in zip(chunk, outputs, strict=True):
                pred = self.pred2dict(output)
                if save_pred:
                    self.save_pred(pred, out_dir, item.name)
                results["predictions"].append(output if return_datasamples else pred)
                if draw:
                    out_file = osp.join(out_dir, "vis", item.name) if save_vis else None
                    drawing = self.visualize(
                        item.img,
                        output,
                        name=item.name,
                        show=show,
                        wait_time=wait_time,
                        pred_score_thr=pred_score_thr,
                        out_file=out_file,
                    )
                    if return_vis:
                        results["visualization"].append(drawing)
                if progress is not None:
                    progress.update()
        return results

    @staticmethod
    def save_pred(pred: dict | Sequence, out_dir: str, name: str) -> str:
        """Write ``pred`` to ``out_dir/preds/<stem of name>.json``; return the path."""
        folder = osp.join(out_dir, "preds")
        os.makedirs(folder, exist_ok=True)
        path = osp.join(folder, osp.splitext(name)[0] + ".json")
        with open(path, "w") as file:
            json.dump(pred, file)
        return path
