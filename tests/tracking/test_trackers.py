"""Tracker scenarios: crossing objects keep their ids, ByteTrack recovers an occluded object
through low-score detections, new objects get new ids, lost tracks are dropped."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from visionbox.tracking.registry import MODELS
from visionbox.tracking.structures import FrameDataSample

TRACKERS = ["SORTTracker", "ByteTracker", "OCSORTTracker", "StrongSORTTracker", "QuasiDenseTracker"]


def frame(frame_id, boxes, scores, embeds=None, labels=None):
    sample = FrameDataSample(metainfo=dict(frame_id=frame_id))
    pred = InstanceData()
    pred.bboxes = torch.tensor(np.asarray(boxes, np.float32).reshape(-1, 4))
    pred.scores = torch.tensor(np.asarray(scores, np.float32))
    pred.labels = (
        torch.zeros(len(pred.scores), dtype=torch.long) if labels is None else torch.tensor(labels)
    )
    if embeds is not None:
        pred.embeds = torch.tensor(np.asarray(embeds, np.float32))
    sample.pred_instances = pred
    return sample


def box(cx, cy, size=30.0):
    return [cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2]


def build(name, **kwargs):
    cfg = dict(type=name, **kwargs)
    if name in ("SORTTracker", "StrongSORTTracker"):
        cfg.setdefault("obj_score_thr", 0.3)
        cfg.setdefault("match_iou_thr", 0.3)
    return MODELS.build(cfg)


EMBEDS = np.eye(4, 8, dtype=np.float32) * 10


def ids_of(result):
    return result.instances_id.tolist()


@pytest.mark.parametrize("name", TRACKERS)
def test_crossing_objects_keep_their_ids(name):
    tracker = build(name)
    history = []
    for t in range(40):
        a, b = box(20 + 6 * t, 100), box(254 - 6 * t, 104)
        res = tracker.track(frame(t, [a, b], [0.9, 0.9], EMBEDS[:2]))
        assert len(res) == 2
        ids = ids_of(res)
        order = np.argsort(res.bboxes[:, 0].numpy())  # leftmost box first
        # object a is the left one before crossing and the right one after
        history.append([ids[i] for i in (order if t < 20 else order[::-1])])
    first = history[0]
    assert first[0] != first[1]
    assert all(h == first for h in history), history


@pytest.mark.parametrize("name", TRACKERS)
def test_new_object_gets_a_new_id(name):
    tracker = build(name)
    seen = set()
    for t in range(12):
        boxes, scores, embeds = [box(40 + 2 * t, 60)], [0.9], [EMBEDS[0]]
        if t >= 6:
            boxes.append(box(200, 200 - 2 * t))
            scores.append(0.95)
            embeds.append(EMBEDS[1])
        res = tracker.track(frame(t, boxes, scores, np.array(embeds)))
        ids = ids_of(res)
        if t < 6:
            assert len(ids) == 1
            seen.add(ids[0])
        else:
            first = ids[int(np.argmin(res.bboxes[:, 1].numpy()))]
            assert first in seen and len(seen) == 1
            second = [i for i in ids if i != first]
            assert len(second) == 1 and second[0] not in seen


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("name", TRACKERS)
def test_results_keep_the_detections_float_type(name, dtype):
    """Boxes and scores come back in the detections' dtype (float16 / 32 / 64 as views of the
    tracker's arrays, other types through ``torch.as_tensor``), labels and ids as int64."""
    tracker = build(name)
    for t in range(3):
        sample = frame(t, [box(50 + 2 * t, 50), box(150, 80 + 3 * t)], [0.9, 0.8], EMBEDS[:2])
        pred = sample.pred_instances
        pred.bboxes, pred.scores = pred.bboxes.to(dtype), pred.scores.to(dtype)
        res = tracker.track(sample)
    assert res.bboxes.dtype == res.scores.dtype == dtype and res.bboxes.shape == (2, 4)
    assert res.labels.dtype == res.instances_id.dtype == torch.long
    assert sorted(ids_of(res)) == [0, 1]
    torch.testing.assert_close(res.bboxes.float(), pred.bboxes.float()[res.instances_id])


@pytest.mark.parametrize(
    "name", ["SORTTracker", "ByteTracker", "OCSORTTracker", "QuasiDenseTracker"]
)
def test_lost_track_is_dropped_after_num_frames_retain(name):
    kwargs = (
        dict(memo_tracklet_frames=4) if name == "QuasiDenseTracker" else dict(num_frames_retain=4)
    )
    tracker = build(name, **kwargs)
    for t in range(6):
        res = tracker.track(frame(t, [box(100, 100)], [0.95], EMBEDS[:1]))
    (first_id,) = ids_of(res)
    empty = np.zeros((0, 4))
    for t in range(6, 9):  # 3 frames without the object: kept
        tracker.track(frame(t, empty, [], np.zeros((0, 8))))
        assert first_id in tracker.ids
    tracker.track(frame(9, empty, [], np.zeros((0, 8))))  # 4th frame: dropped
    assert first_id not in tracker.ids
    res = tracker.track(frame(10, [box(100, 100)], [0.95], EMBEDS[:1]))
    assert ids_of(res) != [first_id]


