"""``LinearReIDHead``: fully connected layers to an embedding, trained with cross-entropy over
identities (after a BN "neck", Luo et al., "Bag of Tricks and a Strong Baseline for Deep Person
Re-identification", 2019) and a triplet loss on the embeddings.

Shapes: N crops, C input features, D = ``out_channels`` embedding size, K = ``num_classes``.
"""

from __future__ import annotations

from typing import Any

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from visionbox.tracking.registry import MODELS

from .fc_module import FcModule

__all__ = ["LinearReIDHead"]


@MODELS.register_module()
class LinearReIDHead(BaseModule):
    """Linear ReID head.

    Args:
        num_fcs: Hidden fully connected layers.
        in_channels: C, the pooled backbone features.
        fc_channels: Width of the hidden layers.
        out_channels: D, the embedding size.
        norm_cfg: Norm of the hidden layers, e.g. ``dict(type='BN1d')``.
        act_cfg: Activation of the hidden layers.
        num_classes: K identities (needed with ``loss_cls``).
        loss_cls: Classification loss config (``CrossEntropyLoss``).
        loss_triplet: Triplet loss config (``TripletLoss``).
        topk: Accuracies reported with the losses.
        init_cfg: Initialisation config.
    """

    def __init__(
        self,
        num_fcs: int,
        in_channels: int,
        fc_channels: int,
        out_channels: int,
        norm_cfg: dict | None = None,
        act_cfg: dict | None = None,
        num_classes: int | None = None,
        loss_cls: dict | None = None,
        loss_triplet: dict | None = None,
        topk: int | tuple[int, ...] = (1,),
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if init_cfg is None:
            init_cfg = dict(type="Normal", layer="Linear", mean=0, std=0.01, bias=0)
        super().__init__(init_cfg=init_cfg)
        self.topk = (topk,) if isinstance(topk, int) else tuple(topk)
        if any(k <= 0 for k in self.topk):
            raise ValueError(f"topk values must be > 0, got {self.topk}")
        if loss_cls is None and loss_triplet is None:
            raise ValueError("LinearReIDHead needs loss_cls, loss_triplet or both.")
        if loss_cls is not None and not isinstance(num_classes, int):
            raise TypeError(f"num_classes must be an int with loss_cls, got {num_classes!r}")
        self.loss_cls = MODELS.build(loss_cls) if loss_cls else None
        self.loss_triplet = MODELS.build(loss_triplet) if loss_triplet else None
        self.num_fcs = num_fcs
        self.in_channels = in_channels
        self.fc_channels = fc_channels
        self.out_channels = out_channels
        self.num_classes = num_classes
        self.fcs = nn.ModuleList(
            FcModule(in_channels if i == 0 else fc_channels, fc_channels, norm_cfg, act_cfg)
            for i in range(num_fcs)
        )
        self.fc_out = nn.Linear(in_channels if num_fcs == 0 else fc_channels, out_channels)
        if self.loss_cls is not None:
            self.bn = nn.BatchNorm1d(out_channels)
            self.classifier = nn.Linear(out_channels, num_classes)

    def forward(self, feats: tuple[Tensor, ...] | Tensor) -> Tensor:
        """Last (N, C) feature -> (N, D) embeddings."""
        x = feats[-1] if isinstance(feats, (tuple, list)) else feats
        for fc in self.fcs:
            x = fc(x)
        return self.fc_out(x)

    def loss(self, feats: tuple[Tensor, ...], data_samples: list[Any]) -> dict[str, Tensor]:
        """``triplet_loss``, ``ce_loss`` and ``accuracy_top-k`` of a batch with ``gt_label``."""
        embeds = self(feats)
        labels = torch.cat([_label(s) for s in data_samples]).to(embeds.device)
        losses: dict[str, Tensor] = {}
        if self.loss_triplet is not None:
            losses["triplet_loss"] = self.loss_triplet(embeds, labels)
        if self.loss_cls is not None:
            scores = self.classifier(self.bn(embeds))
            losses["ce_loss"] = self.loss_cls(scores, labels)
            with torch.no_grad():
                top = scores.topk(max(self.topk), dim=1).indices
                hit = top == labels[:, None]
                for k in self.topk:
                    losses[f"accuracy_top-{k}"] = hit[:, :k].any(1).float().mean() * 100
        return losses

    def predict(self, feats: tuple[Tensor, ...], data_samples: list[Any] | None = None) -> list:
        """Set ``pred_feature`` (D,) on each data sample (new ones when ``None``)."""
        from visionbox.core.structures import BaseDataSample

        embeds = self(feats)
        samples = data_samples if data_samples is not None else [BaseDataSample() for _ in embeds]
        for sample, embed in zip(samples, embeds):
            sample.set_field(embed, "pred_feature")
        return samples


def _label(sample: Any) -> Tensor:
    label = sample.gt_label
    label = getattr(label, "label", label)
    return torch.as_tensor(label, dtype=torch.long).reshape(-1)
