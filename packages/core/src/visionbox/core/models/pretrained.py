"""``torchvision://<name>`` checkpoints read from the torch hub cache, never downloaded.

``init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')`` resolves the file that
torchvision would download (``$TORCH_HOME/hub/checkpoints/resnet50-0676ba61.pth``, names as in
mmengine's table) and loads it with ``torch.load(..., weights_only=True)``. When that exact file
is absent, another cached file of the same model (``resnet50-*.pth``, e.g. the IMAGENET1K_V2
weights) is used; when there is none, the error names the expected path and the URL to fetch it
from. Importing this module registers the loader for the ``torchvision://`` and ``modelzoo://``
prefixes with mmengine's ``CheckpointLoader``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader, get_torchvision_models

from ..utils import did_you_mean

__all__ = ["load_torchvision_checkpoint", "torchvision_checkpoint_path"]

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


CheckpointLoader.register_scheme(prefixes=_PREFIXES, loader=load_torchvision_checkpoint, force=True)
