"""``StandardRoIHead``: the second stage of Faster / Mask R-CNN, with mmdet 3.x's arguments and
keys (``bbox_roi_extractor``, ``bbox_head``, ``mask_roi_extractor``, ``mask_head``).

Shape shorthand: B images; P_i proposals of image i; R sampled RoIs over the batch as (R, 5)
``[image index, x1, y1, x2, y2]``; C classes.

Training assigns and samples each image's proposals (one assignment per image, vectorised over
its boxes), then runs the box (and mask) branch once on the batch's RoIs.
"""

from __future__ import annotations

import torch
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ...registry import MODELS, TASK_UTILS
from ...structures import SampleList, bbox2roi
from ..builder import build_module
from ..dense_heads.rpn_head import unpack_gt_instances

__all__ = ["StandardRoIHead"]


@MODELS.register_module()
class StandardRoIHead(BaseModule):
    """One box head and an optional mask head on pooled RoI features.

    Args:
        bbox_roi_extractor: RoI extractor config of the box branch.
        bbox_head: Box head config.
        mask_roi_extractor: RoI extractor of the mask branch (``None``: share the box one).
        mask_head: Mask head config (``None``: no masks).
        shared_head: A module applied to every RoI feature first (``None``).
        train_cfg: ``assigner``, ``sampler``, ``pos_weight``, ``mask_size``, ``debug``.
        test_cfg: ``score_thr``, ``nms``, ``max_per_img``, ``mask_thr_binary``.
        init_cfg: Weight initialisation.
    """

    def __init__(
        self,
        bbox_roi_extractor: dict | nn.Module | None = None,
        bbox_head: dict | nn.Module | None = None,
        mask_roi_extractor: dict | nn.Module | None = None,
        mask_head: dict | nn.Module | None = None,
        shared_head: dict | nn.Module | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if bbox_head is None or bbox_roi_extractor is None:
            raise ValueError(f"{type(self).__name__} needs bbox_roi_extractor and bbox_head")
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        if shared_head is not None:
            self.shared_head = build_module(shared_head)
        self.bbox_roi_extractor = build_module(bbox_roi_extractor)
        self.bbox_head = build_module(bbox_head)
        if mask_head is not None:
            if mask_roi_extractor is not None:
                self.mask_roi_extractor = build_module(mask_roi_extractor)
                self.share_roi_extractor = False
            else:
                self.share_roi_extractor = True
                self.mask_roi_extractor = self.bbox_roi_extractor
            self.mask_head = build_module(mask_head)
        if train_cfg is not None:
            self.bbox_assigner = TASK_UTILS.build(train_cfg["assigner"])
            self.bbox_sampler = TASK_UTILS.build(train_cfg["sampler"])

    @property
    def with_bbox(self) -> bool:
        return getattr(self, "bbox_head", None) is not None

    @property
    def with_mask(self) -> bool:
        return getattr(self, "mask_head", None) is not None

    @property
    def with_shared_head(self) -> bool:
        return getattr(self, "shared_head", None) is not None

    # Branches --------------------------------------------------------------------------------

    def _bbox_forward(self, x: tuple[Tensor, ...], rois: Tensor) -> dict[str, Tensor]:
        """``cls_score`` (R, C + 1), ``bbox_pred`` (R, 4 * C), ``bbox_feats`` of (R, 5) RoIs."""
        bbox_feats = self.bbox_roi_extractor(x[: self.bbox_roi_extractor.num_inputs], rois)
        if self.with_shared_head:
            bbox_feats = self.shared_head(bbox_feats)
        cls_score, bbox_pred = self.bbox_head(bbox_feats)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=bbox_feats)

    def _mask_forward(
        self,
        x: tuple[Tensor, ...],
        rois: Tensor | None = None,
        pos_inds: Tensor | None = None,
        bbox_feats: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """``mask_preds`` (R, C, M, M) of (R, 5) RoIs (or of ``bbox_feats[pos_inds]``)."""
        if rois is not None:
            mask_feats = self.mask_roi_extractor(x[: self.mask_roi_extractor.num_inputs], rois)
            if self.with_shared_head:
                mask_feats = self.shared_head(mask_feats)
        else:
            mask_feats = bbox_feats[pos_inds]
        return dict(mask_preds=self.mask_head(mask_feats), mask_feats=mask_feats)

    # Training --------------------------------------------------------------------------------

    def _sample(self, rpn_results_list, batch_gt_instances, batch_gt_instances_ignore) -> list:
        results = []
        for i, proposals in enumerate(rpn_results_list):
            pred = InstanceData(priors=proposals.bboxes.detach())
            assign = self.bbox_assigner.assign(
                pred, batch_gt_instances[i], batch_gt_instances_ignore[i]
            )
            results.append(self.bbox_sampler.sample(assign, pred, batch_gt_instances[i]))
        return results

    def loss(
        self,
        x: tuple[Tensor, ...],
        rpn_results_list: list[InstanceData],
        batch_data_samples: SampleList,
    ) -> dict[str, Tensor]:
        """``loss_cls``, ``acc``, ``loss_bbox`` (and ``loss_mask``) of the batch.

        Args:
            x: L feature maps (B, C, H_l, W_l).
            rpn_results_list: B proposal sets with ``bboxes`` (P_i, 4).
            batch_data_samples: B samples with ``gt_instances``.
        """
        if self.train_cfg is None:
            raise RuntimeError(f"{type(self).__name__}.loss needs train_cfg (assigner, sampler).")
        if len(rpn_results_list) != len(batch_data_samples):
            raise ValueError(
                f"got {len(rpn_results_list)} proposal sets for {len(batch_data_samples)} images"
            )
        gts, ignores, _ = unpack_gt_instances(batch_data_samples)
        sampling_results = self._sample(rpn_results_list, gts, ignores)
        losses: dict[str, Tensor] = {}
        bbox_results = self.bbox_loss(x, sampling_results)
        losses.update(bbox_results["loss_bbox"])
        if self.with_mask:
            mask_results = self.mask_loss(x, sampling_results, bbox_results["bbox_feats"], gts)
            losses.update(mask_results["loss_mask"])
        return losses

    def bbox_loss(self, x: tuple[Tensor, ...], sampling_results: list) -> dict:
        """Box branch forward on the sampled RoIs and its losses."""
        rois = bbox2roi([r.priors for r in sampling_results])
        results = self._bbox_forward(x, rois)
        out = self.bbox_head.loss_and_target(
            results["cls_score"], results["bbox_pred"], rois, sampling_results, self.train_cfg
        )
        results.update(loss_bbox=out["loss_bbox"], rois=rois)
        return results

    def mask_loss(
        self, x: tuple[Tensor, ...], sampling_results: list, bbox_feats: Tensor, gts: list
    ) -> dict:
        """Mask branch forward on the positive RoIs and its loss."""
        if not self.share_roi_extractor:
            pos_rois = bbox2roi([r.pos_priors for r in sampling_results])
            results = self._mask_forward(x, pos_rois)
        else:
            pos_inds = torch.cat(
                [
                    torch.cat(
                        [
                            torch.ones(len(r.pos_priors), dtype=torch.bool),
                            torch.zeros(len(r.neg_priors), dtype=torch.bool),
                        ]
                    )
                    for r in sampling_results
                ]
            ).to(bbox_feats.device)
            results = self._mask_forward(x, pos_inds=pos_inds, bbox_feats=bbox_feats)
        out = self.mask_head.loss_and_target(
            results["mask_preds"], sampling_results, gts, self.train_cfg
        )
        results.update(loss_mask=out["loss_mask"])
        return results

    # Inference -------------------------------------------------------------------------------

    def predict(
        self,
        x: tuple[Tensor, ...],
        rpn_results_list: list[InstanceData],
        batch_data_samples: SampleList,
        rescale: bool = False,
    ) -> list[InstanceData]:
        """Detections of every image: ``bboxes``, ``scores``, ``labels`` (and ``masks``)."""
        metas = [s.metainfo for s in batch_data_samples]
        if self.with_mask:
            # Both branches pool from the maps, and each RoIAlign call copies maps that are not
            # in the layout it reads: copy each level once instead (channels-last for the
            # deploy RoIAlign, which reads rows of channels; NCHW for torchvision's).
            deploy = getattr(self.bbox_roi_extractor.roi_layers[0], "deploy", False)
            layout = torch.channels_last if deploy else torch.contiguous_format
            x = tuple(feat.contiguous(memory_format=layout) for feat in x)
        results = self.predict_bbox(
            x, metas, rpn_results_list, self.test_cfg, rescale=rescale and not self.with_mask
        )
        if self.with_mask:
            results = self.predict_mask(x, metas, results, rescale=rescale)
        return results

    def predict_bbox(
        self,
        x: tuple[Tensor, ...],
        batch_img_metas: list[dict],
        rpn_results_list: list[InstanceData],
        rcnn_test_cfg: dict | None,
        rescale: bool = False,
    ) -> list[InstanceData]:
        """Box branch on every proposal, then the box head's post-processing."""
        proposals = [r.bboxes for r in rpn_results_list]
        rois = bbox2roi(proposals)
        if rois.numel() == 0:
            return [_empty(rois) for _ in batch_img_metas]
        results = self._bbox_forward(x, rois)
        sizes = [len(p) for p in proposals]
        bbox_pred = results["bbox_pred"]
        return self.bbox_head.predict_by_feat(
            rois.split(sizes),
            results["cls_score"].split(sizes),
            bbox_pred.split(sizes) if bbox_pred is not None else [None] * len(sizes),
            batch_img_metas,
            rcnn_test_cfg,
            rescale,
        )

    def predict_mask(
        self,
        x: tuple[Tensor, ...],
        batch_img_metas: list[dict],
        results_list: list[InstanceData],
        rescale: bool = False,
    ) -> list[InstanceData]:
        """Mask branch on the detected boxes; adds ``masks`` (D, H, W) bool."""
        bboxes = [r.bboxes for r in results_list]
        rois = bbox2roi(bboxes)
        if rois.numel() == 0:
            preds = [rois.new_zeros((0, 1, 1, 1)) for _ in bboxes]
        else:
            preds = self._mask_forward(x, rois)["mask_preds"].split([len(b) for b in bboxes])
        return self.mask_head.predict_by_feat(
            preds, results_list, batch_img_metas, self.test_cfg, rescale
        )

    def forward(
        self, x: tuple[Tensor, ...], rpn_results_list: list[InstanceData], batch_data_samples=None
    ) -> tuple:
        """Raw outputs on the proposals (``mode='tensor'``)."""
        rois = bbox2roi([r.bboxes for r in rpn_results_list])
        outs: tuple = ()
        results = self._bbox_forward(x, rois)
        outs += (results["cls_score"], results["bbox_pred"])
        if self.with_mask:
            outs += (self._mask_forward(x, rois[:100])["mask_preds"],)
        return outs


def _empty(like: Tensor) -> InstanceData:
    return InstanceData(
        bboxes=like.new_zeros((0, 4)),
        scores=like.new_zeros((0,)),
        labels=torch.zeros((0,), dtype=torch.long, device=like.device),
    )
