"""``TwoStageDetector``: backbone, neck, RPN and RoI head (Faster / Mask R-CNN), with mmdet
3.x's arguments and keys (``backbone``, ``neck``, ``rpn_head``, ``roi_head``).

Shape shorthand: B images; inputs (B, 3, H, W) from the data preprocessor; L feature levels.
"""

from __future__ import annotations

import copy

from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor, nn

from visionbox.core.models import BaseTaskModel

from ...registry import MODELS
from ...structures import DetDataSample, SampleList
from ..builder import build_module

__all__ = ["TwoStageDetector", "add_pred_to_datasample"]


def _with(cfg: dict | nn.Module | None, **extra) -> dict | nn.Module | None:
    """A copy of ``cfg`` with ``extra`` keys set (modules are returned as they are)."""
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    out = ConfigDict(copy.deepcopy(dict(cfg)))
    out.update({k: v for k, v in extra.items()})
    return out


def _sub(cfg: dict | None, key: str):
    return None if cfg is None else cfg.get(key)


def add_pred_to_datasample(
    data_samples: SampleList, results_list: list[InstanceData]
) -> SampleList:
    """Store each image's ``InstanceData`` as ``pred_instances``."""
    for sample, results in zip(data_samples, results_list):
        sample.pred_instances = results
    return data_samples


@MODELS.register_module()
class TwoStageDetector(BaseTaskModel):
    """Proposals from an RPN, then classification, box refinement (and masks) on RoIs.

    Args:
        backbone: Backbone config.
        neck: Neck config (FPN).
        rpn_head: RPN head config (its ``train_cfg``/``test_cfg`` come from ``train_cfg.rpn`` and
            ``test_cfg.rpn``).
        roi_head: RoI head config (``train_cfg.rcnn``, ``test_cfg.rcnn``).
        train_cfg: ``rpn``, ``rpn_proposal``, ``rcnn``.
        test_cfg: ``rpn``, ``rcnn``.
        data_preprocessor: ``DetDataPreprocessor`` config.
        init_cfg: Weight initialisation.
    """

    def __init__(
        self,
        backbone: dict | nn.Module,
        neck: dict | nn.Module | None = None,
        rpn_head: dict | nn.Module | None = None,
        roi_head: dict | nn.Module | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        data_preprocessor: dict | nn.Module | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type="DetDataPreprocessor")
        super().__init__(data_preprocessor=build_module(data_preprocessor), init_cfg=init_cfg)
        self.build_trunk(build_module(backbone), None if neck is None else build_module(neck))
        if rpn_head is not None:
            rpn_cfg = _with(
                rpn_head, train_cfg=_sub(train_cfg, "rpn"), test_cfg=_sub(test_cfg, "rpn")
            )
            if isinstance(rpn_cfg, dict) and rpn_cfg.get("num_classes", 1) != 1:
                rpn_cfg["num_classes"] = 1  # the RPN predicts objectness (mmdet does the same)
            self.rpn_head = build_module(rpn_cfg)
        if roi_head is not None:
            self.roi_head = build_module(
                _with(roi_head, train_cfg=_sub(train_cfg, "rcnn"), test_cfg=_sub(test_cfg, "rcnn"))
            )
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

    @property
    def with_rpn(self) -> bool:
        return getattr(self, "rpn_head", None) is not None

    @property
    def with_roi_head(self) -> bool:
        return getattr(self, "roi_head", None) is not None

    def _proposals(self, x: tuple[Tensor, ...], data_samples: SampleList) -> list[InstanceData]:
        if self.with_rpn:
            return self.rpn_head.predict(x, data_samples, rescale=False)
        missing = [i for i, s in enumerate(data_samples) if "proposals" not in s]
        if missing:
            raise ValueError(
                f"{type(self).__name__} has no rpn_head, so data samples need 'proposals'; "
                f"images {missing} have none."
            )
        return [s.proposals for s in data_samples]

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """RPN losses (prefixed ``loss_rpn_``) and RoI head losses of a batch."""
        _check_samples(inputs, data_samples, need_gt=True)
        x = self.extract_feat(inputs)
        losses: dict = {}
        if self.with_rpn:
            proposal_cfg = (self.train_cfg or {}).get("rpn_proposal", _sub(self.test_cfg, "rpn"))
            rpn_losses, proposals = self.rpn_head.loss_and_predict(
                x, data_samples, proposal_cfg=proposal_cfg
            )
            for key, value in rpn_losses.items():
                name = f"rpn_{key}" if "loss" in key and "rpn" not in key else key
                losses[name] = value
        else:
            proposals = self._proposals(x, data_samples)
        losses.update(self.roi_head.loss(x, proposals, data_samples))
        return losses

    def predict(self, inputs: Tensor, data_samples: SampleList, rescale: bool = True) -> SampleList:
        """Data samples with ``pred_instances`` (boxes in the original image when ``rescale``)."""
        _check_samples(inputs, data_samples, need_gt=False)
        x = self.extract_feat(inputs)
        proposals = self._proposals(x, data_samples)
        results = self.roi_head.predict(x, proposals, data_samples, rescale=rescale)
        return add_pred_to_datasample(data_samples, results)

    def _forward(self, inputs: Tensor, data_samples: SampleList | None = None) -> tuple:
        """Raw RoI head outputs on the RPN's proposals (``mode='tensor'``), as mmdet 3.x.

        Returns:
            ``(roi_outs,)`` with ``roi_outs = (cls_score, bbox_pred[, mask_preds])``:
            ``cls_score`` (R, C + 1), ``bbox_pred`` (R, 4 * C) on the R proposals of the batch
            (image-major, by decreasing objectness, ties in index order) and ``mask_preds``
            (min(R, 100), C, M, M) on the first 100 of them.
        """
        x = self.extract_feat(inputs)
        if data_samples is None:
            h, w = inputs.shape[-2:]
            data_samples = [
                DetDataSample(metainfo=dict(img_shape=(h, w), pad_shape=(h, w)))
                for _ in range(inputs.size(0))
            ]
        proposals = self._proposals(x, data_samples)
        return (self.roi_head.forward(x, proposals, data_samples),)


def _check_samples(inputs: Tensor, data_samples: SampleList | None, need_gt: bool) -> None:
    if inputs.dim() != 4:
        raise ValueError(f"detectors take a (B, C, H, W) batch; got shape {tuple(inputs.shape)}")
    if data_samples is None or len(data_samples) != inputs.size(0):
        count = None if data_samples is None else len(data_samples)
        raise ValueError(f"got {count} data samples for a batch of {inputs.size(0)} images")
    if need_gt:
        for i, sample in enumerate(data_samples):
            gt = getattr(sample, "gt_instances", None)
            if gt is None or "bboxes" not in gt or "labels" not in gt:
                raise ValueError(f"data sample {i} has no gt_instances with bboxes and labels")
            if gt.bboxes.dim() != 2 or gt.bboxes.size(-1) != 4:
                raise ValueError(
                    f"data sample {i}: gt_instances.bboxes must be (N, 4); got "
                    f"{tuple(gt.bboxes.shape)}"
                )
