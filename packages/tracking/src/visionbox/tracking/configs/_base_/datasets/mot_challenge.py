# MOT17 read from its MOTChallenge folders (data/MOT17/train/<seq>/...), split in halves of every
# sequence as mmdetection's "half-train" / "half-val" (frame_range).
dataset_type = "MOTChallengeDataset"
data_root = "data/MOT17/"
img_scale = (1088, 1088)

backend_args = None
train_pipeline = [
    dict(type="LoadImageFromFile", backend_args=backend_args),
    dict(type="LoadTrackAnnotations"),
    dict(
        type="RandomResize",
        scale=img_scale,
        ratio_range=(0.8, 1.2),
        keep_ratio=True,
        clip_object_border=False,
    ),
    dict(type="PhotoMetricDistortion"),
    dict(type="RandomCrop", crop_size=img_scale, bbox_clip_border=False),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PackTrackInputs"),
]
test_pipeline = [
    dict(type="LoadImageFromFile", backend_args=backend_args),
    dict(type="Resize", scale=img_scale, keep_ratio=True),
    dict(type="LoadTrackAnnotations"),
    dict(type="PackTrackInputs"),
]

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type="DefaultSampler", shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        visibility_thr=-1,
        ann_file="",
        frame_range=(0.0, 0.5),
        data_prefix=dict(img_path="train"),
        metainfo=dict(classes=("pedestrian",)),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type="TrackImgSampler"),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file="",
        frame_range=(0.5, 1.0),
        data_prefix=dict(img_path="train"),
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

val_evaluator = dict(type="MOTChallengeMetric", metric=["HOTA", "CLEAR", "Identity"])
test_evaluator = val_evaluator
