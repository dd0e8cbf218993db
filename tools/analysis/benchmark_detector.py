"""Time VisionBox's Faster R-CNN, Mask R-CNN, RetinaNet and FCOS (R50-FPN) against torchvision's
``fasterrcnn_resnet50_fpn`` / ``maskrcnn_resnet50_fpn`` / ``retinanet_resnet50_fpn`` /
``fcos_resnet50_fpn`` on CPU and print the ratios.

Both detectors have random weights and see the same uint8 image (batch 1, default 800x1216), with
the same thread count. Each side does its own preprocessing (normalise, pad to 32); the image is
already at the test scale, so neither resizes. Inference uses each library's COCO test settings
(two-stage: 1000 proposals per image, score threshold 0.05, 100 detections; dense heads: the 1000
best candidates per level, each library's own score threshold and NMS). The classification
biases of ten classes are raised on both sides (to a probability of about 0.07, or 0.1 for the
sigmoid heads) so that boxes pass the 0.05 threshold and both run their whole post-processing
(and Mask R-CNN its mask branch) on 100 detections; the table prints how many each returned.
A training step runs forward and backward with three ground-truth boxes (and masks), with the
backbones set up alike: stem and first stage frozen, BatchNorm frozen (torchvision's
``FrozenBatchNorm2d`` and ``trainable_backbone_layers=3``, as it trains from ImageNet weights;
ours ``frozen_stages=1, norm_eval=True`` from the shipped configs). Each repeat times ours and
torchvision's back to back, alternating which goes first; medians are compared.

Inference runs our fast path (``optimize_for_inference``: BatchNorm folded, channels-last), what
``init_detector`` and ``test.py`` do by default, against torchvision as its users run it;
``--no-fuse`` times our plain model instead, ``--channels-last`` converts both, ``--compile``
also compiles our backbone and neck (``optimize_for_inference(compile=True)``, as ``test.py
--compile``; the warm-up run pays the compilation, whose time is printed).

    python tools/analysis/benchmark_detector.py --threads 2 --repeats 3 \
        [--models faster faster-tv mask retinanet fcos] [--no-fuse] [--channels-last] [--compile]

With random weights the two detectors propose different boxes, and the RoI heads' work depends on
them (how many RoIs land on the large stride-4 map, and with mmdetection's ``sampling_ratio=0``
how many samples each RoI bin takes). ``faster-tv`` therefore times the same network doing the same
work: our Faster R-CNN with torchvision's RoIAlign setting (``sampling_ratio=2``), and
torchvision's model (81 classes) loaded with our weights, key by key (the background logit moves
from last to first), so both see the same proposals. ``faster`` times the shipped config beside
torchvision's own random model.

A ratio below 1.0 means VisionBox is faster.

``rtmdet-s`` times two VisionBox real-time detectors against each other instead: RTMDet-s beside
YOLOX-s (both from their shipped COCO configs, random weights, fast path), on one 640x640 image
(their test scale) whatever ``--height`` / ``--width`` say, with the same threads. Ten classes are
raised to a probability of about 0.1 on both (YOLOX's objectness to about 1; RTMDet-s's linear
distances start at one stride, since its random ones give empty boxes) so that both run
their whole post-processing: RTMDet its ``nms_pre=30000`` best (point, class) pairs and class-wise
NMS to 300 detections, YOLOX the best class of every point and NMS to 100. The ratio is
RTMDet-s / YOLOX-s (below 1.0: RTMDet-s is faster); a ``network`` row times the networks alone
(preprocessed input to head outputs), so the rest of ``inference`` is post-processing.
"""

from __future__ import annotations

import argparse
import copy
import logging
import os
import statistics
import time
from collections.abc import Callable

import torch
import torchvision
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from torch import nn
from torchvision.ops import FrozenBatchNorm2d

from visionbox.core.config import Config
from visionbox.core.models import optimize_for_inference
from visionbox.core.structures import BitmapMasks
from visionbox.detection.registry import MODELS
from visionbox.detection.structures import DetDataSample

