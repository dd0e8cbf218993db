"""End-to-end RTMDet-Ins for export: boxes as :class:`DenseDetectorEnd2End`, then the masks of the
K kept detections, every instance's dynamic convs run at once as batched matrix products.

Shape shorthand: N images of the (N, 3, H, W) input; K = ``max_per_img``; M candidates of an
image; D = the head's ``num_gen_params``; P = ``num_prototypes``; (H_m, W_m) the prototypes' size
(the input's at ``strides[0]``); E = ``dyconv_channels``.

Outputs: ``dets`` (N, K, 5), ``labels`` (N, K) and ``masks`` (N, K, H, W): each detection's mask
probability at every input pixel (``RTMDetInsSepBNHead.predict`` thresholds the same values at
``mask_thr_binary``); padding rows (score 0, label -1) have masks of 0.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from visionbox.core.deploy import nms_mask, topk_detections

from ..models.dense_heads.rtmdet_head import distance2bbox
from ..models.dense_heads.rtmdet_ins_head import RTMDetInsSepBNHead
from ..models.detectors.single_stage import SingleStageDetector
from .candidates import head_outputs_candidates, register_candidates

__all__ = ["RTMDetInsEnd2End", "dynamic_mask_logits", "rtmdet_ins_candidates"]


@register_candidates(RTMDetInsSepBNHead)
def rtmdet_ins_candidates(
    head: nn.Module, feats: tuple[Tensor, ...], img_shape: tuple[int, int]
) -> tuple[Tensor, Tensor]:
    """RTMDet-Ins boxes only (its third and fourth outputs are mask kernels and prototypes)."""
    outs = head(feats)
    boxes, scores, _ = head_outputs_candidates(
        head, outs[0], outs[1], img_shape, decode=distance2bbox, use_sigmoid=True
    )
    return boxes, scores


def dynamic_mask_logits(
    head: RTMDetInsSepBNHead, mask_feat: Tensor, kernels: Tensor, priors: Tensor
) -> Tensor:
    """``head.mask_logits`` for a batch of K instances per image, without a grouped conv.

    Args:
        mask_feat: (N, P, H_m, W_m) prototypes.
        kernels: (N, K, D) the instances' dynamic parameters.
        priors: (N, K, 4) ``[x, y, stride_w, stride_h]`` of the instances' points.

    Returns:
        (N, K, H_m, W_m) mask logits.
    """
    num_imgs, count = kernels.shape[:2]
    h, w = mask_feat.shape[-2:]
    coord = head.prior_generator.single_level_grid_priors(
        (h, w), 0, dtype=mask_feat.dtype, device=mask_feat.device
    )  # (H_m * W_m, 2)
    rel = (priors[:, :, None, :2] - coord) / (priors[:, :, None, 2:3] * 8)  # (N, K, HW, 2)
    protos = mask_feat.flatten(2)[:, None].expand(-1, count, -1, -1)  # (N, K, P, HW)
    x = torch.cat([rel.transpose(2, 3), protos], 2)  # (N, K, P + 2, HW)
    params = torch.split(kernels, head.weight_nums + head.bias_nums, dim=2)
    weights, biases = params[: head.num_dyconvs], params[head.num_dyconvs :]
    for i, (weight, bias) in enumerate(zip(weights, biases)):
        last = i == head.num_dyconvs - 1
        out = 1 if last else head.dyconv_channels
        x = weight.reshape(num_imgs, count, out, -1) @ x + bias[..., None]
        if not last:
            x = F.relu(x)
    return x.reshape(num_imgs, count, h, w)


class RTMDetInsEnd2End(nn.Module):
    """RTMDet-Ins with its post-processing: ``dets``, ``labels`` and ``masks``.

    Args:
        model: A single-stage detector whose ``bbox_head`` is an ``RTMDetInsSepBNHead``.
    """

    output_names = ("dets", "labels", "masks")

    def __init__(self, model: SingleStageDetector) -> None:
        super().__init__()
        head = model.bbox_head
        if not isinstance(head, RTMDetInsSepBNHead):
            raise TypeError(f"RTMDetInsEnd2End needs an RTMDetInsSepBNHead, got {type(head)}")
        cfg = head.test_cfg or {}
        nms = cfg.get("nms") or {}
        if "iou_threshold" not in nms:
            raise ValueError(
                f"{type(model).__name__} needs a test_cfg with nms=dict(iou_threshold=...) to be "
                "exported"
            )
        self.model = model
        self.iou_threshold = float(nms["iou_threshold"])
        k = int(cfg.get("max_per_img", -1))
        self.max_per_img = k if k > 0 else 100

    def forward(self, inputs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(N, 3, H, W) -> ``dets`` (N, K, 5), ``labels`` (N, K), ``masks`` (N, K, H, W)."""
        head = self.model.bbox_head
        img_shape = tuple(inputs.shape[-2:])
        cls_scores, bbox_preds, kernel_preds, mask_feat = head(self.model.extract_feat(inputs))
        boxes, scores, prior_inds = head_outputs_candidates(
            head, cls_scores, bbox_preds, img_shape, decode=distance2bbox, use_sigmoid=True
        )
        keep = nms_mask(boxes, scores, self.iou_threshold)
        dets, labels, index = topk_detections(boxes, scores, keep, self.max_per_img)
        rows = prior_inds.gather(1, index % boxes.size(1))  # (N, K) among all priors
        num_imgs, size = inputs.size(0), head.num_gen_params
        kernels = torch.cat(
            [k.permute(0, 2, 3, 1).reshape(num_imgs, -1, size) for k in kernel_preds], 1
        )
        kernels = kernels.gather(1, rows[..., None].expand(-1, -1, kernels.size(-1)))
        sizes = [tuple(s.shape[-2:]) for s in cls_scores]
        priors = torch.cat(
            head.prior_generator.grid_priors(
                sizes, dtype=mask_feat.dtype, device=mask_feat.device, with_stride=True
            )
        )
        logits = dynamic_mask_logits(head, mask_feat, kernels, priors[rows])
        logits = F.interpolate(logits, scale_factor=head.strides[0], mode="bilinear")
        masks = logits.sigmoid() * (labels >= 0).to(logits.dtype)[..., None, None]
        return dets, labels, masks