def test_bytetrack_recovers_occluded_object_through_low_score_detections():
    tracker = build("ByteTracker", obj_score_thrs=dict(high=0.6, low=0.1), init_track_thr=0.7)
    ids = []
    for t in range(20):
        score = 0.3 if 8 <= t < 12 else 0.9  # partly occluded: low confidence
        res = tracker.track(frame(t, [box(30 + 5 * t, 80)], [score]))
        ids.append(ids_of(res))
    assert all(i == ids[0] for i in ids), ids  # output during the occlusion, same id
    assert ids[8] == ids[0]
    # without the second association, low-score detections are dropped from the output
    tracker = build("ByteTracker", obj_score_thrs=dict(high=0.6, low=0.5))
    outs = [
        len(tracker.track(frame(t, [box(30 + 5 * t, 80)], [0.3 if 8 <= t < 12 else 0.9])))
        for t in range(20)
    ]
    assert outs[8:12] == [0, 0, 0, 0]


def test_bytetrack_low_score_detection_does_not_start_a_track():
    tracker = build("ByteTracker")
    tracker.track(frame(0, [box(50, 50)], [0.9]))
    res = tracker.track(frame(1, [box(50, 50), box(200, 200)], [0.9, 0.65]))
    assert len(res) == 1  # 0.65 < init_track_thr=0.7


def test_tentative_tracks_are_confirmed_after_num_tentatives():
    tracker = build("ByteTracker", num_tentatives=3)
    tracker.track(frame(0, [box(50, 50)], [0.9]))
    for t in range(1, 4):
        tracker.track(frame(t, [box(50, 50), box(200, 200)], [0.9, 0.9]))
        assert len(tracker.unconfirmed_ids) == (1 if t < 3 else 0)


def test_memory_get_momentum_and_history():
    tracker = build("SORTTracker", reid=dict(num_samples=3), momentums=dict(scores=0.5))
    for t, s in enumerate([0.4, 0.8, 0.6, 1.0]):
        tracker.update(
            ids=[7],
            frame_ids=t,
            scores=[s],
            bboxes=[box(50, 50)],
            embeds=[[float(t), 0.0]],
            labels=[0],
        )
    assert tracker.ids == [7]
    assert tracker.get("scores").item() == pytest.approx(
        ((0.4 * 0.5 + 0.4) * 0.5 + 0.3) * 0.5 + 0.5
    )
    mean = tracker.get("embeds", [7], num_samples=3, behavior="mean")
    assert mean[0, 0].item() == pytest.approx((1 + 2 + 3) / 3)
    assert tracker.get("embeds", [7], num_samples=2, behavior=None).shape == (1, 2, 2)
    with pytest.raises(KeyError, match="3"):
        tracker.get("scores", [3])


def test_bad_arguments_fail_clearly():
    with pytest.raises(KeyError, match="allowed"):
        build("ByteTracker", match_iou_thrs=dict(hihg=0.2))
    with pytest.raises(ValueError, match="match_metric"):
        build("QuasiDenseTracker", match_metric="l2")
    with pytest.raises(ValueError, match="num_frames_retain"):
        build("SORTTracker", num_frames_retain=0)


def test_cmc_recovers_a_translation():
    from visionbox.tracking.models.task_modules import CameraMotionCompensation

    rng = np.random.default_rng(0)
    img = rng.uniform(0, 255, (64, 64)).astype(np.float32)
    import cv2

    img = cv2.GaussianBlur(img, (7, 7), 2)
    shifted = np.roll(img, (2, 3), axis=(0, 1))  # content moves by dx=3, dy=2
    cmc = CameraMotionCompensation(warp_mode="cv2.MOTION_TRANSLATION", num_iters=100, stop_eps=1e-5)
    warp = cmc.get_warp_matrix(shifted, img)
    np.testing.assert_allclose(warp[:, 2], [3, 2], atol=0.3)
    moved = cmc.warp_bboxes(np.array([[10.0, 10, 20, 30]]), warp)
    np.testing.assert_allclose(moved, [[13, 12, 23, 32]], atol=0.3)


def test_benchmark_tool_reports_every_tracker(tmp_path):
    import json

    tool = _benchmark_tool()
    out = tmp_path / "bench.json"
    table = tool.main(["--frames", "8", "--dets", "3", "12", "--out", str(out)])
    assert set(table) == {*tool.TRACKERS, tool.REFERENCE}
    assert all(table[t][n]["cpu_ms"] > 0 for t in table for n in ("3", "12"))
    assert json.loads(out.read_text()) == table


