"""The VisionBox :class:`Config`: mmengine's config plus scopes, legacy keys and validation."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mmengine.config import Config as _MMConfig

from .legacy import convert_legacy_keys
from .openmmlab import import_custom_modules as import_custom_modules_of
from .openmmlab import log_translation, translate_openmmlab
from .scoped import OPENMMLAB_SCOPES, visionbox_scopes
from .validate import validate_config

__all__ = ["Config"]


class Config(_MMConfig):
    """A config of VisionBox: everything of :class:`mmengine.config.Config`, and

    * ``_base_ = '<scope>::<relative path>'`` inherits a config shipped inside another installed
      VisionBox package (``'detection::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'``);
    * the OpenMMLab 2.x keys (``optimizer``, ``optimizer_config``, ``lr_config``, ``runner``,
      ``total_epochs``, ...) are converted to their mmengine form with one warning each
      (:func:`~visionbox.core.config.convert_legacy_keys`);
    * :meth:`validate` checks every ``type``, keyword and value against the registries before
      anything is built;
    * a config written for mmdetection / mmsegmentation / mmpose / mmtracking 3.x loads
      unchanged: its scopes (``default_scope='mmdet'``, ``type='mmdet.FasterRCNN'``,
      ``'mmdet::...'`` bases, ``custom_imports`` of ``mmdet.*``) are read as VisionBox's, with
      one info line (:mod:`~visionbox.core.config.openmmlab`).

    Example:
        >>> cfg = Config.fromfile('configs/retinanet_r50_fpn_1x_shapes.py')
        >>> cfg.merge_from_dict({'train_cfg.max_epochs': 2})
        >>> cfg.validate()
    """

    def __init__(
        self,
        cfg_dict: dict | None = None,
        cfg_text: str | None = None,
        filename: str | Path | None = None,
        env_variables: dict | None = None,
        format_python_code: bool = True,
    ) -> None:
        super().__init__(
            cfg_dict,
            cfg_text=cfg_text,
            filename=filename,
            env_variables=env_variables,
            format_python_code=format_python_code,
        )
        convert_legacy_keys(self._cfg_dict)
        log_translation(translate_openmmlab(self._cfg_dict), filename and str(filename))

    @classmethod
    def fromfile(  # type: ignore[override]
        cls,
        filename: str | Path,
        use_predefined_variables: bool = True,
        import_custom_modules: bool = True,
        use_environment_variables: bool = True,
        lazy_import: bool | None = None,
        format_python_code: bool = True,
    ) -> Config:
        """Load a ``.py``, ``.yaml`` or ``.json`` config with its ``_base_`` chain.

        Raises:
            FileNotFoundError: naming the missing file (a ``scope::`` base also names the
                closest shipped configs).
            ScopeNotInstalledError: when a ``scope::`` base names a package that is not installed.
            CustomImportError: when a ``custom_imports`` module is missing or fails to import
                (naming the module, its error and the file and line that raised it).
        """
        filename = os.fspath(filename)
        if not os.path.isfile(filename):
            raise FileNotFoundError(f"Config file not found: {os.path.abspath(filename)}")
        with visionbox_scopes() as peer_bases:
            loaded = _MMConfig.fromfile(
                filename,
                use_predefined_variables=use_predefined_variables,
                import_custom_modules=False,
                use_environment_variables=use_environment_variables,
                lazy_import=lazy_import,
                format_python_code=format_python_code,
            )
            peer_bases = list(peer_bases)
        mapped = translate_openmmlab(loaded._cfg_dict)
        mapped += [f"{s} -> {OPENMMLAB_SCOPES[s]}" for s in peer_bases]
        log_translation(sorted(set(mapped)), filename)
        custom_imports = loaded._cfg_dict.get("custom_imports")
        if import_custom_modules and custom_imports:
            import_custom_modules_of(custom_imports)
        return cls._from_mmengine(loaded)

    @classmethod
    def fromstring(cls, cfg_str: str, file_format: str) -> Config:  # type: ignore[override]
        """Build a config from text in ``file_format`` (``.py``, ``.yaml``, ``.json``)."""
        if file_format not in (".py", ".json", ".yaml", ".yml"):
            raise OSError(f"Config format must be .py, .json, .yaml or .yml, got {file_format!r}.")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"config{file_format}"
            path.write_text(cfg_str, encoding="utf-8")
            return cls.fromfile(path)

    @classmethod
    def _from_mmengine(cls, loaded: _MMConfig) -> Config:
        cfg = cls(
            loaded._cfg_dict,
            cfg_text=loaded.text,
            filename=loaded.filename,
            env_variables=loaded.env_variables,
            format_python_code=loaded._format_python_code,
        )
        object.__setattr__(cfg, "_imported_names", loaded._imported_names)
        return cfg

    def validate(self) -> Config:
        """Check every ``type``, keyword and value against the registries; return ``self``.

        Raises:
            ConfigValidationError: listing every problem with its key path.
        """
        validate_config(self)
        return self
