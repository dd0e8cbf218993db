"""``BaseDecodeHead``: the base of every segmentation decode head (mmseg 1.x arguments, defaults
and ``state_dict`` keys: ``conv_seg`` is the final 1x1 classifier).

Shape shorthand: N images, C_i channels of backbone level i, K = ``out_channels`` (the number of
classes, or 1 for a binary head with ``threshold``), (H, W) the padded input size.

``loss()``: ``forward()`` -> (N, K, h, w) logits -> resized to the label map -> ``loss_decode``.
``predict()``: ``forward()`` -> logits resized to the padded input (N, K, H, W).
"""

from __future__ import annotations

import inspect
import re
import warnings
from abc import ABCMeta, abstractmethod
from collections.abc import Sequence
from typing import Any, Literal

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from visionbox.core.utils import merge_kwargs_signature

from ..samplers import build_pixel_sampler
from ..utils import accuracy, build_component, resize

__all__ = ["BaseDecodeHead", "INPUT_TRANSFORMS"]

INPUT_TRANSFORMS = ("resize_concat", "multiple_select")


def _loss_name(loss: nn.Module) -> str:
    """The loss's ``loss_name``, else ``loss_`` + its class name in snake case."""
    name = getattr(loss, "loss_name", None)
    if isinstance(name, str):
        return name
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", type(loss).__name__).lower()
    snake = snake[: -len("_loss")] if snake.endswith("_loss") else snake
    return f"loss_{snake}"


def _accepts(fn: Any, name: str) -> bool:
    params = inspect.signature(fn).parameters.values()
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in params)


