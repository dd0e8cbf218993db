"""``torchvision://<name>`` checkpoints read from the torch hub cache, never downloaded.

``init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')`` resolves the file that
torchvision would download (``$TORCH_HOME/hub/checkpoints/resnet50-0676ba61.pth``, names as in
mmengine's table) and loads it with ``torch.load(..., weights_only=True)``. When that exact file
is absent, another cached file of the same model (``resnet50-*.pth``, e.g. the IMAGENET1K_V2
weights) is used; when there is none, the error names the expected path and the URL to fetch it
from.

:class:`PretrainedInit` is registered as ``'Pretrained'`` in core's ``WEIGHT_INITIALIZERS``, so
``init_cfg=dict(type='Pretrained', ...)`` of a model initialised in a VisionBox scope (the runner,
``init_*``) reads through :func:`visionbox.core.engine.read_checkpoint`: the allow-list, the
hub cache and named errors. mmengine's ``CheckpointLoader`` schemes are left as they are; outside
a VisionBox scope mmengine's own ``Pretrained`` applies.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
from mmengine.logging import print_log
from mmengine.model.weight_init import PretrainedInit as MMEnginePretrainedInit
from mmengine.model.weight_init import update_init_info
from mmengine.runner.checkpoint import get_torchvision_models, load_state_dict
from torch import nn

from ..registry import WEIGHT_INITIALIZERS
from ..utils import did_you_mean

__all__ = ["PretrainedInit", "load_torchvision_checkpoint", "torchvision_checkpoint_path"]

_PREFIXES = ("torchvision://", "modelzoo://")


def _model_name(name: str) -> str:
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def torchvision_checkpoint_path(name: str) -> Path:
    """Return the cached file of torchvision model ``name`` (``resnet50``, ``torchvision://resnet50``).

    Raises:
        KeyError: for a name torchvision has no weights for (with the closest names).
        FileNotFoundError: naming the expected path when no matching file is cached.
    """
    model = _model_name(name)
    urls = get_torchvision_models()
    if model not in urls:
        raise KeyError(f"torchvision has no weights named {model!r}.{did_you_mean(model, urls)}")
    url = urls[model]
    checkpoints = Path(torch.hub.get_dir()) / "checkpoints"
    expected = checkpoints / Path(urlparse(url).path).name
    if expected.is_file():
        return expected
    arch = expected.name.split("-")[0]
    others = sorted(checkpoints.glob(f"{arch}-*.pth")) if checkpoints.is_dir() else []
    if others:
        print_log(
            f"{expected.name} is not cached; using {others[0]} for {name}",
            logger="current",
            level=logging.WARNING,
        )
        return others[0]
    raise FileNotFoundError(
        f"The weights for torchvision://{model} are not in the torch hub cache: "
        f"expected {expected} "
        f"(or another {arch}-*.pth there). VisionBox does not download; fetch {url} into "
        f"{checkpoints} (the directory follows $TORCH_HOME)."
    )


def load_torchvision_checkpoint(filename: str, map_location: Any = None) -> dict:
    """Load ``torchvision://<name>`` from the hub cache with ``weights_only=True``."""
    path = torchvision_checkpoint_path(filename)
    return torch.load(path, map_location=map_location or "cpu", weights_only=True)


@WEIGHT_INITIALIZERS.register_module(name="Pretrained")
class PretrainedInit(MMEnginePretrainedInit):
    """mmengine's ``Pretrained`` initializer, reading through VisionBox's loader.

    Args:
        checkpoint: A local path, ``http(s)://`` URL or ``torchvision://<name>``.
        prefix: Load only the weights under this sub-module name (``'backbone.'``), without it.
        map_location: As in :func:`torch.load`.

    The weights that match the module's names and shapes are loaded, as mmengine does
    (``strict=False``); the others are reported in the log.
    """

    def __init__(self, checkpoint: str, prefix: str | None = None, map_location: Any = "cpu"):
        super().__init__(checkpoint, prefix=prefix, map_location=map_location)

    def __call__(self, module: nn.Module) -> None:
        from ..engine.loading import extract_state_dict, read_checkpoint

        checkpoint = read_checkpoint(self.checkpoint, map_location=self.map_location)
        state = extract_state_dict(checkpoint, f"Checkpoint {self.checkpoint!r}")
        if self.prefix is not None:
            prefix = self.prefix if self.prefix.endswith(".") else f"{self.prefix}."
            state = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
            if not state:
                raise KeyError(f"Checkpoint {self.checkpoint!r} has no weights under {prefix!r}.")
        where = f" ({self.prefix})" if self.prefix else ""
        print_log(f"load model{where} from: {self.checkpoint}", logger="current")
        load_state_dict(module, state, strict=False, logger="current")
        if hasattr(module, "_params_init_info"):
            update_init_info(module, init_info=self._get_init_info())
