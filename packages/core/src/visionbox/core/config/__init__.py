"""VisionBox configuration system built on :class:`mmengine.config.Config`.

* :class:`Config` loads ``.py``/``.yaml``/``.json`` configs with everything of mmengine
  (``_base_``, ``_delete_``, ``{{_base_.x}}``, ``custom_imports``, ``--cfg-options``) and
  ``scope::relative/path.py`` bases that name the configs shipped inside another installed
  VisionBox package.
* :func:`validate_config` (and :meth:`Config.validate`) checks every ``type``, keyword and value
  against the registries before anything is built.
* :func:`convert_legacy_keys` turns OpenMMLab 2.x keys into their mmengine form.
* :func:`translate_openmmlab` reads the scopes of an mmdetection / mmsegmentation / mmpose /
  mmtracking config (``default_scope='mmdet'``, ``'mmdet.X'``, ``'mmdet::'`` bases) as VisionBox's.
"""

from __future__ import annotations

from mmengine.config import ConfigDict, DictAction

from .config import Config
from .legacy import LegacyConfigWarning, convert_legacy_keys
from .openmmlab import PEER_SCOPES, CustomImportError, translate_openmmlab
from .scoped import config_path, config_root, resolve_scoped_path
from .validate import ConfigValidationError, validate_config

__all__ = [
    "Config",
    "ConfigDict",
    "ConfigValidationError",
    "CustomImportError",
    "DictAction",
    "LegacyConfigWarning",
    "PEER_SCOPES",
    "config_path",
    "config_root",
    "convert_legacy_keys",
    "resolve_scoped_path",
    "translate_openmmlab",
    "validate_config",
]
