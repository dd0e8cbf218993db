"""Where checkpoints come from and how they are written.

The readers behind :func:`visionbox.core.engine.read_checkpoint`, which every VisionBox load
calls explicitly (``VisionBoxRunner.load_checkpoint`` and ``resume``, the ``Pretrained``
initializer of VisionBox scopes, ``init_*``), all through
:func:`~visionbox.core.engine.safe_load.safe_torch_load`:

* a local path (no scheme);
* ``http://`` and ``https://``: downloaded once into the torch hub cache
  (``<torch.hub.get_dir()>/checkpoints/<file name>``), then loaded safely.

``torchvision://<name>`` is read from the same cache, never downloaded, by
:mod:`visionbox.core.models.pretrained`. mmengine's own ``CheckpointLoader`` schemes are left as
mmengine registers them.

Files are written with :func:`atomic_write`: a temporary file in the same folder, flushed and
synced, then renamed over the target with :func:`os.replace`, so a reader never sees a half-written
checkpoint or ``last_checkpoint``.
"""

from __future__ import annotations

import os
import os.path as osp
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any
from urllib.parse import urlparse

import torch

from .safe_load import safe_torch_load

__all__ = [
    "atomic_write",
    "load_from_local",
    "load_from_http",
    "torch_hub_checkpoint_path",
]


@contextmanager
def atomic_write(path: str, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; on success, rename it to ``path``.

    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{osp.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def load_from_local(filename: str, map_location: Any = None) -> Any:
    """Load a local checkpoint with the allow-list (see :mod:`.safe_load`)."""
    path = osp.expanduser(filename)
    if not osp.isfile(path):
        raise FileNotFoundError(f"Checkpoint file not found: {path}")
    return safe_torch_load(path, map_location=map_location)


def torch_hub_checkpoint_path(url: str) -> str:
    """Where ``torch.hub`` caches the file of ``url``: ``<hub dir>/checkpoints/<name>``."""
    return osp.join(torch.hub.get_dir(), "checkpoints", osp.basename(urlparse(url).path))


def load_from_http(filename: str, map_location: Any = None) -> Any:
    """Download ``filename`` into the torch hub cache once, then load it with the allow-list."""
    path = torch_hub_checkpoint_path(filename)
    if not osp.isfile(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
        torch.hub.download_url_to_file(filename, path, progress=True)
    return safe_torch_load(path, map_location=map_location)
