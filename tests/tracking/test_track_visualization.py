"""TrackVisualizationHook: which frames it draws, where it writes them, and
tools/tracking/test.py --show-dir on a tiny Shapes MOT set."""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from visionbox.core.datasets.shapes.tracking import make_sot
from visionbox.tracking.engine import TrackVisualizationHook
from visionbox.tracking.models.sot.base import BaseSingleObjectTracker
from visionbox.tracking.registry import HOOKS, MODELS
from visionbox.tracking.structures import FrameDataSample, TrackDataSample
from visionbox.tracking.visualization import TrackLocalVisualizer

from . import toy_detector  # noqa: F401  (registers ColorBlobDetector)

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "packages/tracking/src/visionbox/tracking/configs"
RUNTIME = CONFIGS / "_base_/default_runtime.py"
_names = itertools.count()


class _SOT(BaseSingleObjectTracker):
    """The smallest SOT model: only its type matters to the hook."""

    def loss(self, inputs, data_samples):
        raise NotImplementedError

    def predict(self, inputs, data_samples, rescale=True):
        raise NotImplementedError

    def _forward(self, inputs, data_samples=None):
        raise NotImplementedError


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools/tracking" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_videos(root: Path, names: list[str], length: int) -> dict[str, list[Path]]:
    """MOTChallenge-like frames ``<root>/<video>/img1/%06d.jpg``: grey 48 x 64 images."""
    videos = {}
    for name in names:
        folder = root / name / "img1"
        folder.mkdir(parents=True)
        videos[name] = []
        for i in range(length):
            path = folder / f"{i + 1:06d}.jpg"
            cv2.imwrite(str(path), np.full((48, 64, 3), 128, np.uint8))
            videos[name].append(path)
    return videos


def _frame(path: Path, video: str | None, frame_id: int | None, score: float) -> FrameDataSample:
    meta = dict(img_path=str(path), ori_shape=(48, 64))
    if video is not None:
        meta["video_name"] = video
    if frame_id is not None:
        meta["frame_id"] = frame_id
    frame = FrameDataSample(metainfo=meta)
    pred = InstanceData()
    pred.bboxes = torch.tensor([[10.0, 10.0, 40.0, 30.0]])
    pred.scores = torch.tensor([score])
    pred.labels = torch.zeros(1, dtype=torch.long)
    pred.instances_id = torch.tensor([3])
    frame.pred_track_instances = pred
    return frame


def _runner(tmp_path: Path, model: torch.nn.Module | None = None) -> SimpleNamespace:
    visualizer = TrackLocalVisualizer(name=f"track_vis_{next(_names)}")
    dataset = SimpleNamespace(metainfo=dict(classes=("shape",)))
    return SimpleNamespace(
        visualizer=visualizer,
        model=model if model is not None else torch.nn.Linear(1, 1),
        work_dir=str(tmp_path / "work"),
        timestamp="20260101_000000",
        iter=0,
        test_dataloader=SimpleNamespace(dataset=dataset),
        val_dataloader=SimpleNamespace(dataset=dataset),
    )


def _clip(*frames: FrameDataSample) -> TrackDataSample:
    sample = TrackDataSample()
    sample.video_data_samples = list(frames)
    return sample


