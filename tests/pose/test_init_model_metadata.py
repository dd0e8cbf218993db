"""`init_model` without a checkpoint reads the keypoint metadata of the config's test dataset;
when that file is not where the config says, it warns (naming it) before falling back to COCO's."""

from __future__ import annotations

import pytest

from visionbox.pose.apis import init_model

SHAPES = "pose::shapes/td-hm_res18-slim_shapes-96x128.py"


def test_missing_metainfo_file_is_named_in_a_warning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the config's data/shapes_pose/dataset_info.py is not here
    with pytest.warns(UserWarning, match="dataset_info.py"):
        model = init_model(SHAPES, device="cpu")
    assert model.dataset_meta["num_keypoints"] == 17
    assert model.dataset_meta["dataset_name"] == "coco"


def test_metainfo_file_present_is_read_without_warning(tmp_path, monkeypatch):
    from visionbox.core.datasets.shapes import make_shapes

    monkeypatch.chdir(tmp_path)
    make_shapes("pose", "data/shapes_pose", num_train=1, num_val=1)
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*keypoint metadata.*")
        model = init_model(SHAPES, device="cpu")
    assert model.dataset_meta["num_keypoints"] != 17
