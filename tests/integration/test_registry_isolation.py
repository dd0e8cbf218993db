"""VisionBox and another mm* library in one process: neither changes what the other builds.

A stand-in for mmdetection (package ``mmdet``, scope ``'mmdet'``, registries as children of
mmengine's roots, a default scope set at import as ``register_all_modules`` does) registers the
names VisionBox uses too: ``ByteTracker`` and its ``KalmanFilter``. Each check runs in a fresh
interpreter, since registries and default scopes are process-wide.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("visionbox.tracking")

_REGISTRY = """
from mmengine.registry import MODELS as ROOT_MODELS, TASK_UTILS as ROOT_TASK_UTILS, Registry

MODELS = Registry("model", parent=ROOT_MODELS, scope="mmdet", locations=["mmdet.models"])
TASK_UTILS = Registry("task util", parent=ROOT_TASK_UTILS, scope="mmdet",
                      locations=["mmdet.models"])
"""

_MODELS = """
from mmdet.registry import MODELS, TASK_UTILS


@TASK_UTILS.register_module()
class KalmanFilter:
    pass


@MODELS.register_module()
class ByteTracker:
    def __init__(self, motion=None):
        self.motion = TASK_UTILS.build(motion or dict(type="KalmanFilter"))
"""

_INIT = """
from mmengine.registry import DefaultScope

DefaultScope.get_instance("mmdet", scope_name="mmdet")
"""

# What mmdetection's code builds, through its own registry and through mmengine's root (as its
# runner does), with its own default scope.
_MMDET_SIDE = """
import mmdet.models
from mmdet.registry import MODELS as MMDET_MODELS
from mmengine.registry import MODELS as ROOT_MODELS, TASK_UTILS as ROOT_TASK_UTILS
from mmengine.registry import DefaultScope

def origin(obj):
    return type(obj).__module__

built = {}
for where, registry in (("mmdet", MMDET_MODELS), ("root", ROOT_MODELS)):
    tracker = registry.build(dict(type="ByteTracker"))
    built[where] = [origin(tracker), origin(tracker.motion)]
with ROOT_MODELS.switch_scope_and_registry("mmdet") as registry:
    built["switch"] = registry.scope
built["patched"] = sorted(
    name for name in ("switch_scope_and_registry", "build", "get")
    for root in (ROOT_MODELS, ROOT_TASK_UTILS) if name in vars(root)
)
built["scope"] = DefaultScope.get_current_instance().scope_name
"""


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    """A folder holding the stand-in ``mmdet`` package."""
    root = tmp_path_factory.mktemp("third_party")
    package = root / "mmdet"
    package.mkdir()
    (package / "__init__.py").write_text(_INIT)
    (package / "registry.py").write_text(_REGISTRY)
    (package / "models.py").write_text(_MODELS)
    return str(root)


def _run(stand_in: str, body: str) -> dict:
    code = f"import sys, json\nsys.path.insert(0, {stand_in!r})\n{textwrap.dedent(body)}\n"
    code += "print(json.dumps(built))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_visionbox_registry_builds_its_own_classes_under_another_default_scope(stand_in):
    built = _run(
        stand_in,
        """
        import mmdet.models  # registers ByteTracker and KalmanFilter in scope 'mmdet'
        from mmengine.registry import DefaultScope
        from visionbox.tracking.registry import MODELS

        assert DefaultScope.get_current_instance().scope_name == "mmdet"
        tracker = MODELS.build(dict(type="ByteTracker"))
        explicit = MODELS.build(dict(type="ByteTracker", _scope_="mmdet"))
        built = dict(
            ours=[type(tracker).__module__, type(tracker.motion).__module__],
            explicit=type(explicit).__module__,
        )
        """,
    )
    assert built["ours"][0].startswith("visionbox.tracking.")
    assert built["ours"][1].startswith("visionbox.tracking.")
    # A dict that names the other scope itself still gets the other library's class.
    assert built["explicit"] == "mmdet.models"


def test_the_other_library_builds_the_same_with_or_without_visionbox(stand_in):
    alone = _run(stand_in, _MMDET_SIDE)
    with_visionbox = _run(
        stand_in,
        textwrap.dedent(
            """
        import visionbox.tracking.apis  # noqa: F401
        from visionbox.core.registry import MODELS as CORE_MODELS
        from visionbox.tracking.registry import MODELS

        MODELS.build(dict(type="ByteTracker"))  # VisionBox at work in the same process
        CORE_MODELS.build(dict(type="ResNet", depth=18))
        """
        )
        + _MMDET_SIDE,
    )
    assert alone["mmdet"] == ["mmdet.models", "mmdet.models"]
    assert alone["root"] == ["mmdet.models", "mmdet.models"]
    assert alone["switch"] == "mmdet" and alone["patched"] == []
    assert with_visionbox == alone
