"""The end-to-end wrapper of a model: each task package contributes its own.

A task package registers, in its ``deploy`` module, a builder ``fn(model, **options) ->
nn.Module`` for its scope with :func:`register_end2end`. :func:`end2end` finds the builder of a
model from the package that defines the model's class (``visionbox.detection...`` ->
``'detection'``), importing ``visionbox.<task>.deploy`` only then.

A wrapper's ``forward`` takes the preprocessed (N, 3, H, W) float tensor and returns a tuple of
tensors named by its ``output_names`` attribute.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from torch import nn

from ..registry import VISIONBOX_SCOPES
from ..utils.errors import UserError

__all__ = ["register_end2end", "end2end", "END2END_BUILDERS", "scope_of"]

#: Scope -> builder of the end-to-end wrapper of that scope's models.
END2END_BUILDERS: dict[str, Callable[..., nn.Module]] = {}


def register_end2end(scope: str) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator registering ``fn(model, **options) -> nn.Module`` for ``scope``'s models."""

    def wrap(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        END2END_BUILDERS[scope] = fn
        return fn

    return wrap


def scope_of(model: nn.Module) -> str | None:
    """The VisionBox scope of the package defining ``type(model)``, or ``None``."""
    parts = type(model).__module__.split(".")
    if len(parts) > 1 and parts[0] == "visionbox" and parts[1] in VISIONBOX_SCOPES:
        return parts[1]
    return None


def end2end(model: nn.Module, scope: str | None = None, **options) -> nn.Module:
    """The end-to-end wrapper of ``model`` (in eval mode), from its task package.

    Args:
        model: A VisionBox task model (detector, segmentor, pose estimator, tracker, ...).
        scope: The task whose builder to use (default: the package defining the model's class).
        **options: Passed to the task's builder (e.g. ``component='reid'`` for trackers).

    Raises:
        UserError: No task package provides an end-to-end export for this model.
    """
    scope = scope or scope_of(model)
    if scope is None:
        raise UserError(
            f"{type(model).__name__} is not a VisionBox task model; end-to-end export knows "
            f"the models of {', '.join(s for s in VISIONBOX_SCOPES if s != 'core')}"
        )
    if scope not in END2END_BUILDERS:
        try:
            import_module(f"visionbox.{scope}.deploy")
        except ModuleNotFoundError as err:
            if err.name not in (f"visionbox.{scope}", f"visionbox.{scope}.deploy"):
                raise
    if scope not in END2END_BUILDERS:
        raise UserError(f"the {scope} package provides no end-to-end export")
    return END2END_BUILDERS[scope](model.eval(), **options).eval()
