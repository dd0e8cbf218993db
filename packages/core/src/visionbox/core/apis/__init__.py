"""What every task's inference APIs share: input checks, the base Inferencer, model loading."""

from .base import BaseInferencer, read_config, resolve_config, to_plain
from .inputs import (
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    ImageInput,
    InputError,
    InputTypeError,
    check_image,
    check_video_source,
    collect_images,
    collect_video,
    iter_images,
    read_image,
)
from .model import load_weights, ready_for_inference, use_default_scope
from .outputs import VIDEO_WRITERS, video_fps, write_frames

__all__ = [
    "IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "VIDEO_WRITERS",
    "BaseInferencer",
    "ImageInput",
    "InputError",
    "InputTypeError",
    "check_image",
    "check_video_source",
    "collect_images",
    "collect_video",
    "iter_images",
    "load_weights",
    "read_image",
    "ready_for_inference",
    "read_config",
    "resolve_config",
    "to_plain",
    "use_default_scope",
    "video_fps",
    "write_frames",
]
