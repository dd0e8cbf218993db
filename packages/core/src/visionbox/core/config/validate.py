"""Validation of a whole config before anything is built.

:func:`validate_config` walks the config. Every dict with a ``type`` is resolved in the registry of
its role (chosen from its key path, in the scope ``default_scope`` names, or in its own
``_scope_``), its keywords are checked against the registered constructor's signature, and its
values against the constructor's type hints (see :mod:`.typecheck`). All problems are reported
together, each with its key path (``model.backbone.depth``).

Roles by key path:

========================================  ==================================================
key                                       registry
========================================  ==================================================
``model``, ``tta_model``                  MODELS; inside a model: ``backbone``, ``neck``,
                                          ``*head``, ``loss*``, ``data_preprocessor`` ...
                                          MODELS; ``assigner``, ``sampler``, ``*_coder``,
                                          ``*_generator`` TASK_UTILS; ``init_cfg``
                                          WEIGHT_INITIALIZERS; other keys: MODELS, TASK_UTILS,
                                          then every registry
``*_dataloader``                          torch ``DataLoader`` keywords; ``dataset`` DATASETS,
                                          ``sampler``/``batch_sampler`` DATA_SAMPLERS,
                                          ``collate_fn`` FUNCTIONS
``pipeline``, ``*_pipeline``              TRANSFORMS
``optim_wrapper``                         OPTIM_WRAPPERS (``constructor``:
                                          OPTIM_WRAPPER_CONSTRUCTORS, ``optimizer``: OPTIMIZERS)
``param_scheduler``                       PARAM_SCHEDULERS
``*_evaluator``                           METRICS (EVALUATOR when it has ``metrics``)
``default_hooks``, ``custom_hooks``       HOOKS
``visualizer`` / ``vis_backends``         VISUALIZERS / VISBACKENDS
``train_cfg``, ``val_cfg``, ``test_cfg``  LOOPS
``log_processor``                         LOG_PROCESSORS
========================================  ==================================================

A type that cannot be found fails only where the role is known ("strict" roles); where the role is
unknown every registry is searched and an unknown type is left to the code that uses it (a
``nms=dict(type='nms')`` or an albumentations transform is no registered class).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from mmengine.optim.scheduler.param_scheduler import _ParamScheduler
from mmengine.registry import DefaultScope
from torch.utils.data import DataLoader

from .. import registry as vb_registry
from ..utils import UserError, check_kwargs, check_type_name
from .openmmlab import raising_site
from .roles import ALL_REGISTRIES, Role, child_role, top_level_role
from .typecheck import check_value, param_hints

__all__ = ["ConfigValidationError", "validate_config"]

_RESERVED = ("type", "_scope_")
_MMENGINE_COMPONENTS = (
    "mmengine.dataset",
    "mmengine.evaluator",
    "mmengine.hooks",
    "mmengine.model",
    "mmengine.optim",
    "mmengine.runner",
    "mmengine.visualization",
)
_DATALOADER_EXTRA = ("num_batch_per_epoch", "disable_subprocess_warning")


class ConfigValidationError(UserError, ValueError):
    """A config names unknown types or keywords, or values of the wrong kind.

    Attributes:
        errors: One message per problem, each naming its key path.
    """

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        count = f"{len(errors)} problem{'s' if len(errors) > 1 else ''}"
        super().__init__(f"Invalid config ({count}):\n" + "\n".join(f"  - {e}" for e in errors))


@dataclass
class _Walker:
    errors: list[str] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # types whose module failed to import

    def walk(self, value: Any, path: str, role: Role) -> None:
        if role.context == "skip":
            return
        if isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                self.walk(item, f"{path}[{index}]", role)
            return
        if not isinstance(value, dict):
            return
        obj = self.resolve(value, path, role)
        if role.context == "dataloader":
            self.check_keywords(DataLoader, value, path, _DATALOADER_EXTRA)
        # A dict's ``_scope_`` holds for everything built inside it, as in mmengine's builders.
        with DefaultScope.overwrite_default_scope(value.get("_scope_")):
            for key, child in value.items():
                if key in _RESERVED:
                    continue
                self.walk(child, f"{path}.{key}", child_role(role.context, key))
        if obj is not None:
            self.check_values(obj, value, path)

    def resolve(self, cfg: dict, path: str, role: Role) -> Any:
        """Find the class of ``cfg`` and check its keywords; return it when sure, else ``None``."""
        type_name = cfg.get("type")
        if type_name is None and role.implied is not None:
            type_name = role.implied(cfg)
        if role.context == "optim_wrapper" and "constructor" in cfg:
            self.resolve_name(
                cfg["constructor"], f"{path}.constructor", "OPTIM_WRAPPER_CONSTRUCTORS"
            )
        if type_name is None:
            return None
        if not isinstance(type_name, str):
            return self.check_keywords(type_name, cfg, path, role.extra)
        scope = cfg.get("_scope_")
        if role.strict:
            obj = self.first(role.registries, type_name, scope, path)
            if obj is None:
                self.unknown_type(type_name, role.registries[0], scope, path)
                return None
            return self.check_keywords(obj, cfg, path, role.extra)
        # Unknown or loose role: accept the type when any registry has a class it fits.
        preferred = self.first(role.registries, type_name, scope, path)
        others = [self.lookup(n, type_name, scope, path) for n in ALL_REGISTRIES]
        candidates = list(dict.fromkeys(o for o in [preferred, *others] if o is not None))
        errors = [self.keyword_error(obj, cfg, path, role.extra) for obj in candidates]
        if candidates and all(errors):
            self.errors.append(errors[0])
        return preferred if preferred is not None and not errors[0] else None

    def is_model(self, cfg: dict) -> bool:
        """Whether ``cfg`` names a type registered in MODELS (in its ``_scope_``)."""
        type_name = cfg.get("type")
        if not isinstance(type_name, str):
            return False
        try:  # a missing scope is reported when the dict itself is walked
            with vb_registry.MODELS.switch_scope_and_registry(cfg.get("_scope_")) as registry:
                return registry.get(type_name) is not None
        except vb_registry.ScopeNotInstalledError:
            return False

    def first(self, names: tuple[str, ...], type_name: str, scope: str | None, path: str) -> Any:
        for name in names:
            obj = self.lookup(name, type_name, scope, path)
            if obj is not None:
                return obj
        return None

    def resolve_name(self, name: Any, path: str, registry_name: str) -> None:
        if isinstance(name, str) and self.lookup(registry_name, name, None, path) is None:
            self.unknown_type(name, registry_name, None, path)

    def lookup(self, registry_name: str, type_name: str, scope: str | None, path: str) -> Any:
        """The class ``type_name`` names in a registry, or ``None`` when nothing registers it.

        Only a missing registration reads as ``None``: an error raised while a registry imports
        its modules (or while a dotted ``'module.Class'`` type imports its module) propagates
        with its own message, or is reported with the file and line that raised it.
        """
        root = getattr(vb_registry, registry_name)
        try:
            with root.switch_scope_and_registry(scope) as registry:
                found = registry.get(type_name)
        except vb_registry.ScopeNotInstalledError as err:
            self.errors.append(f"{path}: {err}")
            return None
        except RuntimeError as err:  # mmengine's "Failed to get <name>" hides an import error
            cause = err.__context__ or err
            self.errors.append(f"{path}: type {type_name!r}: {raising_site(cause)}")
            self.broken.add(type_name)
            return None
        if found is None:
            failure = _module_import_failure(type_name)
            if failure:
                self.errors.append(f"{path}: type {type_name!r}: {failure}")
                self.broken.add(type_name)
        return found

    def unknown_type(
        self, type_name: str, registry_name: str, scope: str | None, path: str
    ) -> None:
        if type_name in self.broken:
            return  # its import error is reported instead
        root = getattr(vb_registry, registry_name)
        with root.switch_scope_and_registry(scope) as registry:
            try:
                check_type_name(type_name, None, registry, where=path)
            except KeyError as err:
                self.errors.append(err.args[0])

    @staticmethod
    def keyword_error(obj: Any, cfg: dict, path: str, extra: tuple[str, ...]) -> str:
        try:
            check_kwargs(_forwarded_signature(obj), cfg.keys(), extra, where=path)
        except TypeError as err:
            return str(err)
        return ""

    def check_keywords(self, obj: Any, cfg: dict, path: str, extra: tuple[str, ...]) -> Any:
        error = self.keyword_error(obj, cfg, path, extra)
        if error:
            self.errors.append(error)
            return None
        return obj

    def check_values(self, obj: Any, cfg: dict, path: str) -> None:
        for key, hint, default in _parameters(obj, cfg):
            problem = check_value(cfg[key], hint, default)
            if problem:
                name = getattr(obj, "__name__", repr(obj))
                self.errors.append(f"{path}.{key}: {problem} (argument {key!r} of {name})")


def _module_import_failure(type_name: str) -> str:
    """Why the module of a dotted ``'package.module.Class'`` type fails to import ('' if it
    imports or does not exist: then the name is simply not there).

    mmengine's ``Registry.get`` imports such names and reads every ``ImportError`` as "not
    found"; an error raised inside a module that exists is the user's real problem.
    """
    parts = type_name.split(".")
    if len(parts) < 2 or parts[0] in vb_registry.VISIONBOX_SCOPES:
        return ""
    for end in range(1, len(parts)):
        module = ".".join(parts[:end])
        try:
            import_module(module)
        except ModuleNotFoundError as err:
            if err.name is not None and (module == err.name or module.startswith(err.name + ".")):
                return ""  # no such module: an unregistered name, reported as unknown
            return f"importing {module!r} failed: {raising_site(err)}"
        except Exception as err:
            return f"importing {module!r} failed: {raising_site(err)}"
    return ""


def _forwarded_signature(obj: Any) -> Any:
    """``obj``, or a stand-in whose signature joins the ``__init__`` chain of a scheduler mixin.

    mmengine's schedulers (``MultiStepLR``) take ``(optimizer, *args, **kwargs)`` in a mixin and
    forward everything to the parameter scheduler's ``__init__``; following the chain while each
    ``__init__`` forwards ``**kwargs`` recovers the keywords they accept.
    """
    if not (inspect.isclass(obj) and issubclass(obj, _ParamScheduler)):
        return obj
    params: dict[str, inspect.Parameter] = {}
    for klass in obj.__mro__:
        if "__init__" not in vars(klass):
            continue
        init = vars(klass)["__init__"]
        signature = inspect.signature(init)
        hints = param_hints(init)
        for name, param in signature.parameters.items():
            if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY) and name != "self":
                hint = hints.get(name, inspect.Parameter.empty)
                params.setdefault(name, param.replace(kind=param.KEYWORD_ONLY, annotation=hint))
        if not any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
            break
    else:
        return obj
    params.pop("param_name", None)

    def stand_in() -> None:
        return None

    stand_in.__signature__ = inspect.Signature(list(params.values()))  # type: ignore[attr-defined]
    stand_in.__name__ = obj.__name__
    return stand_in


def _parameters(obj: Any, cfg: dict) -> Iterator[tuple[str, Any, Any]]:
    target = _forwarded_signature(obj)
    if target is not obj:
        signature = target.__signature__
        hints = {name: p.annotation for name, p in signature.parameters.items()}
    else:
        try:
            signature = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
        except (TypeError, ValueError):
            return
        hints = param_hints(obj)
    for name, param in signature.parameters.items():
        if name in cfg and name not in _RESERVED:
            yield name, hints.get(name, inspect.Parameter.empty), param.default


def _register_mmengine_components() -> None:
    """Import mmengine's components (hooks, loops, optimizers, ...) as a ``Runner`` would.

    mmengine's root registries have no ``locations``: their classes register when the modules
    are imported. A config is checked against what the ``Runner`` will see.
    """
    for module in _MMENGINE_COMPONENTS:
        import_module(module)


def validate_config(cfg: Any) -> None:
    """Check every ``type``, keyword and value of ``cfg`` against the registries.

    Args:
        cfg: A :class:`~visionbox.core.config.Config` or a plain dict of one.

    Raises:
        ConfigValidationError: listing every problem with its key path, the closest registered
            names and the accepted parameters.
    """
    data = cfg._cfg_dict if hasattr(cfg, "_cfg_dict") else cfg
    _register_mmengine_components()
    walker = _Walker()
    with DefaultScope.overwrite_default_scope(data.get("default_scope")):
        for key, value in data.items():
            walker.walk(value, key, top_level_role(key, value, walker.is_model))
    if walker.errors:
        raise ConfigValidationError(list(dict.fromkeys(walker.errors)))
