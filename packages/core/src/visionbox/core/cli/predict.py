"""``visionbox predict`` and ``visionbox track``: a checkpoint on images, folders and videos.

    visionbox predict CONFIG CHECKPOINT INPUT [INPUT ...] [--out-dir outputs] [--show]
        [--score-thr 0.3] [--no-save-pred] [--no-save-vis] [--batch-size 1] [--device cpu]
        [--no-fuse] [--allow-partial] [--cfg-options k=v ...]
        [--det-config DET_CFG --det-checkpoint DET_CKPT --det-cat-ids 0]   (top-down pose)
        [--init-bbox X1 Y1 X2 Y2]                                           (single-object tracking)
    visionbox track CONFIG CHECKPOINT VIDEO [the same options]

As mmdet's ``image_demo.py``: drawings go to ``OUT_DIR/vis/``, predictions (one JSON per image,
one per video for trackers) to ``OUT_DIR/preds/`` unless ``--no-save-pred``. A video given to an
image model is predicted frame by frame, into ``OUT_DIR/<video name>/vis|preds/``. The config's task
chooses the Inferencer (``DetInferencer``, ``SegInferencer``, ``PoseInferencer``,
``MOTInferencer`` / ``SOTInferencer``); only that task's package is imported.
"""

from __future__ import annotations

import argparse
import os.path as osp
from typing import Any

from mmengine.config import DictAction

from ..apis.inputs import VIDEO_EXTENSIONS, check_video_source, collect_images, collect_video
from ..config import Config
from .tasks import CommandError, config_path, find_task, inferencer_class

__all__ = ["add_predict_arguments", "run_predict"]


def add_predict_arguments(parser: argparse.ArgumentParser, video: bool = False) -> None:
    """The arguments of ``predict`` (``video=False``) and ``track`` (``video=True``)."""
    parser.add_argument("config", help="config file or 'scope::relative/path.py'")
    parser.add_argument("checkpoint", help="checkpoint file")
    if video:
        parser.add_argument("inputs", nargs="+", metavar="VIDEO", help="video file or frame folder")
    else:
        parser.add_argument(
            "inputs", nargs="+", metavar="INPUT", help="images, folders (or videos for trackers)"
        )
    parser.add_argument("--out-dir", default="outputs", help="output folder (default: outputs)")
    parser.add_argument("--show", action="store_true", help="show each drawing in a window")
    parser.add_argument("--wait-time", type=float, default=0, help="seconds a window stays")
    parser.add_argument("--score-thr", type=float, default=0.3, help="lowest score drawn")
    parser.add_argument("--no-save-pred", action="store_true", help="do not write preds/*.json")
    parser.add_argument("--no-save-vis", action="store_true", help="do not write vis/ drawings")
    parser.add_argument("--batch-size", type=int, default=1, help="images per forward pass")
    parser.add_argument("--device", default=None, help="cpu, cuda:0, ... (default: cuda if any)")
    parser.add_argument(
        "--no-fuse", action="store_true", help="keep BatchNorms unfolded (the model as trained)"
    )
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="load a checkpoint that covers only part of the model (strict=False)",
    )
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, help="config overrides")
    pose = parser.add_argument_group("top-down pose")
    pose.add_argument("--det-config", help="detector config that finds the boxes")
    pose.add_argument("--det-checkpoint", help="the detector's checkpoint")
    pose.add_argument("--det-cat-ids", type=int, nargs="+", default=[0], help="classes kept")
    pose.add_argument("--bbox-thr", type=float, default=0.3, help="lowest detection score kept")
    sot = parser.add_argument_group("single-object tracking")
    sot.add_argument(
        "--init-bbox", type=float, nargs=4, metavar=("X1", "Y1", "X2", "Y2"), help="target box"
    )


def _inferencer(args: argparse.Namespace, cls: Any, task: str) -> Any:
    kwargs: dict[str, Any] = dict(
        device=args.device,
        fuse=not args.no_fuse,
        strict=not args.allow_partial,
        cfg_options=args.cfg_options,
    )
    if args.det_config is not None:
        if task != "pose":
            raise CommandError(f"--det-config is for top-down pose configs; this one is {task}.")
        kwargs.update(
            det_model=args.det_config,
            det_weights=args.det_checkpoint,
            det_cat_ids=tuple(args.det_cat_ids),
        )
    return cls(args.config, args.checkpoint, **kwargs)


def _check_sot(args: argparse.Namespace, cls_name: str) -> None:
    if cls_name == "SOTInferencer" and args.init_bbox is None:
        raise CommandError("A single-object tracker needs the target: --init-bbox X1 Y1 X2 Y2")
    if cls_name != "SOTInferencer" and args.init_bbox is not None:
        raise CommandError("--init-bbox is for single-object tracking configs.")


def run_predict(args: argparse.Namespace, video: bool = False) -> int:
    """Run the config's Inferencer on every input; print where the outputs went."""
    path = config_path(args.config)
    args.config = path
    cfg = Config.fromfile(path)
    task = find_task(cfg)
    if video and task != "tracking":
        raise CommandError(f"visionbox track needs a tracking config; {path} is a {task} config.")
    if not osp.isfile(args.checkpoint) and "://" not in args.checkpoint:
        raise FileNotFoundError(f"Checkpoint file not found: {args.checkpoint}")
    cls = inferencer_class(task, cfg)
    name = cls.__name__
    _check_sot(args, name)
    # The inputs are checked before the model is built.
    if task == "tracking":
        for source in args.inputs:
            check_video_source(source)
    else:
        videos = [v for v in args.inputs if str(v).lower().endswith(VIDEO_EXTENSIONS)]
        for source in videos:
            check_video_source(source)
        images = [i for i in args.inputs if i not in videos]
        if images:
            collect_images(images)
    inferencer = _inferencer(args, cls, task)
    common = dict(
        out_dir=args.out_dir,
        show=args.show,
        wait_time=args.wait_time,
        no_save_pred=args.no_save_pred,
        no_save_vis=args.no_save_vis,
        pred_score_thr=args.score_thr,
        batch_size=args.batch_size,
    )
    count = 0
    if task == "tracking":
        for source in args.inputs:
            if name == "SOTInferencer":
                result = inferencer(source, init_bbox=args.init_bbox, **common)
            else:
                result = inferencer(source, **common)
            count += len(result["predictions"])
        unit = "frames"
    else:
        extra = dict(bbox_thr=args.bbox_thr) if task == "pose" else {}
        if images:
            count += len(inferencer(images, **common, **extra)["predictions"])
        for source in videos:  # frame by frame, into OUT_DIR/<video name>/
            frames, video_name = collect_video(source)
            folder = osp.join(args.out_dir, video_name) if args.out_dir else ""
            options = dict(common, out_dir=folder)
            count += len(inferencer(frames, **options, **extra)["predictions"])
        unit = "images" if not videos else "images and frames"
    where = []
    if not args.no_save_vis:
        where.append(f"drawings in {osp.join(args.out_dir, 'vis')}")
    if not args.no_save_pred:
        where.append(f"predictions in {osp.join(args.out_dir, 'preds')}")
    print(f"{name}: {count} {unit}" + (f"; {', '.join(where)}" if where else ""))
    return 0
