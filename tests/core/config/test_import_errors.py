"""An import error inside a user's module shows its own message and file, never "unknown type".

Only a missing registration reads as "unknown type, did you mean"; a module named in
``custom_imports`` (or by a dotted ``type``) that exists but fails while importing reports its
error and the file and line that raised it.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from visionbox.core.config import Config, ConfigValidationError, CustomImportError, validate_config


@pytest.fixture
def broken_module(tmp_path, monkeypatch):
    """A package ``vb_broken_plugin`` on sys.path whose import fails inside its heads module."""
    package = tmp_path / "vb_broken_plugin"
    package.mkdir()
    (package / "__init__.py").write_text("from .heads import BrokenHead\n")
    (package / "heads.py").write_text(
        textwrap.dedent(
            """
            from visionbox.core.registry import MODELS
            from vb_no_such_dependency_xyz import helper  # the user's real problem


            @MODELS.register_module()
            class BrokenHead:
                def __init__(self, num_classes: int = 1) -> None:
                    self.num_classes = num_classes
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield package
    for name in [m for m in sys.modules if m.startswith("vb_broken_plugin")]:
        del sys.modules[name]


def _config(tmp_path, body: str):
    path = tmp_path / "cfg.py"
    path.write_text(textwrap.dedent(body))
    return path


@pytest.mark.parametrize("allow_failed", [False, True])
def test_custom_import_failing_inside_names_its_error_and_file(
    tmp_path, broken_module, allow_failed
):
    path = _config(
        tmp_path,
        f"""
        custom_imports = dict(imports=['vb_broken_plugin'], allow_failed_imports={allow_failed})
        model = dict(type='BrokenHead')
        """,
    )
    with pytest.raises(CustomImportError) as info:
        Config.fromfile(path)
    message = str(info.value)
    assert "vb_no_such_dependency_xyz" in message
    assert str(broken_module / "heads.py") in message and "line 3" in message
    assert "did you mean" not in message.lower()
    assert isinstance(info.value, ImportError)


def test_missing_custom_import_says_not_found(tmp_path):
    path = _config(tmp_path, "custom_imports = dict(imports=['vb_absent_plugin_xyz'])\n")
    with pytest.raises(CustomImportError, match="'vb_absent_plugin_xyz' not found"):
        Config.fromfile(path)
    allowed = _config(
        tmp_path,
        "custom_imports = dict(imports=['vb_absent_plugin_xyz'], allow_failed_imports=True)\n",
    )
    assert Config.fromfile(allowed).custom_imports.allow_failed_imports is True


def test_dotted_type_whose_module_fails_reports_the_import_error(broken_module):
    cfg = dict(model=dict(type="vb_broken_plugin.BrokenHead", num_classes=2))
    with pytest.raises(ConfigValidationError) as info:
        validate_config(cfg)
    message = str(info.value)
    assert "importing 'vb_broken_plugin' failed" in message
    assert "vb_no_such_dependency_xyz" in message and str(broken_module / "heads.py") in message
    assert "Unknown" not in message and "did you mean" not in message.lower()
    assert len(info.value.errors) == 1


def test_a_name_nobody_registers_still_reads_as_unknown():
    with pytest.raises(ConfigValidationError, match="Unknown .*'VBNoSuchBackboneXYZ'"):
        validate_config(dict(model=dict(type="VBNoSuchBackboneXYZ")))
    with pytest.raises(ConfigValidationError, match="Unknown .*vb_absent_module_xyz.Head"):
        validate_config(dict(model=dict(type="vb_absent_module_xyz.Head")))
