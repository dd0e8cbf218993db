"""RetinaNet and FCOS: point generator and distance coder, heads on empty and non-empty ground
truth, post-processing, detectors' gradient contract, config sizes and a short training."""

from __future__ import annotations

import torch

from visionbox.detection.registry import TASK_UTILS


def test_point_generator_layout_matches_a_direct_grid():
    gen = TASK_UTILS.build(dict(type="MlvlPointGenerator", strides=[8, (16, 32)], offset=0.5))
    p0, p1 = gen.grid_priors([(2, 3), (1, 2)])
    assert p0.tolist() == [[4, 4], [12, 4], [20, 4], [4, 12], [12, 12], [20, 12]]
    assert p1.tolist() == [[8, 16], [24, 16]]
    with_stride = gen.grid_priors([(2, 3), (1, 2)], with_stride=True)[1]
    assert with_stride[:, 2:].tolist() == [[16, 32], [16, 32]]
    flags = gen.valid_flags([(2, 3), (1, 2)], pad_shape=(8, 9))
    assert flags[0].tolist() == [True, True, False, False, False, False]
    sparse = gen.sparse_priors(torch.tensor([1, 5]), (2, 3), 0)
    assert torch.equal(sparse, p0[[1, 5]])
    corner = TASK_UTILS.build(dict(type="MlvlPointGenerator", strides=[8], offset=0.0))
    assert corner.grid_priors([(1, 2)])[0].tolist() == [[0, 0], [8, 0]]


def test_distance_coder_round_trip_and_clip():
    coder = TASK_UTILS.build(dict(type="DistancePointBBoxCoder"))
    points = torch.tensor([[10.0, 12.0], [30.0, 5.0]])
    boxes = torch.tensor([[2.0, 4.0, 20.0, 30.0], [25.0, 1.0, 40.0, 9.0]])
    dist = coder.encode(points, boxes)
    assert dist[0].tolist() == [8.0, 8.0, 10.0, 18.0]
    assert torch.allclose(coder.decode(points, dist), boxes)
    clipped = coder.decode(points[None].repeat(2, 1, 1), dist[None].repeat(2, 1, 1), [(20, 35)] * 2)
    assert clipped[1, 0].tolist() == [2.0, 4.0, 20.0, 20.0]
    assert clipped[1, 1].tolist() == [25.0, 1.0, 35.0, 9.0]
    assert coder.encode(points, boxes, max_dis=9.0).max() <= 8.9 + 1e-6
