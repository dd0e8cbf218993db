"""Registries of VisionBox core, children of mmengine's root registries (scope ``core``).

Every task package defines children of these in its own ``registry.py`` (scopes ``detection``,
``segmentation``, ``pose``, ``tracking``). Built-in components are found through ``locations``, so
``MODELS.build(dict(type='ResNet', depth=50))`` needs no other import. A type may name another
installed package's component with its scope: ``type='segmentation.PSPHead'``.

The aliases that users of older OpenMMLab toolboxes write (``BACKBONES``, ``NECKS``, ``HEADS``,
``LOSSES``, ``OPTIMIZER_BUILDERS``) are the same objects as ``MODELS`` and
``OPTIM_WRAPPER_CONSTRUCTORS``.

mmengine's root registries are left as mmengine defines them. When mmengine's ``Runner`` builds
through them with a VisionBox default scope, their own scope switch finds the VisionBox registry
in the tree (the scope's package is imported when the config is loaded); other libraries' scopes
behave as if VisionBox were not installed.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Generator
from contextlib import contextmanager
from importlib import import_module
from typing import Any

from mmengine.logging import MMLogger
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import DefaultScope, Registry

from .utils.build_check import check_kwargs, check_type_name
from .utils.errors import UserError

__all__ = [
    "VISIONBOX_SCOPES",
    "VisionBoxRegistry",
    "ScopeImportFilter",
    "ScopeNotInstalledError",
    "import_scope",
    "child_registry",
    "RUNNERS",
    "RUNNER_CONSTRUCTORS",
    "LOOPS",
    "HOOKS",
    "STRATEGIES",
    "DATASETS",
    "DATA_SAMPLERS",
    "TRANSFORMS",
    "MODELS",
    "MODEL_WRAPPERS",
    "WEIGHT_INITIALIZERS",
    "OPTIMIZERS",
    "OPTIM_WRAPPERS",
    "OPTIM_WRAPPER_CONSTRUCTORS",
    "PARAM_SCHEDULERS",
    "METRICS",
    "EVALUATOR",
    "TASK_UTILS",
    "VISUALIZERS",
    "VISBACKENDS",
    "LOG_PROCESSORS",
    "INFERENCERS",
    "FUNCTIONS",
    "BACKBONES",
    "NECKS",
    "HEADS",
    "LOSSES",
    "OPTIMIZER_BUILDERS",
]

#: The VisionBox scopes; ``visionbox.<scope>.registry`` defines each one's registries.
VISIONBOX_SCOPES = ("core", "detection", "segmentation", "pose", "tracking")


class ScopeNotInstalledError(UserError, ModuleNotFoundError):
    """A config names a VisionBox scope whose package is not installed."""


def import_scope(scope: str) -> None:
    """Import ``visionbox.<scope>.registry`` so that the scope's registries join the tree.

    Raises:
        ScopeNotInstalledError: naming the distribution to install when the package is missing.
    """
    try:
        import_module(f"visionbox.{scope}.registry")
    except ModuleNotFoundError as err:
        if err.name not in (f"visionbox.{scope}", f"visionbox.{scope}.registry"):
            raise
        raise ScopeNotInstalledError(
            f"The scope '{scope}' belongs to the package visionbox-{scope}, which is not "
            f"installed: pip install visionbox-{scope} (or ./packages/{scope} from the repository)."
        ) from err


class VisionBoxRegistry(Registry):
    """An mmengine ``Registry`` that knows the VisionBox scopes and explains failed builds.

    Differences from mmengine's registry:

    * ``'<scope>.Name'`` and a default scope of a VisionBox package import ``visionbox.<scope>``
      (mmengine would look for a top-level package ``<scope>``); a missing package fails with the
      distribution to install.
    * A parent's ``locations`` are imported too, so a task registry finds core's components.
    * ``build`` checks the type and the keywords first: an unknown type fails with the closest
      registered names, an unknown keyword with the accepted parameters and a "did you mean".
    * A package builds its own components from any default scope: when the default scope's
      registry does not know a type that this registry does, the type is built in this
      registry's scope (with its parts), as if the dict said ``_scope_``. So a detection
      assigner built by a tracking head still finds its ``BboxOverlaps2D``.
    * Another library's default scope (``'mmdet'`` while mmdetection runs in the same process)
      does not redirect a build: a VisionBox registry builds VisionBox's classes unless a dict
      names the other scope itself (``_scope_='mmdet'``, ``type='mmdet.ByteTracker'``).
    """

    def import_from_location(self) -> None:
        if isinstance(self.parent, VisionBoxRegistry):
            self.parent.import_from_location()
        super().import_from_location()

    def _scoped_registry(self, scope: str) -> Registry | None:
        import_scope(scope)
        return self._get_root_registry()._search_child(scope)

    def get(self, key: str) -> Any:
        scope, real_key = self.split_scope_key(key)
        if scope is not None and scope != self._scope and scope in VISIONBOX_SCOPES:
            registry = self._scoped_registry(scope)
            return None if registry is None else registry.get(real_key)
        return super().get(key)

    @contextmanager
    def switch_scope_and_registry(self, scope: str | None) -> Generator[Registry, None, None]:
        """mmengine's scope switch, for VisionBox scopes only.

        A VisionBox scope (given, or the current default scope) selects that VisionBox
        package's registry, imported from ``visionbox.<scope>``. Another library's scope that is
        only the current default (``'mmdet'`` set by mmdetection in the same process) is
        ignored: the registry builds its own classes. A foreign scope asked for explicitly
        (``_scope_='mmdet'``) switches as mmengine would.
        """
        with DefaultScope.overwrite_default_scope(scope):
            current = DefaultScope.get_current_instance()
            name = None if current is None else current.scope_name
            if name is None or name == self.scope:
                yield self
            elif name in VISIONBOX_SCOPES:
                found = self._scoped_registry(name)
                _filter_scope_import_warnings()
                yield self if found is None else found
            elif scope is None:
                yield self
            else:
                with super().switch_scope_and_registry(scope) as other:
                    yield other

    def build(self, cfg: dict, *args: Any, **kwargs: Any) -> Any:
        if isinstance(cfg, dict) and isinstance(cfg.get("type"), str):
            cfg = self._in_own_scope(cfg)
            self.check(cfg, extra=kwargs.get("default_args") or {})
        return super().build(cfg, *args, **kwargs)

    def _in_own_scope(self, cfg: dict) -> dict:
        """``cfg`` with ``_scope_`` set to this registry's scope when only this registry (and
        not the default scope's) knows its type; ``cfg`` itself otherwise."""
        if "_scope_" in cfg or self.split_scope_key(cfg["type"])[0] is not None:
            return cfg
        with self.switch_scope_and_registry(None) as registry:
            if registry is self or registry.get(cfg["type"]) is not None:
                return cfg
        if Registry.get(self, cfg["type"]) is None:
            return cfg
        scoped = copy.copy(cfg)
        scoped["_scope_"] = self.scope
        return scoped

    def check(self, cfg: dict, extra: Any = (), where: str = "") -> Any:
        """Resolve ``cfg['type']`` as ``build`` would and check its keywords; return the class."""
        with self.switch_scope_and_registry(cfg.get("_scope_")) as registry:
            obj = registry.get(cfg["type"])
            check_type_name(cfg["type"], obj, registry, where)
        check_kwargs(obj, cfg.keys(), extra, where)
        return obj


