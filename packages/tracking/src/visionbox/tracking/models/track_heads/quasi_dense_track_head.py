"""``QuasiDenseTrackHead``: RoI features of region proposals -> embeddings, trained on pairs of
frames with proposals assigned to the ground truth (QDTrack, CVPR 2021).

Shapes: B images, L feature levels, P proposals of an image, G ground-truth boxes.
"""

from __future__ import annotations

from typing import Any

import torch
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from visionbox.tracking.registry import MODELS, TASK_UTILS

__all__ = ["QuasiDenseTrackHead", "bbox2roi"]


def bbox2roi(bbox_list: list[Tensor]) -> Tensor:
    """Per-image (P_i, 4) boxes -> (sum P_i, 5) RoIs ``(image index, x1, y1, x2, y2)``."""
    rois = [
        torch.cat([b.new_full((len(b), 1), i), b[:, :4]], dim=1) for i, b in enumerate(bbox_list)
    ]
    return torch.cat(rois, dim=0) if rois else torch.zeros((0, 5))


@MODELS.register_module()
class QuasiDenseTrackHead(BaseModule):
    """Track head of QDTrack.

    Args:
        roi_extractor: RoI extractor config (the detection package's ``SingleRoIExtractor``).
        embed_head: ``QuasiDenseEmbedHead`` config.
        regress_head: Unsupported (must be ``None``), kept for configs.
        train_cfg: ``assigner`` and ``sampler`` task-utility configs (the detection package's
            ``MaxIoUAssigner`` / ``RandomSampler``).
        test_cfg: Unused, kept for configs.
        init_cfg: Initialisation config.
    """

    def __init__(
        self,
        roi_extractor: dict,
        embed_head: dict,
        regress_head: dict | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if regress_head is not None:
            raise ValueError("QuasiDenseTrackHead has no regression head; set regress_head=None.")
        self.roi_extractor = MODELS.build(roi_extractor)
        self.embed_head = MODELS.build(embed_head)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        if train_cfg is not None:
            self.bbox_assigner = TASK_UTILS.build(train_cfg["assigner"])
            self.bbox_sampler = TASK_UTILS.build(train_cfg["sampler"])

    def extract_roi_feats(self, feats: tuple[Tensor, ...], bboxes: list[Tensor]) -> Tensor:
        """(sum P_i, C, S, S) RoI features of per-image boxes in input pixels."""
        rois = bbox2roi(bboxes).to(feats[0])
        return self.roi_extractor(feats[: self.roi_extractor.num_inputs], rois)

    def predict(self, feats: tuple[Tensor, ...], bboxes: list[Tensor]) -> Tensor:
        """(sum P_i, D) embeddings of per-image boxes (input pixels)."""
        return self.embed_head(self.extract_roi_feats(feats, bboxes))

    def _sample(self, proposals: InstanceData, sample: Any) -> Any:
        pred = InstanceData(priors=proposals.bboxes)
        gt = sample.gt_instances
        ignored = sample.ignored_instances if "ignored_instances" in sample else None
        assign = self.bbox_assigner.assign(pred, gt, ignored)
        return self.bbox_sampler.sample(assign, pred, gt)

    def loss(
        self,
        key_feats: tuple[Tensor, ...],
        ref_feats: tuple[Tensor, ...],
        rpn_results_list: list[InstanceData],
        ref_rpn_results_list: list[InstanceData],
        data_samples: list[Any],
        ref_data_samples: list[Any],
    ) -> dict[str, Tensor]:
        """Tracking losses of B (key, reference) frame pairs and their proposals."""
        if self.train_cfg is None:
            raise ValueError("QuasiDenseTrackHead.loss needs train_cfg with assigner and sampler.")
        key_res = [self._sample(p, s) for p, s in zip(rpn_results_list, data_samples)]
        ref_res = [self._sample(p, s) for p, s in zip(ref_rpn_results_list, ref_data_samples)]
        matches = []
        for key, ref in zip(data_samples, ref_data_samples):
            key_ids = key.gt_instances.instances_id
            ref_ids = ref.gt_instances.instances_id
            same = key_ids[:, None] == ref_ids[None, :]
            idx = same.float().argmax(dim=1)
            matches.append(torch.where(same.any(dim=1), idx, idx.new_full((), -1)))
        key_embeds = self.predict(key_feats, [r.pos_priors for r in key_res])
        ref_embeds = self.predict(ref_feats, [r.priors for r in ref_res])
        key_embeds = list(torch.split(key_embeds, [len(r.pos_priors) for r in key_res]))
        ref_embeds = list(torch.split(ref_embeds, [len(r.priors) for r in ref_res]))
        targets, weights = self.embed_head.get_targets(
            matches,
            [r.pos_assigned_gt_inds for r in key_res],
            [r.pos_assigned_gt_inds for r in ref_res],
            [len(r.priors) for r in ref_res],
        )
        return self.embed_head.loss_by_feat(key_embeds, ref_embeds, targets, weights)
