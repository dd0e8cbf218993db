"""Helpers for tests: tiny inputs, random boxes, tiny backbones."""

from .models import (
    assert_all_params_have_grad,
    random_boxes,
    tiny_backbone_cfg,
    tiny_images,
    tiny_neck_cfg,
)
from .norm_stats import assert_optimized_model_matches, count_batchnorms, randomize_batchnorm

__all__ = [
    "assert_all_params_have_grad",
    "assert_optimized_model_matches",
    "count_batchnorms",
    "random_boxes",
    "randomize_batchnorm",
    "tiny_backbone_cfg",
    "tiny_images",
    "tiny_neck_cfg",
]
