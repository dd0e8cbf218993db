"""Every task's init_* takes a shipped config as 'scope::relative/path.py', as the Inferencers and
the visionbox command do, and names a config that does not exist."""

from __future__ import annotations

import pytest
from torch import nn

from visionbox.detection.apis import init_detector
from visionbox.pose.apis import init_model as init_pose_model
from visionbox.segmentation.apis import init_model as init_segmentor
from visionbox.tracking.apis import init_track_model

CASES = [
    (init_detector, "detection::shapes/faster-rcnn_r18_fpn_shapes.py"),
    (init_segmentor, "segmentation::shapes/fcn_r18-d8_shapes-256x256.py"),
    (init_pose_model, "pose::shapes/td-hm_res18-slim_shapes-96x128.py"),
    (init_track_model, "tracking::shapes/bytetrack_faster-rcnn_r18_fpn_shapes.py"),
]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize(("init", "config"), CASES, ids=[c[1].split("::")[0] for c in CASES])
def test_init_takes_a_scoped_config(init, config):
    model = init(config, device="cpu")
    assert isinstance(model, nn.Module) and not model.training


@pytest.mark.parametrize(("init", "config"), CASES, ids=[c[1].split("::")[0] for c in CASES])
def test_a_missing_config_is_named(init, config, tmp_path):
    missing = str(tmp_path / "no_such_config.py")
    with pytest.raises(FileNotFoundError, match="no_such_config.py"):
        init(missing, device="cpu")