def _benchmark_tool():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "tools/analysis/benchmark_tracker.py"
    spec = importlib.util.spec_from_file_location("benchmark_tracker", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


@pytest.mark.parametrize("num_dets", [8, 120])  # the dense and the sparse overlap paths
def test_bytetrack_ids_equal_the_per_track_reference(num_dets):
    tool = _benchmark_tool()
    frames = tool.make_frames(num_dets, 40, seed=num_dets)
    assert tool.agreement(frames) == 1.0


def test_ocsort_recovers_a_stopped_object_from_its_last_observation():
    """The object stops while hidden: the Kalman prediction runs ahead of it, but OC-SORT's
    observation-centric recovery matches the reappearing box to the last observation."""
    tracker = build("OCSORTTracker", num_frames_retain=10)
    positions = [30 + 6 * t for t in range(10)]
    for t, x in enumerate(positions):
        res = tracker.track(frame(t, [box(x, 80)], [0.9]))
    (first_id,) = ids_of(res)
    for t in range(10, 14):  # hidden for four frames
        tracker.track(frame(t, np.zeros((0, 4)), []))
    res = tracker.track(frame(14, [box(positions[-1] + 2, 80)], [0.9]))
    assert ids_of(res) == [first_id]
    # SORT, matching Kalman predictions of tracks seen in the previous frame, starts a new track
    sort = build("SORTTracker")
    for t, x in enumerate(positions):
        sort.track(frame(t, [box(x, 80)], [0.9]))
    for t in range(10, 14):
        sort.track(frame(t, np.zeros((0, 4)), []))
    assert ids_of(sort.track(frame(14, [box(positions[-1] + 2, 80)], [0.9]))) != [0]


def test_reid_crops_are_renormalised_from_the_preprocessor_to_the_reid_input():
    import torch

    from visionbox.tracking.models.data_preprocessors import TrackDataPreprocessor
    from visionbox.tracking.models.trackers.reid_crops import renormalize

    mean, std = [10.0, 20.0, 30.0], [2.0, 4.0, 5.0]  # RGB order
    bgr = torch.rand(2, 3, 4, 4) * 255  # raw crops as loaded (BGR)
    reid_cfg = dict(mean=mean, std=std, to_rgb=True)
    expected = (bgr.flip(1) - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(
        1, 3, 1, 1
    )
    # raw BGR pixels (YOLOX's preprocessor): flip to RGB, then normalise
    raw = TrackDataPreprocessor(pad_size_divisor=32)
    torch.testing.assert_close(renormalize(bgr, raw, reid_cfg), expected)
    # a normalising RGB preprocessor with other statistics: undone first
    other = TrackDataPreprocessor(mean=[1.0, 2.0, 3.0], std=[3.0, 3.0, 3.0], bgr_to_rgb=True)
    fed = (bgr.flip(1) - torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1)) / 3.0
    torch.testing.assert_close(renormalize(fed, other, reid_cfg), expected)


def test_ocsort_re_update_of_many_tracks_equals_one_track_at_a_time():
    """ORU runs every re-found track at once; each equals the per-track recursion: from the
    saved state (predicted to the first missed frame), update on the straight line to the new
    box and predict, for each missed frame."""
    from visionbox.tracking.models.task_modules import bbox_xyxy_to_cxcyah

    tracker = build("OCSORTTracker")
    boxes = [box(40 + 50 * i, 60 + 10 * i, 20 + 5 * i) for i in range(4)]
    for t in range(3):
        tracker.track(frame(t, [[c + 3 * t for c in b] for b in boxes], [0.9] * 4))
    st, kf = tracker._state, tracker.motion
    rows, gaps = np.array([0, 1, 3]), np.array([2, 5, 3])
    new = np.array([boxes[i] for i in rows], float) + 12.0
    expected = []
    for row, gap, z_new in zip(rows, gaps, new, strict=True):
        mean, cov = st["saved_mean"][row], kf.from_blocks(st["saved_covariance_blocks"][[row]])[0]
        last = st["last_obs"][row]
        for k in range(1, gap):
            mean, cov = kf.update(mean, cov, bbox_xyxy_to_cxcyah(last + k / gap * (z_new - last)))
            mean, cov = kf.predict(mean, cov)
        expected.append((mean, cov))
    untouched = st["mean"][2].copy()
    tracker._re_update(rows, new, gaps)
    for row, (mean, cov) in zip(rows, expected, strict=True):
        np.testing.assert_allclose(st["mean"][row], mean, rtol=1e-12)
        np.testing.assert_allclose(tracker.covariances([row])[0], cov, rtol=1e-12)
    np.testing.assert_array_equal(st["mean"][2], untouched)
