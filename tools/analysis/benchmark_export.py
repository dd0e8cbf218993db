"""Export every shipped model family end to end to ONNX and ``torch.export``, verify each file
against eager PyTorch, and time onnxruntime (CPU) and the ``ExportedProgram`` beside eager.

Each family is a shipped config (the VisionBox Shapes demos where there is one, else the COCO /
Cityscapes config) with random weights (a seeded init; RTMDet's classification convs re-drawn so
that it draws boxes, heatmap heads' final convs scaled so that the maps have peaks), exported
through :func:`visionbox.core.deploy.end2end` on one seeded random input of the size given in
``FAMILIES``.
``max diff`` is the largest difference over the outputs (boxes in pixels for detectors);
``verified`` says whether every output is within its bound (see
:mod:`visionbox.core.deploy.verify`). Latencies are medians of ``--repeats`` alternating runs
after one warm-up, all with ``--threads`` threads (PyTorch's ``set_num_threads`` and
onnxruntime's ``intra_op_num_threads``): ``eager`` is the exported wrapper in eager PyTorch,
``folded`` the same after ``optimize_for_inference`` (BatchNorm folded, channels-last: what
``init_*`` and ``test.py`` run), ``exported`` onnxruntime or the loaded ``ExportedProgram``;
``ratio`` = exported / folded.

    python tools/analysis/benchmark_export.py --threads 2 --repeats 5 [--only detection]
"""

from __future__ import annotations

import argparse
import copy
import os.path as osp
import statistics
import tempfile
import time
import warnings

import torch

from visionbox.core.cli.check import _drop_pretrained
from visionbox.core.cli.tasks import config_path, find_task
from visionbox.core.deploy import compare_outputs, end2end, export, output_names_of
from visionbox.core.deploy.verify import _ort_session
from visionbox.core.engine import load_config
from visionbox.core.models import optimize_for_inference
from visionbox.core.registry import MODELS

#: (name, config, input (C, H, W) or None for the model's own inputs, export options)
FAMILIES = [
    ("Faster R-CNN R18-FPN", "detection::shapes/faster-rcnn_r18_fpn_shapes.py", (3, 256, 256)),
    ("Mask R-CNN R18-FPN", "detection::shapes/mask-rcnn_r18_fpn_shapes.py", (3, 256, 256)),
    ("RetinaNet R18-FPN", "detection::shapes/retinanet_r18_fpn_shapes.py", (3, 256, 256)),
    ("FCOS R18-FPN", "detection::shapes/fcos_r18_fpn_shapes.py", (3, 256, 256)),
    ("YOLOX-tiny", "detection::shapes/yolox_tiny_shapes.py", (3, 256, 256)),
    ("RTMDet-tiny", "detection::rtmdet/rtmdet_tiny_8xb32-300e_coco.py", (3, 320, 320)),
    ("RTMDet-Ins-tiny (Shapes)", "detection::shapes/rtmdet-ins_tiny_shapes.py", (3, 160, 160)),
    ("FCN R18-D8", "segmentation::shapes/fcn_r18-d8_shapes-256x256.py", (3, 256, 256)),
    (
        "PSPNet R50-D8",
        "segmentation::pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py",
        (3, 384, 768),
    ),
    ("SimpleBaseline R18 (heatmap)", "pose::shapes/td-hm_res18-slim_shapes-96x128.py", None),
    ("SimCC R50", "pose::body_2d_keypoint/simcc/coco/simcc_res50_8xb64-210e_coco-256x192.py", None),
    (
        "RLE R50 (regression)",
        "pose::body_2d_keypoint/topdown_regression/coco/td-reg_res50_rle-8xb64-210e_coco-256x192.py",
        None,
    ),
    ("SiamRPN++ R18", "tracking::shapes/siamese-rpn_r18_shapes.py", None),
]


def _build(config: str) -> torch.nn.Module:
    path = config_path(config)
    task = find_task(path)
    cfg = load_config(path, default_scope=task)
    model_cfg = copy.deepcopy(cfg.model)
    _drop_pretrained(model_cfg)
    torch.manual_seed(0)
    with MODELS.switch_scope_and_registry(cfg.default_scope) as registry:
        model = registry.build(model_cfg).eval()
    _draw_boxes(model)
    _draw_peaks(model)
    return model


def _draw_peaks(model: torch.nn.Module) -> None:
    """Scale a heatmap head's final conv by 100: a random network's heatmaps are flat, and DARK's
    Newton step on the log of a flat map turns onnxruntime's 1e-7 convolution differences into
    hundredths of a pixel; scaled, the maps have peaks, as a trained network's do."""
    head = getattr(model, "head", None)
    decoder = getattr(head, "decoder", None)
    if type(decoder).__name__ not in ("MSRAHeatmap", "UDPHeatmap"):
        return
    with torch.no_grad():
        head.final_layer.weight.mul_(100.0)