CONFIGS = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "../../packages/detection/src/visionbox/detection/configs",
)
FASTER = "faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py"
PAIRS = {
    "faster": (FASTER, "fasterrcnn_resnet50_fpn"),
    "faster-tv": (FASTER, "fasterrcnn_resnet50_fpn"),
    "mask": ("mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py", "maskrcnn_resnet50_fpn"),
    "retinanet": ("retinanet/retinanet_r50_fpn_1x_coco.py", "retinanet_resnet50_fpn"),
    "fcos": ("fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py", "fcos_resnet50_fpn"),
}
#: VisionBox against VisionBox: (model, reference) configs, timed at ``REALTIME_SIZE``.
REALTIME = {"rtmdet-s": ("rtmdet/rtmdet_s_8xb32-300e_coco.py", "yolox/yolox_s_8xb8-300e_coco.py")}
REALTIME_SIZE = 640


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads for both models")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per model and mode")
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--width", type=int, default=1216)
    choices = [*PAIRS, *REALTIME]
    parser.add_argument("--models", nargs="+", default=choices, choices=choices)
    parser.add_argument("--modes", nargs="+", default=["inference", "train"])
    parser.add_argument("--channels-last", action="store_true", help="both in channels_last")
    parser.add_argument(
        "--no-fuse", action="store_true", help="time our plain model, not optimize_for_inference"
    )
    parser.add_argument(
        "--compile", action="store_true", help="also torch.compile our backbone and neck"
    )
    return parser.parse_args()


def build_pair(kind: str, args: argparse.Namespace) -> tuple[nn.Module, nn.Module]:
    cfg = Config.fromfile(os.path.join(CONFIGS, PAIRS[kind][0]))
    cfg.model.backbone.init_cfg = None
    if kind == "faster-tv":
        cfg.model.roi_head.bbox_roi_extractor.roi_layer.sampling_ratio = 2
        cfg.model.data_preprocessor.bgr_to_rgb = False  # torchvision keeps the channel order
    ours = MODELS.build(cfg.model)
    ours.init_weights()
    size = min(args.height, args.width), max(args.height, args.width)
    extra = {}
    if kind == "faster-tv":
        extra["num_classes"] = cfg.model.roi_head.bbox_head.num_classes + 1
    if kind in ("retinanet", "fcos"):
        extra["detections_per_img"] = 100  # torchvision keeps 300; mmdetection's configs 100
    reference = getattr(torchvision.models.detection, PAIRS[kind][1])(
        weights=None, weights_backbone=None, min_size=size[0], max_size=size[1], **extra
    )
    seed_scores(kind, ours, reference)
    if kind == "faster-tv":
        reference.load_state_dict(torchvision_faster_rcnn_state(ours.state_dict()))
    freeze_like_ours(reference)
    if args.channels_last:
        ours = ours.to(memory_format=torch.channels_last)
        reference = reference.to(memory_format=torch.channels_last)
    return ours, reference


def build_realtime_pair(kind: str, args: argparse.Namespace) -> tuple[nn.Module, nn.Module]:
    """Our RTMDet-s and our YOLOX-s, random weights, ``SEEDED`` classes raised on both."""
    models = []
    for name in REALTIME[kind]:
        cfg = Config.fromfile(os.path.join(CONFIGS, name))
        cfg.model.backbone.init_cfg = None
        cfg.model.data_preprocessor.batch_augments = None  # YOLOX's random multi-scale resize
        model = MODELS.build(cfg.model)
        model.init_weights()
        models.append(model)
    ours, reference = models
    with torch.no_grad():
        for conv_cls, conv_reg in zip(ours.bbox_head.rtm_cls, ours.bbox_head.rtm_reg):
            conv_cls.bias[:SEEDED] = -2.2  # sigmoid -> 0.10
            conv_reg.bias.fill_(1.0)  # distances of one stride: boxes with an area
        for conv_cls, conv_obj in zip(
            reference.bbox_head.multi_level_conv_cls, reference.bbox_head.multi_level_conv_obj
        ):
            conv_cls.bias[:SEEDED] = -2.2
            conv_obj.bias.fill_(5.0)  # sigmoid -> 0.99
    if args.channels_last:
        ours = ours.to(memory_format=torch.channels_last)
        reference = reference.to(memory_format=torch.channels_last)
    return ours, reference


