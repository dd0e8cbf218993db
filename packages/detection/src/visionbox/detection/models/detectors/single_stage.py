"""``SingleStageDetector``: backbone, optional neck and one dense head (RetinaNet, FCOS, YOLOX),
with mmdet 3.x's arguments and ``state_dict`` keys (``backbone``, ``neck``, ``bbox_head``).

Shape shorthand: B images; inputs (B, 3, H, W) from the data preprocessor; L feature levels.
"""

from __future__ import annotations

from torch import Tensor, nn

from visionbox.core.models import BaseTaskModel

from ...registry import MODELS
from ...structures import SampleList
from ..builder import build_module
from .two_stage import _check_samples, _with, add_pred_to_datasample

__all__ = ["SingleStageDetector"]


@MODELS.register_module()
class SingleStageDetector(BaseTaskModel):
    """A dense head predicts classes and boxes directly on every feature-map location.

    The head receives ``train_cfg`` and ``test_cfg`` (as in mmdet, where the detector injects
    them into ``bbox_head`` before building it).

    Args:
        backbone: Backbone config or module.
        neck: Neck config or module (FPN, PAFPN, ...), or ``None``.
        bbox_head: Dense head config or module; it must provide ``loss(feats, samples)``,
            ``predict(feats, samples, rescale)`` and ``forward(feats)``.
        train_cfg: Training settings of the head (``assigner``, ``sampler``, ...).
        test_cfg: Test settings of the head (``nms_pre``, ``score_thr``, ``nms``,
            ``max_per_img``).
        data_preprocessor: ``DetDataPreprocessor`` config (the default) or module.
        init_cfg: Weight initialisation.
    """

    def __init__(
        self,
        backbone: dict | nn.Module,
        neck: dict | nn.Module | None = None,
        bbox_head: dict | nn.Module | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        data_preprocessor: dict | nn.Module | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type="DetDataPreprocessor")
        super().__init__(data_preprocessor=build_module(data_preprocessor), init_cfg=init_cfg)
        self.build_trunk(build_module(backbone), None if neck is None else build_module(neck))
        if bbox_head is None:
            raise ValueError(f"{type(self).__name__} needs a bbox_head config")
        self.bbox_head = build_module(_with(bbox_head, train_cfg=train_cfg, test_cfg=test_cfg))
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

    @property
    def with_bbox(self) -> bool:
        """Whether the detector has a box head."""
        return getattr(self, "bbox_head", None) is not None

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """The head's losses of a batch with ground truth in ``data_samples``."""
        _check_samples(inputs, data_samples, need_gt=True)
        return self.bbox_head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs: Tensor, data_samples: SampleList, rescale: bool = True) -> SampleList:
        """Data samples with ``pred_instances`` (``bboxes`` (K, 4), ``scores`` (K,), ``labels``
        (K,)), boxes in the original image when ``rescale``."""
        _check_samples(inputs, data_samples, need_gt=False)
        results = self.bbox_head.predict(self.extract_feat(inputs), data_samples, rescale=rescale)
        return add_pred_to_datasample(data_samples, results)

    def _forward(self, inputs: Tensor, data_samples: SampleList | None = None) -> tuple:
        """Raw head outputs (e.g. per-level class and box maps), without post-processing."""
        return self.bbox_head.forward(self.extract_feat(inputs))