class ScopeImportFilter(logging.Filter):
    """Drop mmengine's "Failed to import `<scope>.registry`" warning for VisionBox scopes.

    mmengine's root registries switch to the default scope by importing ``<scope>.registry``
    and then finding the scope's registry in their tree. VisionBox's registries live in
    ``visionbox.<scope>.registry``, so the import fails although the registry is found; the
    warning is false for them. Records about other scopes pass. :class:`VisionBoxRunner`
    attaches this filter to its own logger, a switch into a VisionBox scope to mmengine's
    current logger.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or not str(record.msg).startswith("Failed to import"):
            return True
        current = DefaultScope.get_current_instance()
        name = None if current is None else current.scope_name
        return name not in VISIONBOX_SCOPES


_SCOPE_IMPORT_FILTER = ScopeImportFilter()


def _filter_scope_import_warnings() -> None:
    """Attach :class:`ScopeImportFilter` to mmengine's current logger (once per logger)."""
    logger = MMLogger.get_current_instance()
    if _SCOPE_IMPORT_FILTER not in logger.filters:
        logger.addFilter(_SCOPE_IMPORT_FILTER)


def _child(parent: Registry, locations: list[str]) -> VisionBoxRegistry:
    return VisionBoxRegistry(parent.name, parent=parent, scope="core", locations=locations)