def _draw_boxes(model: torch.nn.Module) -> None:
    """Re-draw the classification convs of RTMDet heads: their focal-loss prior (bias -4.6, a
    score of 0.01) and 0.01-std weights keep every box of a random network under the score
    threshold, so post-processing and the mask branch would never run. With zero biases the
    scores sit near 0.5 and the detector keeps ``max_per_img`` boxes; 10-std weights spread
    them enough that no two kept boxes tie (tied scores may leave NMS in either order)."""
    convs = getattr(getattr(model, "bbox_head", None), "rtm_cls", None)
    if convs is None:
        return
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for conv in convs if isinstance(convs, torch.nn.ModuleList) else [convs]:
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * 10.0)
            conv.bias.zero_()


def _inputs(model: torch.nn.Module, shape) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(0)
    if type(model).__name__ == "SiamRPN":
        z, x = model.test_cfg["exemplar_size"], model.test_cfg["search_size"]
        return torch.randn(1, 3, z, z, generator=gen), torch.randn(1, 3, x, x, generator=gen)
    if shape is None:
        w, h = model.head.decoder.input_size
        shape = (3, h, w)
    return (torch.randn(1, *shape, generator=gen),)


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _row(name, wrapper, folded, inputs, fmt, folder, threads, repeats) -> dict:
    path = osp.join(folder, "model.onnx" if fmt == "onnx" else "model.pt2")
    row = dict(model=name, format=fmt)
    try:
        start = time.perf_counter()
        export(wrapper, inputs, format=fmt, path=path)
        row["export_s"] = time.perf_counter() - start
    except Exception as err:  # noqa: BLE001 - a failure is a row of the table
        row.update(exported=f"no ({type(err).__name__})")
        return row
    row["exported"] = "yes"
    if fmt == "onnx":
        session = _ort_session(path, threads)
        feed = {a.name: t.numpy() for a, t in zip(session.get_inputs(), inputs)}
        run = lambda: session.run(None, feed)  # noqa: E731
    else:
        module = torch.export.load(path).module()
        run = lambda: [o.detach() for o in module(*inputs)]  # noqa: E731

    with torch.no_grad():
        want = wrapper(*inputs)
        eager = lambda: wrapper(*inputs)  # noqa: E731
        got = [o.numpy() if isinstance(o, torch.Tensor) else o for o in run()]
        rows = compare_outputs(output_names_of(wrapper, len(want)), got, want)
        row["max_diff"] = max(r[1] for r in rows)
        row["verified"] = "ok" if all(r[3] for r in rows) else "FAIL"
        fast = lambda: folded(*inputs)  # noqa: E731
        eager(), fast(), run()  # warm-up
        times: dict[str, list[float]] = dict(eager=[], folded=[], exported=[])
        for _ in range(repeats):  # alternate, so that machine load hits all alike
            for key, fn in zip(times, (eager, fast, run)):
                times[key].append(_ms(fn))
    for key, values in times.items():
        row[f"{key}_ms"] = statistics.median(values)
    row["ratio"] = row["exported_ms"] / row["folded_ms"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", help="run the families whose config contains this text")
    parser.add_argument("--formats", nargs="+", default=["onnx", "torch-export"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    header = (
        "| model | format | exported | verified | max diff | eager ms | folded ms | exported ms "
        "| ratio |"
    )
    print(f"threads {args.threads}, repeats {args.repeats}, torch {torch.__version__}")
    print(header)
    print("|---|---|---|---|---|---|---|---|---|")
    for name, config, shape in FAMILIES:
        if args.only and args.only not in config:
            continue
        model = _build(config)
        wrapper = end2end(model)
        folded = end2end(optimize_for_inference(copy.deepcopy(model)))
        inputs = _inputs(model, shape)
        size = " + ".join("x".join(str(s) for s in t.shape[-2:]) for t in inputs)
        for fmt in args.formats:
            with tempfile.TemporaryDirectory() as folder:
                label = f"{name} {size}"
                row = _row(label, wrapper, folded, inputs, fmt, folder, args.threads, args.repeats)
            if "max_diff" not in row:
                print(f"| {row['model']} | {fmt} | {row['exported']} | - | - | - | - | - | - |")
                continue
            print(
                f"| {row['model']} | {fmt} | yes | {row['verified']} | {row['max_diff']:.2g} | "
                f"{row['eager_ms']:.0f} | {row['folded_ms']:.0f} | {row['exported_ms']:.0f} | "
                f"{row['ratio']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