class BaseDecodeHead(BaseModule, metaclass=ABCMeta):
    """Base of decode heads.

    Subclasses that take ``**kwargs`` for these arguments (the mmseg idiom) get a merged signature,
    so that a config's misspelt key is still reported with the accepted names.

    Args:
        in_channels: Input channels (a list with ``input_transform``).
        channels: Channels after the head's modules, before ``conv_seg``.
        num_classes: Number of classes.
        out_channels: Output channels of ``conv_seg``: ``num_classes``, or 1 for a binary head
            (``num_classes=2``) whose sigmoid output is compared with ``threshold``.
        threshold: Threshold of a binary head (default 0.3 with a warning).
        dropout_ratio: Dropout2d ratio before ``conv_seg``.
        conv_cfg: Conv layer config.
        norm_cfg: Norm layer config.
        act_cfg: Activation config.
        in_index: Index (or indices) of the backbone levels used.
        input_transform: ``None`` (one level), ``'resize_concat'`` (levels resized to the first
            and concatenated) or ``'multiple_select'`` (a list of levels).
        loss_decode: One loss config or a list; losses with the same ``loss_name`` are summed.
        ignore_index: Label ignored by the loss and the accuracy.
        sampler: Pixel sampler config, e.g. ``dict(type='OHEMPixelSampler', thresh=0.7)``.
        align_corners: ``align_corners`` of the bilinear resizes.
        init_cfg: Initialisation (``conv_seg`` normal with std 0.01 by default).
    """

    _fixed_args: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        merge_kwargs_signature(cls, cls._fixed_args)

    def __init__(
        self,
        in_channels: int | Sequence[int],
        channels: int,
        *,
        num_classes: int,
        out_channels: int | None = None,
        threshold: float | None = None,
        dropout_ratio: float = 0.1,
        conv_cfg: dict | None = None,
        norm_cfg: dict | None = None,
        act_cfg: dict | None = dict(type="ReLU"),  # noqa: B006  (never mutated)
        in_index: int | Sequence[int] = -1,
        input_transform: Literal["resize_concat", "multiple_select"] | None = None,
        loss_decode: dict | Sequence[dict] | nn.Module = dict(  # noqa: B006
            type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0
        ),
        ignore_index: int = 255,
        sampler: dict | None = None,
        align_corners: bool = False,
        init_cfg: dict | list[dict] | None = dict(  # noqa: B006
            type="Normal", std=0.01, override=dict(name="conv_seg")
        ),
    ) -> None:
        super().__init__(init_cfg)
        self._init_inputs(in_channels, in_index, input_transform)
        self.channels = channels
        self.dropout_ratio = dropout_ratio
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.ignore_index = ignore_index
        self.align_corners = align_corners

        if out_channels is None:
            if num_classes == 2:
                warnings.warn(
                    "For binary segmentation, out_channels=1 with a threshold is suggested.",
                    stacklevel=2,
                )
            out_channels = num_classes
        if out_channels != num_classes and out_channels != 1:
            raise ValueError(
                f"{type(self).__name__}: out_channels must equal num_classes ({num_classes}), "
                "or be "
                f"1 for binary segmentation, got out_channels={out_channels}."
            )
        if out_channels == 1 and threshold is None:
            threshold = 0.3
            warnings.warn(
                "threshold is not set for a binary head; it defaults to 0.3.", stacklevel=2
            )
        self.num_classes = num_classes
        self.out_channels = out_channels
        self.threshold = threshold

        if isinstance(loss_decode, (dict, nn.Module)):
            self.loss_decode = build_component(loss_decode)
        elif isinstance(loss_decode, (list, tuple)):
            self.loss_decode = nn.ModuleList(build_component(cfg) for cfg in loss_decode)
        else:
            raise TypeError(
                f"loss_decode must be a dict or a list of dicts, got {type(loss_decode).__name__}."
            )
        self.sampler = None if sampler is None else build_pixel_sampler(sampler, context=self)
        self.conv_seg = nn.Conv2d(channels, self.out_channels, kernel_size=1)
        self.dropout = nn.Dropout2d(dropout_ratio) if dropout_ratio > 0 else None

    def extra_repr(self) -> str:
        return (
            f"input_transform={self.input_transform}, ignore_index={self.ignore_index}, "
            f"align_corners={self.align_corners}"
        )

    def _init_inputs(
        self,
        in_channels: int | Sequence[int],
        in_index: int | Sequence[int],
        input_transform: str | None,
    ) -> None:
        if input_transform is not None and input_transform not in INPUT_TRANSFORMS:
            raise ValueError(
                f"input_transform must be None or one of {INPUT_TRANSFORMS}, "
                f"got {input_transform!r}."
            )
        self.input_transform = input_transform
        self.in_index = in_index
        if input_transform is not None:
            if not (
                isinstance(in_channels, (list, tuple))
                and isinstance(in_index, (list, tuple))
                and len(in_channels) == len(in_index)
            ):
                raise ValueError(
                    f"With input_transform={input_transform!r}, in_channels and in_index must be "
                    f"lists of one length, got in_channels={in_channels!r}, in_index={in_index!r}."
                )
            self.in_channels = (
                sum(in_channels) if input_transform == "resize_concat" else list(in_channels)
            )
        else:
            if not (isinstance(in_channels, int) and isinstance(in_index, int)):
                raise ValueError(
                    "Without input_transform, in_channels and in_index must be ints, got "
                    f"in_channels={in_channels!r}, in_index={in_index!r}."
                )
            self.in_channels = in_channels

    def _transform_inputs(self, inputs: Sequence[Tensor]) -> Tensor | list[Tensor]:
        """Select the levels: one (N, C, h, w) map, their concatenation, or a list of maps."""
        if self.input_transform == "resize_concat":
            selected = [inputs[i] for i in self.in_index]
            size = selected[0].shape[2:]
            return torch.cat(
                [
                    resize(x, size, mode="bilinear", align_corners=self.align_corners)
                    for x in selected
                ],
                dim=1,
            )
        if self.input_transform == "multiple_select":
            return [inputs[i] for i in self.in_index]
        return inputs[self.in_index]

    @abstractmethod
    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Backbone levels -> (N, K, h, w) logits."""

    def cls_seg(self, feat: Tensor) -> Tensor:
        """Dropout then ``conv_seg``: (N, channels, h, w) -> (N, K, h, w)."""
        if self.dropout is not None:
            feat = self.dropout(feat)
        return self.conv_seg(feat)

    def loss(
        self, inputs: Sequence[Tensor], batch_data_samples: list, train_cfg: dict | None = None
    ) -> dict:
        """Losses (and ``acc_seg``) of the batch against each sample's ``gt_sem_seg``."""
        return self.loss_by_feat(self.forward(inputs), batch_data_samples)

    def predict(
        self, inputs: Sequence[Tensor], batch_img_metas: list[dict], test_cfg: dict | None = None
    ) -> Tensor:
        """(N, K, H, W) logits at the padded input size."""
        return self.predict_by_feat(self.forward(inputs), batch_img_metas)

    @staticmethod
    def _stack_batch_gt(batch_data_samples: list) -> Tensor:
        """(N, 1, H, W) labels of the batch."""
        return torch.stack([sample.gt_sem_seg.data for sample in batch_data_samples], dim=0)

    def _losses(self) -> list[nn.Module]:
        if isinstance(self.loss_decode, nn.ModuleList):
            return list(self.loss_decode)
        return [self.loss_decode]

    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples: list) -> dict:
        """Losses of (N, K, h, w) logits; ``loss_decode`` gets (N, K, H, W) logits (or (N, H, W)
        for a binary head) and (N, H, W) labels, with the sampler's weights."""
        seg_label = self._stack_batch_gt(batch_data_samples)
        seg_logits = resize(
            seg_logits, seg_label.shape[2:], mode="bilinear", align_corners=self.align_corners
        )
        seg_weight = None if self.sampler is None else self.sampler.sample(seg_logits, seg_label)
        seg_label = seg_label.squeeze(1)
        pred = seg_logits.squeeze(1) if self.out_channels == 1 else seg_logits
        target = seg_label.to(pred.dtype) if self.out_channels == 1 else seg_label
        losses: dict[str, Tensor] = {}
        for loss_decode in self._losses():
            extra = {}
            if _accepts(loss_decode.forward, "ignore_index"):
                extra["ignore_index"] = self.ignore_index
            value = loss_decode(pred, target, weight=seg_weight, **extra)
            name = _loss_name(loss_decode)
            losses[name] = losses[name] + value if name in losses else value
        if self.out_channels == 1:
            binary = torch.cat([-seg_logits, seg_logits], dim=1)
            losses["acc_seg"] = accuracy(binary, seg_label, ignore_index=self.ignore_index)
        else:
            losses["acc_seg"] = accuracy(seg_logits, seg_label, ignore_index=self.ignore_index)
        return losses

    def predict_by_feat(self, seg_logits: Tensor, batch_img_metas: list[dict]) -> Tensor:
        """Resize (N, K, h, w) logits to the padded input: ``pad_shape`` if known, else
        ``img_shape``."""
        meta = batch_img_metas[0]
        if isinstance(meta.get("img_shape"), torch.Size) or "pad_shape" not in meta:
            size = meta["img_shape"]
        else:
            size = meta["pad_shape"]
        return resize(
            seg_logits, tuple(size)[:2], mode="bilinear", align_corners=self.align_corners
        )