# mmengine's root registries have no locations: its own components (hooks, loops, optimizers,
# schedulers, samplers, ...) register when their module is imported: core names those modules too.
_MODELS_AT = ["mmengine.model", "visionbox.core.models"]
_DATA_AT = ["mmengine.dataset", "visionbox.core.datasets"]
_RUNNER_AT = ["mmengine.runner", "visionbox.core.engine"]
_HOOKS_AT = ["mmengine.hooks", "visionbox.core.engine"]
_OPTIM_AT = ["mmengine.optim", "visionbox.core.optim"]
_EVAL_AT = ["mmengine.evaluator", "visionbox.core.evaluation"]
_VIS_AT = ["mmengine.visualization", "visionbox.core.visualization"]

RUNNERS = _child(MMENGINE_RUNNERS, _RUNNER_AT)
RUNNER_CONSTRUCTORS = _child(MMENGINE_RUNNER_CONSTRUCTORS, _RUNNER_AT)
LOOPS = _child(MMENGINE_LOOPS, _RUNNER_AT)
HOOKS = _child(MMENGINE_HOOKS, _HOOKS_AT)
STRATEGIES = _child(MMENGINE_STRATEGIES, _RUNNER_AT)
DATASETS = _child(MMENGINE_DATASETS, _DATA_AT)
DATA_SAMPLERS = _child(MMENGINE_DATA_SAMPLERS, _DATA_AT)
TRANSFORMS = _child(MMENGINE_TRANSFORMS, _DATA_AT)
MODELS = _child(MMENGINE_MODELS, _MODELS_AT)
MODEL_WRAPPERS = _child(MMENGINE_MODEL_WRAPPERS, _MODELS_AT)
WEIGHT_INITIALIZERS = _child(MMENGINE_WEIGHT_INITIALIZERS, _MODELS_AT)
OPTIMIZERS = _child(MMENGINE_OPTIMIZERS, _OPTIM_AT)
OPTIM_WRAPPERS = _child(MMENGINE_OPTIM_WRAPPERS, _OPTIM_AT)
OPTIM_WRAPPER_CONSTRUCTORS = _child(MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, _OPTIM_AT)
PARAM_SCHEDULERS = _child(MMENGINE_PARAM_SCHEDULERS, _OPTIM_AT)
METRICS = _child(MMENGINE_METRICS, _EVAL_AT)
EVALUATOR = _child(MMENGINE_EVALUATOR, _EVAL_AT)
TASK_UTILS = _child(MMENGINE_TASK_UTILS, _MODELS_AT)
VISUALIZERS = _child(MMENGINE_VISUALIZERS, _VIS_AT)
VISBACKENDS = _child(MMENGINE_VISBACKENDS, _VIS_AT)
LOG_PROCESSORS = _child(MMENGINE_LOG_PROCESSORS, _RUNNER_AT)
INFERENCERS = _child(MMENGINE_INFERENCERS, [])
FUNCTIONS = _child(MMENGINE_FUNCTIONS, _DATA_AT)

# Aliases of the older OpenMMLab toolboxes.
BACKBONES = NECKS = HEADS = LOSSES = MODELS
OPTIMIZER_BUILDERS = OPTIM_WRAPPER_CONSTRUCTORS


def child_registry(
    parent: VisionBoxRegistry, scope: str, locations: list[str]
) -> VisionBoxRegistry:
    """Return a task package's child of a core registry (used by ``visionbox.<task>.registry``)."""
    return VisionBoxRegistry(parent.name, parent=parent, scope=scope, locations=locations)