def torchvision_faster_rcnn_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Our Faster R-CNN R50-FPN ``state_dict`` (mmdetection keys) as torchvision's
    ``fasterrcnn_resnet50_fpn`` keys; classes keep their order, background goes first."""
    renames = (
        ("backbone.", "backbone.body."),
        ("neck.lateral_convs.", "backbone.fpn.inner_blocks."),
        ("neck.fpn_convs.", "backbone.fpn.layer_blocks."),
        ("rpn_head.rpn_conv.", "rpn.head.conv.0.0."),
        ("rpn_head.rpn_cls.", "rpn.head.cls_logits."),
        ("rpn_head.rpn_reg.", "rpn.head.bbox_pred."),
        ("roi_head.bbox_head.shared_fcs.0.", "roi_heads.box_head.fc6."),
        ("roi_head.bbox_head.shared_fcs.1.", "roi_heads.box_head.fc7."),
        ("roi_head.bbox_head.fc_cls.", "roi_heads.box_predictor.cls_score."),
        ("roi_head.bbox_head.fc_reg.", "roi_heads.box_predictor.bbox_pred."),
    )
    out = {}
    for key, value in state.items():
        for old, new in renames:
            if key.startswith(old):
                key = new + key[len(old) :].replace("conv.", "0.")
                break
        if key.endswith("cls_score.weight") or key.endswith("cls_score.bias"):
            value = torch.cat([value[-1:], value[:-1]])  # background: last -> first
        elif key.startswith("roi_heads.box_predictor.bbox_pred."):
            # no deltas for the background class in ours
            value = torch.cat([value.new_zeros((4, *value.shape[1:])), value])
        out[key] = value
    return out


#: Classes whose scores are raised, and the logits that give them.
SEEDED = 10


@torch.no_grad()
def seed_scores(kind: str, ours: nn.Module, reference: nn.Module) -> None:
    """Raise the logits of ``SEEDED`` classes on both sides (see the module docstring)."""
    sigmoid_logit = -2.2  # sigmoid -> 0.10
    softmax_logit = 3.0  # exp(3) * 10 / (exp(3) * 10 + 71) -> 0.07 each
    if kind in ("faster", "faster-tv", "mask"):
        ours.roi_head.bbox_head.fc_cls.bias[:SEEDED] = softmax_logit  # background is last
        if kind != "faster-tv":  # faster-tv copies our weights
            reference.roi_heads.box_predictor.cls_score.bias[1 : SEEDED + 1] = softmax_logit
        return
    head = ours.bbox_head
    conv = head.retina_cls if kind == "retinanet" else head.conv_cls
    per_anchor = conv.bias.view(-1, head.cls_out_channels)
    per_anchor[:, :SEEDED] = sigmoid_logit
    tv_conv = reference.head.classification_head.cls_logits
    tv_conv.bias.view(-1, reference.head.classification_head.num_classes)[:, :SEEDED] = (
        sigmoid_logit
    )


def freeze_like_ours(reference: nn.Module) -> None:
    """torchvision's training set-up from ImageNet weights: ``FrozenBatchNorm2d`` in the trunk
    and only ``layer2``-``layer4`` trainable (``trainable_backbone_layers=3``)."""
    body = reference.backbone.body
    for module in list(body.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.BatchNorm2d):
                frozen = FrozenBatchNorm2d(child.num_features, eps=child.eps)
                frozen.weight.copy_(child.weight.detach())
                frozen.bias.copy_(child.bias.detach())
                frozen.running_mean.copy_(child.running_mean)
                frozen.running_var.copy_(child.running_var)
                setattr(module, child_name, frozen)
    for name, param in body.named_parameters():
        if not name.startswith(("layer2", "layer3", "layer4")):
            param.requires_grad_(False)


def _ground_truth(h: int, w: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Three boxes (given for 800x1216, scaled to smaller images), labels and masks."""
    boxes = torch.tensor([[100.0, 120, 400, 500], [600, 200, 900, 700], [50, 50, 250, 200]])
    boxes = boxes * torch.tensor([min(1.0, w / 1216), min(1.0, h / 800)]).repeat(2)
    labels = torch.tensor([1, 5, 17])
    masks = torch.zeros(3, h, w, dtype=torch.uint8)
    for i, (x1, y1, x2, y2) in enumerate(boxes.long().tolist()):
        masks[i, y1:y2, x1:x2] = 1
    return boxes, labels, masks


def ours_fn(model: nn.Module, img: torch.Tensor, train: bool, kind: str) -> Callable[[], int]:
    h, w = img.shape[-2:]
    boxes, labels, masks = _ground_truth(h, w)

    def batch() -> dict:
        meta = dict(img_shape=(h, w), ori_shape=(h, w), scale_factor=(1.0, 1.0))
        sample = DetDataSample(metainfo=meta)
        gt = InstanceData(bboxes=boxes, labels=labels)
        if kind == "mask":
            gt.masks = BitmapMasks(masks.numpy(), h, w)
        sample.gt_instances = gt
        return dict(inputs=[img], data_samples=[sample])

    def run() -> int:
        """One step; the number of detections (0 in training)."""
        if train:
            model.train()
            data = model.data_preprocessor(batch(), True)
            losses = model(**data, mode="loss")
            sum(v for k, v in losses.items() if "loss" in k).backward()
            model.zero_grad(set_to_none=True)
            return 0
        model.eval()
        with torch.no_grad():
            return len(model.test_step(batch())[0].pred_instances)

    return run


def reference_fn(model: nn.Module, img: torch.Tensor, train: bool, kind: str) -> Callable[[], int]:
    h, w = img.shape[-2:]
    boxes, labels, masks = _ground_truth(h, w)
    target = dict(boxes=boxes, labels=labels)
    if kind == "mask":
        target["masks"] = masks

    def run() -> int:
        x = img.float() / 255  # torchvision's transform normalises [0, 1] images
        if train:
            model.train()
            losses = model([x], [target])
            sum(losses.values()).backward()
            model.zero_grad(set_to_none=True)
            return 0
        model.eval()
        with torch.no_grad():
            return len(model([x])[0]["boxes"])

    return run


