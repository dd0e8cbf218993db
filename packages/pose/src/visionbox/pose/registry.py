"""Registries of visionbox.pose: children of core's registries with scope 'pose'.

Components of this package are found through ``locations``:
``from visionbox.pose.registry import MODELS; MODELS.build(cfg)`` needs no other import.
Core's components (ResNet, FPN, losses, transforms) resolve through the parent registries.

``KEYPOINT_CODECS`` holds the keypoint codecs (``MSRAHeatmap``, ``SimCCLabel``, ...), as mmpose's
registry of the same name; it is a root registry of its own with scope 'pose'.
"""

from visionbox.core import registry as core
from visionbox.core.registry import VisionBoxRegistry, child_registry

__all__ = [
    "RUNNERS",
    "RUNNER_CONSTRUCTORS",
    "LOOPS",
    "HOOKS",
    "STRATEGIES",
    "DATASETS",
    "DATA_SAMPLERS",
    "TRANSFORMS",
    "MODELS",
    "MODEL_WRAPPERS",
    "WEIGHT_INITIALIZERS",
    "OPTIMIZERS",
    "OPTIM_WRAPPERS",
    "OPTIM_WRAPPER_CONSTRUCTORS",
    "PARAM_SCHEDULERS",
    "METRICS",
    "EVALUATOR",
    "TASK_UTILS",
    "VISUALIZERS",
    "VISBACKENDS",
    "LOG_PROCESSORS",
    "INFERENCERS",
    "FUNCTIONS",
    "BACKBONES",
    "NECKS",
    "HEADS",
    "LOSSES",
    "OPTIMIZER_BUILDERS",
    "KEYPOINT_CODECS",
]

SCOPE = "pose"
_MODELS_AT = ["visionbox.pose.models"]
_DATA_AT = ["visionbox.pose.datasets"]
_ENGINE_AT = ["visionbox.pose.engine"]

RUNNERS = child_registry(core.RUNNERS, SCOPE, _ENGINE_AT)
RUNNER_CONSTRUCTORS = child_registry(core.RUNNER_CONSTRUCTORS, SCOPE, _ENGINE_AT)
LOOPS = child_registry(core.LOOPS, SCOPE, _ENGINE_AT)
HOOKS = child_registry(core.HOOKS, SCOPE, _ENGINE_AT)
STRATEGIES = child_registry(core.STRATEGIES, SCOPE, _ENGINE_AT)
DATASETS = child_registry(core.DATASETS, SCOPE, _DATA_AT)
DATA_SAMPLERS = child_registry(core.DATA_SAMPLERS, SCOPE, _DATA_AT)
TRANSFORMS = child_registry(core.TRANSFORMS, SCOPE, _DATA_AT)
MODELS = child_registry(core.MODELS, SCOPE, _MODELS_AT)
MODEL_WRAPPERS = child_registry(core.MODEL_WRAPPERS, SCOPE, _MODELS_AT)
WEIGHT_INITIALIZERS = child_registry(core.WEIGHT_INITIALIZERS, SCOPE, _MODELS_AT)
OPTIMIZERS = child_registry(core.OPTIMIZERS, SCOPE, [])
OPTIM_WRAPPERS = child_registry(core.OPTIM_WRAPPERS, SCOPE, [])
OPTIM_WRAPPER_CONSTRUCTORS = child_registry(core.OPTIM_WRAPPER_CONSTRUCTORS, SCOPE, _ENGINE_AT)
PARAM_SCHEDULERS = child_registry(core.PARAM_SCHEDULERS, SCOPE, [])
METRICS = child_registry(core.METRICS, SCOPE, ["visionbox.pose.evaluation"])
EVALUATOR = child_registry(core.EVALUATOR, SCOPE, ["visionbox.pose.evaluation"])
TASK_UTILS = child_registry(core.TASK_UTILS, SCOPE, _MODELS_AT)
VISUALIZERS = child_registry(core.VISUALIZERS, SCOPE, ["visionbox.pose.visualization"])
VISBACKENDS = child_registry(core.VISBACKENDS, SCOPE, ["visionbox.pose.visualization"])
LOG_PROCESSORS = child_registry(core.LOG_PROCESSORS, SCOPE, _ENGINE_AT)
INFERENCERS = child_registry(core.INFERENCERS, SCOPE, ["visionbox.pose.apis"])
FUNCTIONS = child_registry(core.FUNCTIONS, SCOPE, _DATA_AT)

# Aliases of the older OpenMMLab toolboxes.
BACKBONES = NECKS = HEADS = LOSSES = MODELS
OPTIMIZER_BUILDERS = OPTIM_WRAPPER_CONSTRUCTORS

#: Keypoint codecs: ``encode()`` keypoints into training targets, ``decode()`` model outputs.
KEYPOINT_CODECS = VisionBoxRegistry(
    "keypoint codec", scope=SCOPE, locations=["visionbox.pose.codecs"]
)