def _drawn(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.jpg"))


def test_frame_per_iteration_draws_every_interval_frame_per_video(tmp_path):
    videos = _write_videos(tmp_path / "data", ["SEQ-A", "SEQ-B"], length=7)
    out = tmp_path / "show"
    hook = HOOKS.build(
        dict(type="TrackVisualizationHook", draw=True, frame_interval=3, test_out_dir=str(out))
    )
    runner = _runner(tmp_path)
    hook.before_run(runner)
    hook.before_test(runner)
    batch_idx = 0
    for name in ("SEQ-A", "SEQ-B"):
        for frame_id, path in enumerate(videos[name]):
            sample = _clip(_frame(path, name, frame_id, score=0.9))
            hook.after_test_iter(runner, batch_idx, None, [sample])
            batch_idx += 1
    # frame ids 0, 3 and 6 of each video (the second video starts at batch 7: a global batch
    # count would draw 7-8 frames in other places)
    assert _drawn(out) == [f"{v}/{i:06d}.jpg" for v in ("SEQ-A", "SEQ-B") for i in (1, 4, 7)]
    drawn = cv2.imread(str(out / "SEQ-A" / "000001.jpg"))
    # ground truth (none here) on the left, the tracks on the right: side by side
    assert drawn.shape == (48, 128, 3)
    left, right = drawn[:, :64].astype(int), drawn[:, 64:].astype(int)
    assert np.abs(left[:, :56] - 128).max() < 10  # nothing drawn (JPEG noise at the seam)
    assert np.abs(right[10, 20:30] - 128).max() > 60  # the box's top edge


def test_whole_video_clips_relative_dir_and_score_threshold(tmp_path):
    videos = _write_videos(tmp_path / "data", ["VID"], length=5)
    hook = TrackVisualizationHook(draw=True, frame_interval=2, score_thr=0.5, test_out_dir="vis")
    runner = _runner(tmp_path)
    hook.before_test(runner)
    # one video per iteration, no frame ids: positions in the clip count; no video_name: the
    # folder two levels above the image names the video (mmdet's choice)
    clip = _clip(*(_frame(p, None, None, score=0.2) for p in videos["VID"]))
    hook.after_test_iter(runner, 0, None, [clip])
    out = Path(runner.work_dir) / runner.timestamp / "vis"
    assert _drawn(out) == ["VID/000001.jpg", "VID/000003.jpg", "VID/000005.jpg"]
    # the track scores 0.2 < score_thr: not drawn
    right = cv2.imread(str(out / "VID" / "000003.jpg"))[:, 64:].astype(int)
    assert np.abs(right[:, 8:] - 128).max() < 10
    assert hook.image_idx == 5


def test_single_object_tracking_draws_the_box_whatever_its_score(tmp_path):
    videos = _write_videos(tmp_path / "data", ["car-1"], length=2)
    out = tmp_path / "show"
    hook = TrackVisualizationHook(draw=True, frame_interval=1, test_out_dir=str(out))
    runner = _runner(tmp_path, model=_SOT())
    hook.before_test(runner)
    for frame_id, path in enumerate(videos["car-1"]):
        frame = _frame(path, "car-1", frame_id, score=-1.0 if frame_id == 0 else 0.1)
        hook.after_test_iter(runner, frame_id, None, [_clip(frame)])
    for name in ("000001.jpg", "000002.jpg"):
        right = cv2.imread(str(out / "car-1" / name))[:, 64:].astype(int)
        assert np.abs(right[10, 20:30] - 128).max() > 60, name


def test_off_by_default_and_checks_its_arguments(tmp_path):
    videos = _write_videos(tmp_path / "data", ["V"], length=1)
    hook = TrackVisualizationHook(test_out_dir=str(tmp_path / "show"))
    assert (hook.draw, hook.frame_interval, hook.score_thr) == (False, 30, 0.3)
    runner = _runner(tmp_path)
    hook.before_test(runner)
    hook.after_test_iter(runner, 0, None, [_clip(_frame(videos["V"][0], "V", 0, 0.9))])
    assert not (tmp_path / "show").exists()
    with pytest.raises(ValueError, match="frame_interval"):
        TrackVisualizationHook(frame_interval=0)
    with pytest.raises(TypeError, match="Did you mean .frame_interval."):
        HOOKS.build(dict(type="TrackVisualizationHook", frame_intervall=3))
    hook = TrackVisualizationHook(draw=True)
    # validation: the drawing goes to the visualizer (and its backends), no file is written
    hook.before_val(runner)
    hook.after_val_iter(runner, 0, None, [_clip(_frame(videos["V"][0], "V", 0, 0.9))])
    assert runner.visualizer.get_image().shape == (48, 128, 3)
    assert not (tmp_path / "show").exists()
    hook.before_test(runner)
    two = [_clip(_frame(videos["V"][0], "V", 0, 0.9))] * 2
    with pytest.raises(ValueError, match="batch_size=1"):
        hook.after_test_iter(runner, 0, None, two)


CONFIG = """
_base_ = [{runtime!r}]
model = dict(
    type='ByteTrack',
    data_preprocessor=dict(type='TrackDataPreprocessor', pad_size_divisor=32),
    detector=dict(type='ColorBlobDetector'),
    tracker=dict(type='ByteTracker', init_track_thr=0.6))
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type='MOTChallengeDataset',
        data_root={root!r},
        ann_file='seqmaps/SHAPES-val.txt',
        data_prefix=dict(img_path='SHAPES-val'),
        frame_range=(0.0, 0.25),
        test_mode=True,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(192, 192), keep_ratio=True),
            dict(type='LoadTrackAnnotations'),
            dict(type='PackTrackInputs')]))
test_evaluator = dict(type='MOTChallengeMetric', metric=['CLEAR'])
test_cfg = dict(type='TestLoop')
default_hooks = dict(visualization=dict(frame_interval=10))
"""


def test_test_tool_show_dir_writes_drawn_frames(shapes_mot, tmp_path):
    """tools/tracking/test.py --show-dir with the tracking runtime's hook: frames 0 and 10 of
    each val video, the tracks drawn on the right half."""
    config = tmp_path / "bytetrack_blobs.py"
    config.write_text(CONFIG.format(runtime=str(RUNTIME), root=f"{shapes_mot}/"))
    model = MODELS.build(
        dict(
            type="ByteTrack",
            detector=dict(type="ColorBlobDetector"),
            tracker=dict(type="ByteTracker"),
        )
    )
    checkpoint = tmp_path / "blobs.pth"
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    show = tmp_path / "show"
    work = tmp_path / "work"
    _tool("test").main(
        [str(config), str(checkpoint), "--work-dir", str(work), "--show-dir", str(show)]
    )
    assert "MOTA" in "".join(json.loads((work / "metrics.json").read_text()))
    seqs = sorted(p.name for p in (shapes_mot / "SHAPES-val").iterdir() if p.is_dir())
    assert _drawn(show) == [f"{s}/{i:06d}.jpg" for s in seqs for i in (1, 11)]
    for seq in seqs:
        src = cv2.imread(str(shapes_mot / "SHAPES-val" / seq / "img1" / "000011.jpg"))
        drawn = cv2.imread(str(show / seq / "000011.jpg"))
        h, w = src.shape[:2]
        assert drawn.shape == (h, 2 * w, 3)
        # both panels carry boxes (ground truth left, tracks right): many pixels changed, and
        # the tracks lie where the ground truth boxes are (same image coordinates)
        gt, pred = (
            np.abs(panel.astype(int) - src.astype(int)).max(-1) > 60
            for panel in (drawn[:, :w], drawn[:, w:])
        )
        assert gt.sum() > 100 and pred.sum() > 100
        assert (gt & pred).sum() > 0.3 * min(gt.sum(), pred.sum())


def test_test_tool_show_dir_draws_single_object_tracks(tmp_path):
    """tools/tracking/test.py --show-dir with the Shapes SiamRPN++ config (untrained weights):
    frames 0, 4 and 8 of the val video; on frame 0 the tracked box is the given box."""
    config = (
        ROOT / "packages/tracking/src/visionbox/tracking/configs/shapes/siamese-rpn_r18_shapes.py"
    )
    data = tmp_path / "shapes_sot"
    make_sot(str(data), seed=0, num_train=1, num_val=1, frames=9)
    init_default_scope("tracking")
    model = MODELS.build(Config.fromfile(str(config)).model)
    checkpoint = tmp_path / "siamrpn.pth"
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    show = tmp_path / "show"
    _tool("test").main(
        [
            str(config),
            str(checkpoint),
            "--work-dir",
            str(tmp_path / "work"),
            "--show-dir",
            str(show),
            "--cfg-options",
            f"test_dataloader.dataset.data_root={data}/",
            "default_hooks.visualization.frame_interval=4",
        ]
    )
    seq = next(p for p in (data / "val").iterdir() if p.is_dir())
    frames = sorted(p.name for p in seq.glob("*.jpg"))
    assert _drawn(show) == [f"{seq.name}/{frames[i]}" for i in (0, 4, 8)]
    src = cv2.imread(str(seq / frames[0])).astype(int)
    drawn = cv2.imread(str(show / seq.name / frames[0])).astype(int)
    w = src.shape[1]
    gt, pred = (np.abs(panel - src).max(-1) > 60 for panel in (drawn[:, :w], drawn[:, w:]))
    assert gt.sum() > 50 and pred.sum() > 50
    assert (gt & pred).sum() > 0.5 * min(gt.sum(), pred.sum())
