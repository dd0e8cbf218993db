"""Importing VisionBox core changes nothing of mmengine; it only adds the checkpoint allow-list to
torch's safe globals, so that weights-only loads read VisionBox checkpoints in any process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.logging import HistoryBuffer


def _run(code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


class _Refused:
    pass


def test_mmengine_objects_are_unchanged_by_importing_core():
    found = _run(
        """
        import json
        import mmengine.registry as roots
        from mmengine.runner.checkpoint import CheckpointLoader
        from mmengine.model import weight_init

        def snapshot():
            registries = {
                name: sorted(k for k in vars(obj) if not k.startswith("_"))
                for name, obj in vars(roots).items() if isinstance(obj, roots.Registry)
            }
            loaders = {
                k: f"{v.__module__}.{v.__name__}" for k, v in CheckpointLoader._schemes.items()
            }
            pretrained = roots.WEIGHT_INITIALIZERS.get("Pretrained")
            return dict(registries=registries, loaders=loaders,
                        pretrained=f"{pretrained.__module__}.{pretrained.__name__}")

        before = snapshot()
        import visionbox.core.engine, visionbox.core.models, visionbox.core.registry
        from visionbox.core.registry import MODELS
        MODELS.build(dict(type="ResNet", depth=18))
        print(json.dumps(dict(same=snapshot() == before, pretrained=before["pretrained"])))
        """
    )
    assert found == dict(same=True, pretrained="mmengine.model.weight_init.PretrainedInit")


def test_weights_only_loads_read_visionbox_checkpoints_after_import(tmp_path):
    buffer = HistoryBuffer()
    buffer.update(2.0)  # kept in a NumPy array
    good = tmp_path / "good.pth"
    torch.save(
        dict(
            state_dict=dict(w=torch.ones(2)),
            meta=dict(seed=np.int64(3), dtype=np.dtype("float16"), cfg=ConfigDict(a=dict(b=1))),
            message_hub=dict(log_scalars={"train/loss": buffer}),
        ),
        good,
    )
    bad = tmp_path / "bad.pth"
    torch.save(dict(x=_Refused()), bad)
    found = _run(
        f"""
        import json, pickle, torch

        def load(path):
            try:
                return type(torch.load(path, weights_only=True)["meta"]["cfg"]).__name__
            except pickle.UnpicklingError as err:
                return "refused " + ("_Refused" in str(err)) * "by name"

        before = load({str(good)!r})
        import visionbox.core
        print(json.dumps([before, load({str(good)!r}), load({str(bad)!r})]))
        """
    )
    assert found == ["refused ", "ConfigDict", "refused by name"]
