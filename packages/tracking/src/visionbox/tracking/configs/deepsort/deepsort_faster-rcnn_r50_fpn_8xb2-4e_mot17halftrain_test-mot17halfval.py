# DeepSORT: SORT's person Faster R-CNN + a ResNet-50 ReID model for appearance matching.
_base_ = ["../sort/sort_faster-rcnn_r50_fpn_8xb2-4e_mot17halftrain_test-mot17halfval.py"]

model = dict(
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
        init_cfg=dict(
            type="Pretrained",
            checkpoint="https://download.openmmlab.com/mmtracking/mot/reid/"
            "tracktor_reid_r50_iter25245-a452f51f.pth",
        ),
    ),
    tracker=dict(
        _delete_=True,
        type="SORTTracker",
        motion=dict(type="KalmanFilter", center_only=False),
        obj_score_thr=0.5,
        reid=dict(num_samples=10, img_scale=(256, 128), img_norm_cfg=None, match_score_thr=2.0),
        match_iou_thr=0.5,
        momentums=None,
        num_tentatives=2,
        num_frames_retain=100,
    ),
)
