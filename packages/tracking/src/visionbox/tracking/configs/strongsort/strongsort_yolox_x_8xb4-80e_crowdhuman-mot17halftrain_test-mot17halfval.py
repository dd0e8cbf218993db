# StrongSORT: ByteTrack's YOLOX-X detector, a ResNet-50 ReID model, ECC camera-motion
# compensation and the StrongSORT tracker; short gaps are interpolated by the metric.
_base_ = ["../bytetrack/bytetrack_yolox_x_8xb4-80e_crowdhuman-mot17halftrain_test-mot17halfval.py"]

model = dict(
    type="StrongSORT",
    # The detector sees raw pixels (YOLOX); the tracker re-normalises the ReID crops with the
    # tracker's reid.img_norm_cfg.
    data_preprocessor=dict(type="TrackDataPreprocessor", pad_size_divisor=32),
    reid=dict(
        type="BaseReID",
        data_preprocessor=None,
        backbone=dict(type="ResNet", depth=50, num_stages=4, out_indices=(3,), style="pytorch"),
        neck=dict(type="GlobalAveragePooling", kernel_size=(8, 4), stride=1),
        head=dict(
            type="LinearReIDHead",
            num_fcs=1,
            in_channels=2048,
            fc_channels=1024,
            out_channels=128,
            num_classes=380,
            loss_cls=dict(type="CrossEntropyLoss", loss_weight=1.0),
            loss_triplet=dict(type="TripletLoss", margin=0.3, loss_weight=1.0),
            norm_cfg=dict(type="BN1d"),
            act_cfg=dict(type="ReLU"),
        ),
    ),
    cmc=dict(
        type="CameraMotionCompensation",
        warp_mode="cv2.MOTION_EUCLIDEAN",
        num_iters=100,
        stop_eps=0.00001,
    ),
    tracker=dict(
        _delete_=True,
        type="StrongSORTTracker",
        motion=dict(type="KalmanFilter", center_only=False, use_nsa=True),
        obj_score_thr=0.6,
        reid=dict(
            num_samples=None,
            img_scale=(256, 128),
            img_norm_cfg=dict(
                mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True
            ),
            match_score_thr=0.3,
            motion_weight=0.02,
        ),
        match_iou_thr=0.7,
        momentums=dict(embeds=0.1),
        num_tentatives=2,
        num_frames_retain=100,
    ),
)

val_evaluator = dict(
    type="MOTChallengeMetric",
    metric=["HOTA", "CLEAR", "Identity"],
    use_postprocess=True,
    postprocess_tracklet_cfg=[
        dict(type="InterpolateTracklets", min_num_frames=5, max_num_frames=20)
    ],
)
test_evaluator = val_evaluator

# As in mmdetection, this config only tracks: the detector and the ReID model are trained by
# their own configs and loaded through init_cfg.
train_dataloader = None
train_cfg = None
optim_wrapper = None
param_scheduler = None
custom_hooks = []
