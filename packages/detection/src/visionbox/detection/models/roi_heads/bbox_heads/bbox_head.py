"""``BBoxHead``: classification and box regression of RoIs (Fast R-CNN, Girshick 2015,
https://arxiv.org/abs/1504.08083), with mmdet 3.x's arguments and keys (``fc_cls``, ``fc_reg``).

Shape shorthand: R RoIs over the batch as (R, 5) ``[image index, x1, y1, x2, y2]``; C classes
(``num_classes``; index C is background); S the RoI feature size.
Targets, losses and post-processing run on the whole batch at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ....registry import MODELS, TASK_UTILS
from ...builder import build_module
from ...layers import batched_nms

__all__ = ["BBoxHead", "accuracy"]

_DEFAULT_CODER = dict(
    type="DeltaXYWHBBoxCoder",
    clip_border=True,
    target_means=[0.0, 0.0, 0.0, 0.0],
    target_stds=[0.1, 0.1, 0.2, 0.2],
)


def accuracy(pred: Tensor, target: Tensor) -> Tensor:
    """Top-1 accuracy in percent of (N, C) scores against (N,) labels (100 when N == 0)."""
    if target.numel() == 0:
        return pred.new_tensor(100.0)
    return (pred.argmax(dim=1) == target).float().mean() * 100.0


def _linear(cfg: dict | None, in_features: int, out_features: int) -> nn.Linear:
    kind = (cfg or {}).get("type", "Linear")
    if kind != "Linear":
        raise ValueError(f"predictor type {kind!r} is not supported; use 'Linear'")
    return nn.Linear(in_features, out_features)


@MODELS.register_module()
class BBoxHead(BaseModule):
    """The simplest RoI box head: optional average pooling, then two linear predictors.

    Args:
        with_avg_pool: Average-pool the (S, S) RoI features first.
        with_cls: Predict class scores (``fc_cls``, C + 1 outputs).
        with_reg: Predict box deltas (``fc_reg``, 4 or 4 * C outputs).
        roi_feat_size: S.
        in_channels: Channels of the RoI features.
        num_classes: C.
        bbox_coder: Box coder config.
        predict_box_type: Only ``'hbox'``.
        reg_class_agnostic: One box per RoI instead of one per class.
        reg_decoded_bbox: Regress absolute boxes (IoU losses).
        reg_predictor_cfg / cls_predictor_cfg: ``dict(type='Linear')``.
        loss_cls: Classification loss config.
        loss_bbox: Box loss config.
        init_cfg: Defaults to normal(0.01) on ``fc_cls`` and normal(0.001) on ``fc_reg``.
    """

    def __init__(
        self,
        with_avg_pool: bool = False,
        with_cls: bool = True,
        with_reg: bool = True,
        roi_feat_size: int = 7,
        in_channels: int = 256,
        num_classes: int = 80,
        bbox_coder: dict | None = None,
        predict_box_type: str = "hbox",
        reg_class_agnostic: bool = False,
        reg_decoded_bbox: bool = False,
        reg_predictor_cfg: dict | None = None,
        cls_predictor_cfg: dict | None = None,
        loss_cls: dict | nn.Module | None = None,
        loss_bbox: dict | nn.Module | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not (with_cls or with_reg):
            raise ValueError("BBoxHead needs with_cls or with_reg")
        if predict_box_type != "hbox":
            raise ValueError(f"predict_box_type must be 'hbox', got {predict_box_type!r}")
        self.with_avg_pool = with_avg_pool
        self.with_cls = with_cls
        self.with_reg = with_reg
        self.roi_feat_size = (
            (roi_feat_size, roi_feat_size)
            if isinstance(roi_feat_size, int)
            else tuple(roi_feat_size)
        )
        self.roi_feat_area = self.roi_feat_size[0] * self.roi_feat_size[1]
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.predict_box_type = predict_box_type
        self.reg_class_agnostic = reg_class_agnostic
        self.reg_decoded_bbox = reg_decoded_bbox
        self.reg_predictor_cfg = reg_predictor_cfg or dict(type="Linear")
        self.cls_predictor_cfg = cls_predictor_cfg or dict(type="Linear")
        self.bbox_coder = TASK_UTILS.build(bbox_coder or dict(_DEFAULT_CODER))
        self.loss_cls = build_module(
            loss_cls or dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0)
        )
        self.loss_bbox = build_module(
            loss_bbox or dict(type="SmoothL1Loss", beta=1.0, loss_weight=1.0)
        )
        if getattr(self.loss_cls, "use_sigmoid", False):
            raise ValueError("BBoxHead's loss_cls must be a softmax loss (use_sigmoid=False)")
        in_features = in_channels if with_avg_pool else in_channels * self.roi_feat_area
        if with_avg_pool:
            self.avg_pool = nn.AvgPool2d(self.roi_feat_size)
        if with_cls:
            self.fc_cls = _linear(self.cls_predictor_cfg, in_features, num_classes + 1)
        if with_reg:
            self.fc_reg = _linear(self.reg_predictor_cfg, in_features, self.reg_out_dim)
        if init_cfg is None:
            self.init_cfg = []
            if with_cls:
                self.init_cfg.append(dict(type="Normal", std=0.01, override=dict(name="fc_cls")))
            if with_reg:
                self.init_cfg.append(dict(type="Normal", std=0.001, override=dict(name="fc_reg")))

    @property
    def reg_out_dim(self) -> int:
        """4 (class-agnostic) or 4 * C."""
        return 4 if self.reg_class_agnostic else 4 * self.num_classes

    def forward(self, x: Tensor) -> tuple[Tensor | None, Tensor | None]:
        """(R, C_in, S, S) -> cls (R, C + 1), deltas (R, 4 or 4 * C)."""
        if self.with_avg_pool:
            x = self.avg_pool(x)
        x = x.flatten(1)
        cls_score = self.fc_cls(x) if self.with_cls else None
        bbox_pred = self.fc_reg(x) if self.with_reg else None
        return cls_score, bbox_pred

    # Targets and losses ----------------------------------------------------------------------

    def get_targets(
        self, sampling_results: Sequence, rcnn_train_cfg: dict | None, concat: bool = True
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Targets of every sampled RoI, positives first within each image.

        Returns:
            ``labels`` (R,), ``label_weights`` (R,), ``bbox_targets`` (R, 4),
            ``bbox_weights`` (R, 4), concatenated over images.
        """
        pos_weight = (rcnn_train_cfg or {}).get("pos_weight", -1)
        pos_priors = torch.cat([r.pos_priors for r in sampling_results])
        pos_gt = torch.cat([r.pos_gt_bboxes for r in sampling_results])
        pos_labels = torch.cat([r.pos_gt_labels for r in sampling_results])
        num_pos = [len(r.pos_priors) for r in sampling_results]
        num_neg = [len(r.neg_priors) for r in sampling_results]
        device = pos_priors.device
        # Mask of positives in the concatenated [pos_0, neg_0, pos_1, neg_1, ...] order.
        is_pos = torch.cat(
            [
                torch.cat([torch.ones(p, dtype=torch.bool), torch.zeros(n, dtype=torch.bool)])
                for p, n in zip(num_pos, num_neg)
            ]
        ).to(device)
        total = is_pos.numel()
        labels = torch.full((total,), self.num_classes, dtype=torch.long, device=device)
        label_weights = pos_priors.new_ones(total)
        bbox_targets = pos_priors.new_zeros((total, 4))
        bbox_weights = pos_priors.new_zeros((total, 4))
        if pos_priors.numel() > 0:
            labels[is_pos] = pos_labels.long()
            if pos_weight > 0:
                label_weights[is_pos] = pos_weight
            targets = (
                pos_gt if self.reg_decoded_bbox else self.bbox_coder.encode(pos_priors, pos_gt)
            )
            bbox_targets[is_pos] = targets.to(bbox_targets.dtype)
            bbox_weights[is_pos] = 1.0
        return labels, label_weights, bbox_targets, bbox_weights

    def loss(
        self,
        cls_score: Tensor | None,
        bbox_pred: Tensor | None,
        rois: Tensor,
        labels: Tensor,
        label_weights: Tensor,
        bbox_targets: Tensor,
        bbox_weights: Tensor,
    ) -> dict[str, Tensor]:
        """``loss_cls``, ``acc`` and ``loss_bbox``; the box loss is 0 without positives."""
        losses: dict[str, Tensor] = {}
        if cls_score is not None:
            avg_factor = max(float((label_weights > 0).sum()), 1.0)
            if cls_score.numel() > 0:
                losses["loss_cls"] = self.loss_cls(
                    cls_score, labels, label_weights, avg_factor=avg_factor
                )
                losses["acc"] = accuracy(cls_score.detach(), labels)
        if bbox_pred is not None:
            pos = (labels >= 0) & (labels < self.num_classes)
            if pos.any():
                if self.reg_decoded_bbox:
                    bbox_pred = self.bbox_coder.decode(rois[:, 1:], bbox_pred)
                if self.reg_class_agnostic:
                    pos_pred = bbox_pred.reshape(bbox_pred.size(0), 4)[pos]
                else:
                    pos_pred = bbox_pred.reshape(bbox_pred.size(0), -1, 4)[pos, labels[pos]]
                losses["loss_bbox"] = self.loss_bbox(
                    pos_pred,
                    bbox_targets[pos],
                    bbox_weights[pos],
                    avg_factor=bbox_targets.size(0),
                )
            else:
                losses["loss_bbox"] = bbox_pred[pos].sum()
        return losses

    def loss_and_target(
        self,
        cls_score: Tensor | None,
        bbox_pred: Tensor | None,
        rois: Tensor,
        sampling_results: Sequence,
        rcnn_train_cfg: dict | None,
    ) -> dict:
        """``dict(loss_bbox=<losses>, bbox_targets=<targets>)`` as mmdet's RoI heads expect."""
        targets = self.get_targets(sampling_results, rcnn_train_cfg)
        return dict(loss_bbox=self.loss(cls_score, bbox_pred, rois, *targets), bbox_targets=targets)

    # Prediction ------------------------------------------------------------------------------

    def predict_by_feat(
        self,
        rois: Sequence[Tensor],
        cls_scores: Sequence[Tensor],
        bbox_preds: Sequence[Tensor | None],
        batch_img_metas: list[dict],
        rcnn_test_cfg: dict | None = None,
        rescale: bool = False,
    ) -> list[InstanceData]:
        """Detections of every image from its RoIs' scores and deltas.

        Args:
            rois: B tensors (R_i, 5).
            cls_scores: B tensors (R_i, C + 1) logits.
            bbox_preds: B tensors (R_i, 4 * C) deltas (or ``None``).
            batch_img_metas: B metainfo dicts (``img_shape``, ``scale_factor``).
            rcnn_test_cfg: ``score_thr``, ``nms``, ``max_per_img``; ``None`` keeps every RoI's
                best box without NMS.
            rescale: Map the boxes back to the original image.

        Returns:
            B ``InstanceData`` with ``bboxes`` (D, 4), ``scores`` (D,), ``labels`` (D,).
        """
        sizes = [len(r) for r in rois]
        all_rois = torch.cat(list(rois))
        scores = torch.cat(list(cls_scores)).softmax(-1)
        img_idx = all_rois[:, 0].long()
        if bbox_preds[0] is not None:
            deltas = torch.cat(list(bbox_preds))
            boxes = self.bbox_coder.decode(all_rois[:, 1:], deltas)
        else:
            boxes = all_rois[:, 1:].clone()
        boxes = boxes.reshape(boxes.size(0), -1, 4)
        shapes = boxes.new_tensor([m["img_shape"][:2] for m in batch_img_metas])  # (B, 2) h, w
        bound = shapes[img_idx].flip(-1).repeat(1, 2)[:, None, :]
        boxes = torch.min(boxes.clamp(min=0), bound)
        if rescale:
            factors = boxes.new_tensor(
                [list(m.get("scale_factor", (1.0, 1.0)))[:2] for m in batch_img_metas]
            )
            boxes = boxes / factors[img_idx].repeat(1, 2)[:, None, :]
        if rcnn_test_cfg is None:
            return self._without_nms(boxes, scores, img_idx, len(batch_img_metas), sizes)
        return self._nms(boxes, scores, img_idx, len(batch_img_metas), rcnn_test_cfg)

    def _without_nms(self, boxes, scores, img_idx, num_imgs, sizes) -> list[InstanceData]:
        fg, labels = scores[:, :-1].max(dim=1)
        if boxes.size(1) > 1:
            boxes = boxes[torch.arange(len(boxes), device=boxes.device), labels]
        else:
            boxes = boxes[:, 0]
        return [
            InstanceData(
                bboxes=boxes[img_idx == i], scores=fg[img_idx == i], labels=labels[img_idx == i]
            )
            for i in range(num_imgs)
        ]

    def _nms(self, boxes, scores, img_idx, num_imgs, cfg) -> list[InstanceData]:
        num_rois, num_classes = scores.size(0), scores.size(1) - 1
        if boxes.size(1) == 1:
            boxes = boxes.expand(num_rois, num_classes, 4)
        labels = torch.arange(num_classes, device=scores.device).expand(num_rois, num_classes)
        max_per_img = cfg.get("max_per_img", -1)
        results = []
        # One NMS per image (classes as groups) on its candidates in (RoI, class) order, as
        # mmdet's multiclass_nms, so that equal scores come out in mmdet's order.
        for i in range(num_imgs):
            mine = img_idx == i
            flat_scores = scores[mine, :-1].reshape(-1)
            valid = torch.nonzero(flat_scores > cfg.get("score_thr", 0.0)).flatten()
            flat_labels = labels[mine].reshape(-1)[valid]
            dets, keep = batched_nms(
                boxes[mine].reshape(-1, 4)[valid], flat_scores[valid], flat_labels, cfg["nms"]
            )
            lab = flat_labels[keep]
            if max_per_img > 0:
                dets, lab = dets[:max_per_img], lab[:max_per_img]
            results.append(InstanceData(bboxes=dets[:, :4], scores=dets[:, 4], labels=lab))
        return results
