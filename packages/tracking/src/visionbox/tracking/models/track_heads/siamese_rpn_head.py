"""``SiameseRPNHead`` of SiamRPN++ (Li et al. 2019, https://arxiv.org/abs/1812.11703).

Shape shorthand: N pairs, C channels, template maps (h, w) (7x7), search maps (Hs, Ws) (31x31),
score maps (H, W) = (Hs - h + 1, Ws - w + 1) (25x25), A base anchors, K = H * W * A anchors,
ordered ``(y * W + x) * A + a``. Boxes are x1y1x2y2 in search-crop pixels unless stated.

Training targets are built for the whole batch at once: IoU of every anchor with each pair's
box, positives (IoU >= ``pos_iou_thr``, plus the low-quality matches when
``match_low_quality``) and negatives (IoU in the ``neg_iou_thr`` range) sampled at random (at
most ``num * pos_fraction`` positives and ``num - positives`` negatives, bounded by
``neg_pos_ub * positives`` and, as in mmtracking, ``num * (1 - pos_fraction)``: the semantics of
mmdet's ``MaxIoUAssigner`` + ``RandomSampler`` with one box); a negative pair samples
``num_neg`` negatives from the 7x7 cells around the distractor's position. ``train_cfg`` and
``test_cfg`` are checked when the head is built (:mod:`.siamese_rpn_cfg`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn
from torchvision.ops import box_iou

from visionbox.core.models import ConvModule
from visionbox.tracking.registry import MODELS, TASK_UTILS

from .siamese_rpn_cfg import parse_test_cfg, parse_train_cfg

__all__ = ["CorrelationHead", "SiameseRPNHead", "depthwise_correlation"]

# read-only defaults (copied before use)
_BN = MappingProxyType(dict(type="BN"))
_RELU = MappingProxyType(dict(type="ReLU"))
_CODER = MappingProxyType(
    dict(
        type="detection.DeltaXYWHBBoxCoder",
        target_means=(0.0, 0.0, 0.0, 0.0),
        target_stds=(1.0, 1.0, 1.0, 1.0),
    )
)
_LOSS_CLS = MappingProxyType(dict(type="CrossEntropyLoss", reduction="sum", loss_weight=1.0))
_LOSS_BBOX = MappingProxyType(dict(type="L1Loss", reduction="sum", loss_weight=1.2))


def _copy(cfg: Mapping | None) -> dict | None:
    return None if cfg is None else dict(cfg)


def depthwise_correlation(x: Tensor, kernel: Tensor) -> Tensor:
    """Per-channel cross-correlation of each search map with its own template.

    Args:
        x: (N, C, Hs, Ws) search features.
        kernel: (N, C, h, w) template features.

    Returns:
        (N, C, Hs - h + 1, Ws - w + 1).
    """
    n, c = kernel.shape[:2]
    out = F.conv2d(
        x.reshape(1, n * c, *x.shape[2:]), kernel.reshape(n * c, 1, *kernel.shape[2:]), groups=n * c
    )
    return out.reshape(n, c, *out.shape[2:])


@MODELS.register_module()
class CorrelationHead(BaseModule):
    """Template and search convs, depthwise correlation, then two 1x1 convs.

    Args:
        in_channels: Input channels.
        mid_channels: Channels of the correlated maps.
        out_channels: Output channels.
        kernel_size: Kernel of the template and search convs.
        norm_cfg: Norm after each conv.
        act_cfg: Activation after each conv (not the last).
        init_cfg: Initialisation config.
    """

    def __init__(
        self,
        in_channels: int,
        mid_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        norm_cfg: Mapping | None = _BN,
        act_cfg: Mapping | None = _RELU,
        init_cfg: dict | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        norm_cfg, act_cfg = _copy(norm_cfg), _copy(act_cfg)
        conv = dict(kernel_size=kernel_size, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.kernel_convs = ConvModule(in_channels, mid_channels, **conv)
        self.search_convs = ConvModule(in_channels, mid_channels, **conv)
        self.head_convs = nn.Sequential(
            ConvModule(mid_channels, mid_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg),
            ConvModule(mid_channels, out_channels, 1, act_cfg=None),
        )

    def forward(self, kernel: Tensor, search: Tensor) -> Tensor:
        """(N, C, h, w) template and (N, C, Hs, Ws) search maps -> (N, out, H, W)."""
        corr = depthwise_correlation(self.search_convs(search), self.kernel_convs(kernel))
        return self.head_convs(corr)


@MODELS.register_module()
class SiameseRPNHead(BaseModule):
    """Siamese RPN head: one classification and one regression ``CorrelationHead`` per level,
    summed with learnable softmax weights (``weighted_sum``) or averaged.

    Args:
        anchor_generator: ``SiameseRPNAnchorGenerator`` config.
        in_channels: Channels of each level.
        kernel_size: Kernel of the correlation heads' convs.
        norm_cfg: Norm config of the correlation heads.
        weighted_sum: Learnable level weights instead of the mean.
        bbox_coder: Box coder config (deltas from anchors).
        loss_cls: Classification loss (2-way softmax over bg / fg).
        loss_bbox: Regression loss.
        train_cfg: ``assigner`` (``MaxIoUAssigner`` config), ``sampler`` (``RandomSampler``
            config), ``num_neg``, ``search_size``, ``exemplar_size``; see
            :mod:`.siamese_rpn_cfg` for what is honoured. Checked at construction.
        test_cfg: ``penalty_k``, ``window_influence``, ``lr``.
        init_cfg: Initialisation config.
    """

    def __init__(
        self,
        anchor_generator: dict,
        in_channels: list[int],
        kernel_size: int = 3,
        norm_cfg: Mapping | None = _BN,
        weighted_sum: bool = False,
        bbox_coder: Mapping = _CODER,
        loss_cls: Mapping = _LOSS_CLS,
        loss_bbox: Mapping = _LOSS_BBOX,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, (list, tuple)) or not in_channels:
            raise TypeError(f"SiameseRPNHead: in_channels must be a list, got {in_channels!r}")
        self.anchor_generator = TASK_UTILS.build(anchor_generator)
        self.bbox_coder = TASK_UTILS.build(_copy(bbox_coder))
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.targets_cfg = parse_train_cfg(train_cfg)
        self.predict_cfg = parse_test_cfg(test_cfg)
        num_anchors = self.anchor_generator.num_base_anchors[0]
        self.cls_heads = nn.ModuleList(
            CorrelationHead(c, c, 2 * num_anchors, kernel_size, norm_cfg) for c in in_channels
        )
        self.reg_heads = nn.ModuleList(
            CorrelationHead(c, c, 4 * num_anchors, kernel_size, norm_cfg) for c in in_channels
        )
        self.weighted_sum = weighted_sum
        if weighted_sum:
            self.cls_weight = nn.Parameter(torch.ones(len(in_channels)))
            self.reg_weight = nn.Parameter(torch.ones(len(in_channels)))
        self.loss_cls = MODELS.build(_copy(loss_cls))
        self.loss_bbox = MODELS.build(_copy(loss_bbox))

    def forward(
        self, template_feats: tuple[Tensor, ...], search_feats: tuple[Tensor, ...]
    ) -> tuple[Tensor, Tensor]:
        """Per-level (N, C, h, w) template and (N, C, Hs, Ws) search maps -> ``cls_score``
        (N, 2A, H, W) (channels: A background logits then A foreground logits) and
        ``bbox_pred`` (N, 4A, H, W)."""
        if len(template_feats) != len(self.cls_heads) or len(search_feats) != len(self.cls_heads):
            raise ValueError(
                f"SiameseRPNHead has {len(self.cls_heads)} levels, got {len(template_feats)} "
                f"template and {len(search_feats)} search maps"
            )
        levels = len(self.cls_heads)
        if self.weighted_sum:
            cls_w, reg_w = self.cls_weight.softmax(0), self.reg_weight.softmax(0)
        else:
            cls_w = reg_w = [1.0 / levels] * levels
        cls_score = bbox_pred = 0
        for i in range(levels):
            cls_score = cls_score + cls_w[i] * self.cls_heads[i](template_feats[i], search_feats[i])
            bbox_pred = bbox_pred + reg_w[i] * self.reg_heads[i](template_feats[i], search_feats[i])
        return cls_score, bbox_pred

    # Training ---------------------------------------------------------------------------------

    @staticmethod
    def _sample(mask: Tensor, limit: Tensor) -> Tensor:
        """Keep at most ``limit`` (N, 1) random True entries of each row of (N, K) ``mask``."""
        keys = torch.where(mask, torch.rand(mask.shape, device=mask.device), 2.0)
        ranks = torch.empty_like(keys, dtype=torch.long)
        ranks.scatter_(
            1,
            keys.argsort(1),
            torch.arange(mask.shape[1], device=mask.device).expand_as(mask).contiguous(),
        )
        return mask & (ranks < limit)

    def get_targets(
        self, gt_bboxes: Tensor, is_positive: Tensor, score_maps_size: tuple[int, int]
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Targets of a batch of pairs.

        Args:
            gt_bboxes: (N, 4) target box in each search crop.
            is_positive: (N,) bool, positive pairs.
            score_maps_size: (H, W).

        Returns:
            ``labels`` (N, K) long, ``labels_weights`` (N, K), ``bbox_targets`` (N, K, 4),
            ``bbox_weights`` (N, K, 4); weights already divided by N.
        """
        cfg = self.targets_cfg
        if cfg is None:
            raise RuntimeError(
                "SiameseRPNHead: training needs a train_cfg (the model's train_cfg.rpn)"
            )
        n = gt_bboxes.shape[0]
        h, w = score_maps_size
        device = gt_bboxes.device
        search_size = cfg.search_size
        anchors = self.anchor_generator.centered_priors((h, w), device) + search_size // 2
        num_a = self.anchor_generator.num_base_anchors[0]
        iou = box_iou(gt_bboxes.float(), anchors)  # (N, K)
        assigned_pos = iou >= cfg.pos_iou_thr
        if cfg.match_low_quality:  # the anchors of best IoU, when it reaches min_pos_iou
            best = iou.max(1, keepdim=True).values
            if cfg.gt_max_assign_all:
                low = iou == best
            else:
                low = torch.zeros_like(assigned_pos).scatter_(1, iou.argmax(1, keepdim=True), True)
            assigned_pos |= low & (best >= cfg.min_pos_iou)
        num, pos_fraction = cfg.num, cfg.pos_fraction
        pos = self._sample(
            assigned_pos & is_positive[:, None],
            torch.full((n, 1), int(num * pos_fraction), device=device),
        )
        num_pos = pos.sum(1, keepdim=True)
        neg_limit = (num - num_pos).clamp(max=int(num * (1 - pos_fraction)))
        if cfg.neg_pos_ub >= 0:
            neg_limit = torch.minimum(neg_limit, (cfg.neg_pos_ub * num_pos.clamp(min=1)).long())
        neg_pos_pair = (iou >= cfg.neg_iou_lo) & (iou < cfg.neg_iou_hi) & ~assigned_pos
        # negative pairs: anchors of the 7x7 cells around the distractor
        stride_w, stride_h = self.anchor_generator.strides[0]
        centers = (gt_bboxes[:, :2] + gt_bboxes[:, 2:]) / 2 - search_size // 2
        cx = w // 2 + torch.ceil(centers[:, 0] / stride_w + 0.5).long()
        cy = h // 2 + torch.ceil(centers[:, 1] / stride_h + 0.5).long()
        cell = torch.arange(h * w * num_a, device=device) // num_a
        ys, xs = cell // w, cell % w
        near = ((xs[None] - cx[:, None]).abs() <= 3) & ((ys[None] - cy[:, None]).abs() <= 3)
        neg_limit = torch.where(is_positive[:, None], neg_limit, cfg.num_neg)
        neg = self._sample(torch.where(is_positive[:, None], neg_pos_pair, near), neg_limit)

        num_pos = pos.sum(1, keepdim=True).clamp(min=1).float()
        num_neg = neg.sum(1, keepdim=True).clamp(min=1).float()
        labels = pos.long()
        labels_weights = (pos / num_pos / 2 + neg / num_neg / 2) / n
        bbox_weights = (pos / num_pos / n)[..., None].expand(n, anchors.shape[0], 4)
        flat_gt = gt_bboxes[:, None].expand(n, anchors.shape[0], 4).reshape(-1, 4)
        flat_anchors = anchors[None].expand(n, -1, 4).reshape(-1, 4)
        bbox_targets = self.bbox_coder.encode(flat_anchors, flat_gt).reshape(n, -1, 4)
        bbox_targets = torch.where(pos[..., None], bbox_targets, 0.0)  # no inf from empty boxes
        return labels, labels_weights, bbox_targets, bbox_weights

    def loss_by_feat(
        self, cls_score: Tensor, bbox_pred: Tensor, gt_bboxes: Tensor, is_positive: Tensor
    ) -> dict[str, Tensor]:
        """``loss_rpn_cls`` and ``loss_rpn_bbox`` of (N, 2A, H, W) scores and (N, 4A, H, W)
        deltas against (N, 4) search-crop boxes and (N,) positive-pair flags."""
        n, _, h, w = cls_score.shape
        labels, labels_weights, bbox_targets, bbox_weights = self.get_targets(
            gt_bboxes, is_positive.bool(), (h, w)
        )
        cls = cls_score.view(n, 2, -1, h, w).permute(0, 3, 4, 2, 1).reshape(-1, 2)
        reg = bbox_pred.view(n, 4, -1, h, w).permute(0, 3, 4, 2, 1).reshape(-1, 4)
        return dict(
            loss_rpn_cls=self.loss_cls(cls, labels.view(-1), weight=labels_weights.view(-1)),
            loss_rpn_bbox=self.loss_bbox(
                reg, bbox_targets.view(-1, 4), weight=bbox_weights.reshape(-1, 4)
            ),
        )

    def loss(
        self,
        template_feats: tuple[Tensor, ...],
        search_feats: tuple[Tensor, ...],
        batch_data_samples: list,
    ) -> dict[str, Tensor]:
        """Losses of a batch of pairs; each ``TrackDataSample`` holds the template and the search
        frame, the search frame's ``gt_instances`` (``bboxes`` (1, 4) in the search crop,
        ``labels`` (1,): 1 for a positive pair, 0 for a negative one)."""
        gt = torch.stack(
            [s.video_data_samples[-1].gt_instances.bboxes[0] for s in batch_data_samples]
        )
        positive = torch.stack(
            [s.video_data_samples[-1].gt_instances.labels[0] for s in batch_data_samples]
        )
        return self.loss_by_feat(*self(template_feats, search_feats), gt, positive.bool())

    # Inference ---------------------------------------------------------------------------------

    def predict(
        self,
        template_feats: tuple[Tensor, ...],
        search_feats: tuple[Tensor, ...],
        prev_bbox: Tensor,
        scale_factor: float | Tensor,
        img_shape: tuple[int, int],
    ) -> InstanceData:
        """Track one frame (N = 1); see :meth:`predict_by_feat`."""
        cls_score, bbox_pred = self(template_feats, search_feats)
        return self.predict_by_feat(cls_score, bbox_pred, prev_bbox, scale_factor, img_shape)

    def predict_by_feat(
        self,
        cls_score: Tensor,
        bbox_pred: Tensor,
        prev_bbox: Tensor,
        scale_factor: float | Tensor,
        img_shape: tuple[int, int],
    ) -> InstanceData:
        """Choose the box of one frame: foreground scores penalised for scale and aspect-ratio
        change (``penalty_k``), blended with a cosine window (``window_influence``); the size is
        smoothed with rate ``lr * penalty * score``.

        Args:
            cls_score: (1, 2A, H, W).
            bbox_pred: (1, 4A, H, W).
            prev_bbox: (4,) previous box, cx cy w h in image pixels.
            scale_factor: Search-crop pixels per image pixel.
            img_shape: (height, width) of the image, to clip the box.

        Returns:
            ``InstanceData`` with ``scores`` (1,) and ``bboxes`` (1, 4) x1y1x2y2 image pixels.
        """
        cfg = self.predict_cfg
        h, w = cls_score.shape[2:]
        anchors = self.anchor_generator.centered_priors((h, w), cls_score.device)
        window = self.anchor_generator.gen_2d_hanning_windows([(h, w)], cls_score.device)[0]
        scores = cls_score.view(2, -1, h, w).permute(2, 3, 1, 0).reshape(-1, 2).softmax(1)[:, 1]
        deltas = bbox_pred.view(4, -1, h, w).permute(2, 3, 1, 0).reshape(-1, 4)
        boxes = self.bbox_coder.decode(anchors, deltas)
        boxes = torch.cat([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], 1)

        def change(ratio: Tensor) -> Tensor:
            return torch.maximum(ratio, 1.0 / ratio)

        def padded_size(bw: Tensor, bh: Tensor) -> Tensor:
            pad = (bw + bh) * 0.5
            return torch.sqrt((bw + pad) * (bh + pad))

        scale_penalty = change(
            padded_size(boxes[:, 2], boxes[:, 3])
            / padded_size(prev_bbox[2] * scale_factor, prev_bbox[3] * scale_factor)
        )
        ratio_penalty = change((prev_bbox[2] / prev_bbox[3]) / (boxes[:, 2] / boxes[:, 3]))
        penalty = torch.exp(-(ratio_penalty * scale_penalty - 1) * cfg["penalty_k"])
        influence = cfg["window_influence"]
        penalty_score = penalty * scores * (1 - influence) + window * influence
        best = int(torch.argmax(penalty_score))
        best_box = boxes[best] / scale_factor
        lr = penalty[best] * scores[best] * cfg["lr"]
        cx = (best_box[0] + prev_bbox[0]).clamp(0.0, img_shape[1])
        cy = (best_box[1] + prev_bbox[1]).clamp(0.0, img_shape[0])
        bw = (prev_bbox[2] * (1 - lr) + best_box[2] * lr).clamp(10.0, img_shape[1])
        bh = (prev_bbox[3] * (1 - lr) + best_box[3] * lr).clamp(10.0, img_shape[0])
        result = InstanceData()
        result.scores = scores[best : best + 1]
        result.bboxes = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])[None]
        return result
