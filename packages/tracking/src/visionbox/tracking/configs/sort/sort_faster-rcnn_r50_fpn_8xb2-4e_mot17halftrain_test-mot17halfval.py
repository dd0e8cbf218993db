# SORT: a person Faster R-CNN (from the detection package) + a Kalman/IoU tracker, no ReID.
_base_ = [
    "detection::_base_/models/faster-rcnn_r50_fpn.py",
    "../_base_/datasets/mot_challenge.py",
    "../_base_/default_runtime.py",
]


def _scoped(cfg, scope="detection"):
    """Give every component dict of the detector its scope (``_scope_='detection'``), so that its
    types resolve in the detection package from this tracking config."""
    if isinstance(cfg, dict):
        keep = ("norm_cfg", "act_cfg", "conv_cfg", "roi_layer", "nms", "init_cfg")
        out = {k: (v if k in keep else _scoped(v, scope)) for k, v in cfg.items()}
        if "type" in out:
            out["_scope_"] = scope
        return out
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(_scoped(v, scope) for v in cfg)
    return cfg


detector = _base_.model
detector.pop("data_preprocessor")
detector.rpn_head.bbox_coder.update(dict(clip_border=False))
detector.roi_head.bbox_head.update(dict(num_classes=1))
detector.roi_head.bbox_head.bbox_coder.update(dict(clip_border=False))
detector["init_cfg"] = dict(
    type="Pretrained",
    checkpoint="https://download.openmmlab.com/mmtracking/mot/"
    "faster_rcnn/faster-rcnn_r50_fpn_4e_mot17-half-64ee2ed4.pth",
)
del _base_.model

model = dict(
    type="DeepSORT",
    data_preprocessor=dict(
        type="TrackDataPreprocessor",
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        rgb_to_bgr=False,
        pad_size_divisor=32,
    ),
    detector=_scoped(detector),
    tracker=dict(
        type="SORTTracker",
        motion=dict(type="KalmanFilter", center_only=False),
        obj_score_thr=0.5,
        match_iou_thr=0.5,
        reid=None,
    ),
)
del detector

train_dataloader = None
train_cfg = None
val_cfg = dict(type="ValLoop")
test_cfg = dict(type="TestLoop")
