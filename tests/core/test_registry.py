"""Registries: scopes, lazy locations, aliases, cross-package types and the build-time checks."""

import pytest
import torch.nn as nn
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import DefaultScope

from visionbox.core import registry as core
from visionbox.core.registry import VISIONBOX_SCOPES, ScopeNotInstalledError, import_scope


@core.MODELS.register_module()
class _RegistryProbe(nn.Module):
    def __init__(self, depth: int = 3, width: int = 2) -> None:
        super().__init__()
        self.depth = depth
        self.width = width


def test_core_registries_are_children_of_mmengine_roots():
    assert core.MODELS.parent is MMENGINE_MODELS
    assert core.MODELS.scope == "core"
    for name in ("DATASETS", "TRANSFORMS", "METRICS", "OPTIMIZERS", "HOOKS", "TASK_UTILS"):
        registry = getattr(core, name)
        assert registry.scope == "core"
        assert registry.parent.scope == "mmengine"


def test_aliases_point_at_the_same_registries():
    assert core.BACKBONES is core.MODELS
    assert core.NECKS is core.MODELS
    assert core.HEADS is core.MODELS
    assert core.LOSSES is core.MODELS
    assert core.OPTIMIZER_BUILDERS is core.OPTIM_WRAPPER_CONSTRUCTORS


def test_build_checks_type_and_keywords():
    probe = core.MODELS.build(dict(type="_RegistryProbe", depth=5))
    assert probe.depth == 5
    with pytest.raises(KeyError, match=r"_RegistryProbee.*Did you mean '_RegistryProbe'"):
        core.MODELS.build(dict(type="_RegistryProbee"))
    with pytest.raises(TypeError, match=r"'dpeth'.*Did you mean 'depth'.*accepts: depth, width"):
        core.MODELS.build(dict(type="_RegistryProbe", dpeth=5))


def test_default_args_count_as_accepted_keywords():
    probe = core.MODELS.build(dict(type="_RegistryProbe"), default_args=dict(width=7))
    assert probe.width == 7


@pytest.mark.parametrize("scope", [s for s in VISIONBOX_SCOPES if s != "core"])
def test_task_registries_are_children_of_core(scope):
    pytest.importorskip(f"visionbox.{scope}")
    import_scope(scope)
    task = __import__(f"visionbox.{scope}.registry", fromlist=["MODELS"])
    assert task.MODELS.parent is core.MODELS
    assert task.MODELS.scope == scope
    assert (
        task.BACKBONES is task.MODELS and task.OPTIMIZER_BUILDERS is task.OPTIM_WRAPPER_CONSTRUCTORS
    )
    # A core component resolves from the task registry, with or without the scope prefix.
    assert task.MODELS.get("_RegistryProbe") is _RegistryProbe
    assert task.MODELS.get("core._RegistryProbe") is _RegistryProbe
    # The task's default scope switches a core build to the task registry.
    with core.MODELS.switch_scope_and_registry(scope) as registry:
        assert registry is task.MODELS


def test_missing_scope_names_the_distribution(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "visionbox.segmentation", None)
    monkeypatch.setitem(sys.modules, "visionbox.segmentation.registry", None)
    with pytest.raises(ScopeNotInstalledError, match="pip install visionbox-segmentation"):
        core.MODELS.get("segmentation.PSPHead")


def test_switch_without_a_default_scope_keeps_the_registry(monkeypatch):
    monkeypatch.setattr(DefaultScope, "_instance_dict", {})
    with core.MODELS.switch_scope_and_registry(None) as registry:
        assert registry is core.MODELS


@pytest.mark.parametrize("scope", [s for s in VISIONBOX_SCOPES if s != "core"])
def test_mmengine_root_switches_to_visionbox_scopes(scope, caplog):
    pytest.importorskip(f"visionbox.{scope}")
    task = __import__(f"visionbox.{scope}.registry", fromlist=["MODELS"])
    with MMENGINE_MODELS.switch_scope_and_registry(scope) as registry:
        assert registry is task.MODELS
    assert "Failed to import" not in caplog.text


def test_mmengine_components_resolve_in_a_fresh_process():
    import subprocess
    import sys

    code = (
        "from visionbox.core.registry import HOOKS, OPTIMIZERS, PARAM_SCHEDULERS, LOOPS, "
        "DATA_SAMPLERS, VISBACKENDS\n"
        "for reg, name in [(HOOKS, 'CheckpointHook'), (OPTIMIZERS, 'SGD'), "
        "(PARAM_SCHEDULERS, 'MultiStepLR'), (LOOPS, 'EpochBasedTrainLoop'), "
        "(DATA_SAMPLERS, 'DefaultSampler'), (VISBACKENDS, 'LocalVisBackend')]:\n"
        "    assert reg.get(name) is not None, name\n"
        "print(HOOKS.build(dict(type='CheckpointHook', interval=2)).interval)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2"


def test_a_package_builds_its_own_parts_from_another_default_scope():
    # A detection assigner built while the tracking scope is the default (a tracking head's
    # train_cfg) builds its BboxOverlaps2D in the detection scope.
    det = pytest.importorskip("visionbox.detection.registry")
    pytest.importorskip("visionbox.segmentation.registry")
    from mmengine.config import ConfigDict

    cfg = ConfigDict(type="MaxIoUAssigner", pos_iou_thr=0.5, neg_iou_thr=0.4)
    with DefaultScope.overwrite_default_scope("segmentation"):
        assigner = det.TASK_UTILS.build(cfg)
        assert type(assigner.iou_calculator).__name__ == "BboxOverlaps2D"
        assert "_scope_" not in cfg  # the caller's dict is left alone
        with pytest.raises(KeyError, match="MaxIoUAsigner"):
            det.TASK_UTILS.build(dict(type="MaxIoUAsigner"))
