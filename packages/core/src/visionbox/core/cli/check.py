"""``visionbox check CONFIG``: validate a config and build its model, without data or training."""

from __future__ import annotations

import copy

from ..config import Config
from .tasks import config_path, find_task

__all__ = ["check_config"]


def _drop_pretrained(model_cfg: dict) -> None:
    """Pretrained weights are not read: only the architecture is checked."""
    model_cfg.pop("pretrained", None)
    for value in model_cfg.values():
        if isinstance(value, dict):
            if "init_cfg" in value:
                value["init_cfg"] = None
            _drop_pretrained(value)


def check_config(config: str, cfg_options: dict | None = None) -> str:
    """Validate ``config`` (types, keywords, "did you mean") and build its model.

    Returns:
        One line: the config, its task, the model type and its parameter counts.

    Raises:
        ConfigValidationError: naming the bad key, with the allowed names.
    """
    from ..engine import load_config
    from ..registry import MODELS

    path = config_path(config)
    task = find_task(Config.fromfile(path))
    cfg = load_config(path, cfg_options, default_scope=task)
    validate = getattr(cfg, "validate", None)
    if callable(validate):
        validate()
    model_cfg = copy.deepcopy(cfg.model)
    _drop_pretrained(model_cfg)
    with MODELS.switch_scope_and_registry(cfg.default_scope) as registry:
        model = registry.build(model_cfg)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return (
        f"{config}: valid {task} config; {type(model).__name__} with {total:,} parameters "
        f"({trainable:,} trainable)"
    )