def time_pair(
    fns: tuple[Callable[[], int], Callable[[], int]], repeats: int
) -> tuple[list[float], list[int]]:
    """Medians of alternating timed runs and each side's detections (from the warm-up)."""
    counts = [fn() for fn in fns]  # warm-up
    times: list[list[float]] = [[], []]
    for r in range(repeats):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for i in order:
            start = time.perf_counter()
            fns[i]()
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times], counts


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    init_default_scope("detection")
    MMLogger.get_current_instance().setLevel(logging.WARNING)  # no per-parameter init log
    torch.manual_seed(0)
    img = torch.randint(0, 256, (3, args.height, args.width), dtype=torch.uint8)
    print(
        f"threads={args.threads} image=1x3x{args.height}x{args.width} repeats={args.repeats} "
        f"channels_last={args.channels_last} fast_path={not args.no_fuse} "
        f"compile={args.compile} "
        f"torch={torch.__version__}"
    )
    against_torchvision = [kind for kind in args.models if kind in PAIRS]
    if against_torchvision:
        print(
            f"{'model':<10} {'mode':<10} {'visionbox':>10} {'torchvision':>12} {'ratio':>7} "
            f"{'boxes (ours / tv)':>18}"
        )
    if args.compile:
        # Compile in this process: inductor's worker processes otherwise stay busy beside the
        # timed runs (torchvision's side measured 1.5x slower next to them).
        import torch._inductor.config as inductor_config

        inductor_config.compile_threads = 1
    for kind in against_torchvision:
        ours, reference = build_pair(kind, args)
        fast = ours
        if not args.no_fuse or args.compile:
            fast = optimize_for_inference(
                copy.deepcopy(ours), fuse=not args.no_fuse, compile=args.compile
            )
        if args.compile and "inference" in args.modes:
            start = time.perf_counter()
            ours_fn(fast, img, False, kind)()
            print(f"{kind}: first compiled call {time.perf_counter() - start:.1f} s")
        for mode in args.modes:
            train = mode == "train"
            (t_ours, t_ref), counts = time_pair(
                (
                    ours_fn(ours if train else fast, img, train, kind),
                    reference_fn(reference, img, train, kind),
                ),
                args.repeats,
            )
            boxes = "" if train else f"{counts[0]} / {counts[1]}"
            print(
                f"{kind:<10} {mode:<10} {t_ours:>9.3f}s {t_ref:>11.3f}s {t_ours / t_ref:>7.2f} "
                f"{boxes:>18}",
                flush=True,
            )
    realtime = [kind for kind in args.models if kind in REALTIME]
    if realtime:
        time_realtime(realtime, args)


def network_fn(model: nn.Module, img: torch.Tensor, train: bool, kind: str) -> Callable[[], int]:
    """The network alone (backbone, neck, head outputs; no post-processing), in eval mode."""
    model.eval()
    inputs = model.data_preprocessor(dict(inputs=[img], data_samples=None), False)["inputs"]

    def run() -> int:
        with torch.no_grad():
            model(inputs, mode="tensor")
        return 0

    return run


def time_realtime(kinds: list[str], args: argparse.Namespace) -> None:
    """RTMDet-s beside YOLOX-s on one 640x640 image (see the module docstring)."""
    size = REALTIME_SIZE
    img = torch.randint(0, 256, (3, size, size), dtype=torch.uint8)
    print(f"\nimage=1x3x{size}x{size}, VisionBox against VisionBox")
    print(
        f"{'model':<10} {'mode':<10} {'rtmdet-s':>10} {'yolox-s':>12} {'ratio':>7} "
        f"{'boxes (rtm / yolox)':>20}"
    )
    for kind in kinds:
        ours, reference = build_realtime_pair(kind, args)
        fast = tuple(
            m if args.no_fuse else optimize_for_inference(copy.deepcopy(m))
            for m in (ours, reference)
        )
        for mode in ("network", *args.modes):
            train = mode == "train"
            pair = (ours, reference) if train else fast
            make = network_fn if mode == "network" else ours_fn
            (t_ours, t_ref), counts = time_pair(
                tuple(make(model, img, train, kind) for model in pair), args.repeats
            )
            boxes = "" if mode != "inference" else f"{counts[0]} / {counts[1]}"
            print(
                f"{kind:<10} {mode:<10} {t_ours:>9.3f}s {t_ref:>11.3f}s {t_ours / t_ref:>7.2f} "
                f"{boxes:>20}",
                flush=True,
            )


if __name__ == "__main__":
    main()
