"""The RTMDet Shapes demos (@slow): tools/detection/train.py + test.py on the full Shapes set,
boxes with RTMDet-tiny and instance masks with RTMDet-Ins-tiny, each reaching its stated AP
(the figures and CPU times are in the detection README)."""

from __future__ import annotations

import pytest

from .test_end_to_end import test_shapes_demos_reach_their_map as _train_test_and_check


@pytest.mark.slow
@pytest.mark.parametrize(
    ("config", "key", "minimum"),
    [
        ("shapes/rtmdet_tiny_shapes.py", "coco/bbox_mAP", 0.7),
        ("shapes/rtmdet-ins_tiny_shapes.py", "coco/segm_mAP", 0.5),
    ],
)
def test_rtmdet_shapes_demo_reaches_its_map(tmp_path, config, key, minimum):
    _train_test_and_check(tmp_path, config, key, minimum)
