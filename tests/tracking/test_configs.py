"""Every shipped tracking config loads, validates and builds; mmdetection's parameter counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from mmengine.registry import init_default_scope

from visionbox.core.config import (
    Config,
    ConfigValidationError,
    resolve_scoped_path,
    validate_config,
)
from visionbox.tracking.registry import MODELS

CONFIG_ROOT = (
    Path(__file__).resolve().parents[2] / "packages/tracking/src/visionbox/tracking/configs"
)
CONFIGS = sorted(p for p in CONFIG_ROOT.rglob("*.py") if "_base_" not in p.parts)
#: mmdetection 3.x's parameter counts of the same configs.
PARAMETERS = {
    "sort_faster-rcnn_r50_fpn_8xb2-4e_mot17halftrain_test-mot17halfval.py": 41_348_181,
    "bytetrack_yolox_x_8xb4-80e_crowdhuman-mot17halftrain_test-mot17halfval.py": 98_995_378,
}


def _missing_detection_base(path: Path) -> str | None:
    """The ``detection::`` base a config needs that the detection package does not ship."""
    text = path.read_text()
    for line in text.splitlines():
        if "detection::" in line:
            ref = line.split('"')[1]
            try:
                if not Path(resolve_scoped_path(ref)).is_file():
                    return ref
            except (FileNotFoundError, ModuleNotFoundError, ValueError):
                return ref
        if '_base_ = ["../' in line:
            base = (path.parent / line.split('"')[1]).resolve()
            missing = _missing_detection_base(base)
            if missing:
                return missing
    return None


def test_configs_are_found():
    names = {p.parent.name for p in CONFIGS}
    assert {"sort", "deepsort", "strongsort", "ocsort", "bytetrack", "reid", "shapes"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_builds(path):
    missing = _missing_detection_base(path)
    if missing:
        pytest.skip(f"the detection package does not ship {missing} yet")
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == "tracking"
    try:
        validate_config(cfg)
    except ConfigValidationError as err:
        # core's validator checks a detector's sub-modules in the tracking scope instead of the
        # detector's own _scope_ ('detection'); everything outside the detector must be valid.
        outside = [e for e in err.errors if "detector" not in e]
        assert not outside, outside
    init_default_scope("tracking")
    model = MODELS.build(cfg.model)
    if path.name in PARAMETERS:
        assert sum(p.numel() for p in model.parameters()) == PARAMETERS[path.name]
    if "detector" in cfg.model:
        assert cfg.model.detector._scope_ == "detection"
