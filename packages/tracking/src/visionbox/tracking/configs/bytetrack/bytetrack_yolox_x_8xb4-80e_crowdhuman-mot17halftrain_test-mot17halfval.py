# ByteTrack: YOLOX-X (the detection package's, one class) trained on CrowdHuman + MOT17 half-train,
# tracked with ByteTracker and evaluated on MOT17 half-val.
_base_ = [
    "detection::yolox/yolox_x_8xb8-300e_coco.py",
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


img_scale = (1440, 800)  # width, height

detector = _base_.model
detector.pop("data_preprocessor")
detector.bbox_head.update(dict(num_classes=1))
detector.test_cfg.nms.update(dict(iou_threshold=0.7))
detector["init_cfg"] = dict(
    type="Pretrained",
    checkpoint="https://download.openmmlab.com/mmdetection/v2.0/yolox/yolox_x_8x8_300e_coco/"
    "yolox_x_8x8_300e_coco_20211126_140254-1ef88d67.pth",
)
del _base_.model

model = dict(
    type="ByteTrack",
    data_preprocessor=dict(type="TrackDataPreprocessor", pad_size_divisor=32),
    detector=_scoped(detector),
    tracker=dict(
        type="ByteTracker",
        motion=dict(type="KalmanFilter"),
        obj_score_thrs=dict(high=0.6, low=0.1),
        init_track_thr=0.7,
        weight_iou_with_det_scores=True,
        match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
        num_frames_retain=30,
    ),
)
del detector

test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=img_scale, keep_ratio=True),
    dict(type="Pad", size_divisor=32, pad_val=dict(img=(114.0, 114.0, 114.0))),
    dict(type="LoadTrackAnnotations"),
    dict(type="PackTrackInputs"),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# The detector is trained with the detection package's YOLOX recipe on CrowdHuman and MOT17
# half-train (tools/detection/train.py), then loaded through detector.init_cfg.
train_dataloader = None
train_cfg = None
val_cfg = dict(type="ValLoop")
test_cfg = dict(type="TestLoop")
