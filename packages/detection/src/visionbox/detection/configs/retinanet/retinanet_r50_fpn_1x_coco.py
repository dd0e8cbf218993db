# RetinaNet R50-FPN, 1x schedule on COCO (mmdet 3.x's config without its test-time-augmentation
# part, retinanet_tta.py).
_base_ = [
    "../_base_/models/retinanet_r50_fpn.py",
    "../_base_/datasets/coco_detection.py",
    "../_base_/schedules/schedule_1x.py",
    "../_base_/default_runtime.py",
]

# optimizer
optim_wrapper = dict(optimizer=dict(type="SGD", lr=0.01, momentum=0.9, weight_decay=0.0001))
