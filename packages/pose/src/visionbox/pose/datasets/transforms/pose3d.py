"""``RandomFlipAroundRoot``: flip 2D inputs and the 3D target of lifting samples."""

from __future__ import annotations

import numpy as np

from visionbox.core.datasets.transforms import BaseTransform

from ...registry import TRANSFORMS

__all__ = ["RandomFlipAroundRoot"]


@TRANSFORMS.register_module()
class RandomFlipAroundRoot(BaseTransform):
    """Mirror a lifting sample: left/right keypoints swap (``flip_indices``), the 2D x mirrors
    about the image centre (or the root's x when no camera width is known) and the 3D target's
    x about its root.

    Args:
        keypoints_flip_cfg: ``center_mode`` / ``center_x`` of the 2D flip (kept for configs).
        target_flip_cfg: ``center_mode`` / ``center_index`` of the 3D flip (kept for configs).
        flip_prob: Flip probability.
        flip_camera: Also mirror the camera's principal point.
        flip_label: Unused (kept for configs).
    """

    def __init__(
        self,
        keypoints_flip_cfg: dict,
        target_flip_cfg: dict,
        flip_prob: float = 0.5,
        flip_camera: bool = False,
        flip_label: bool = False,
    ) -> None:
        self.keypoints_flip_cfg = dict(keypoints_flip_cfg)
        self.target_flip_cfg = dict(target_flip_cfg)
        self.flip_prob = flip_prob
        self.flip_camera = flip_camera
        self.flip_label = flip_label

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.flip_prob:
            return results
        flip = results.get("flip_indices")
        if flip is None:
            raise KeyError("RandomFlipAroundRoot needs results['flip_indices'].")
        index = list(flip)
        kpts = np.asarray(results["keypoints"], np.float32)[..., index, :].copy()
        camera = dict(results.get("camera_param") or {})
        if "w" in camera:
            kpts[..., 0] = camera["w"] - 1 - kpts[..., 0]
        else:
            centre = self.keypoints_flip_cfg.get("center_x", 0.5)
            kpts[..., 0] = 2 * centre - kpts[..., 0]
        results["keypoints"] = kpts
        if "keypoints_visible" in results:
            results["keypoints_visible"] = np.asarray(results["keypoints_visible"])[..., index]
        target = np.asarray(results["lifting_target"], np.float32)[..., index, :].copy()
        root = self.target_flip_cfg.get("center_index", 0)
        target[..., 0] = 2 * target[..., root : root + 1, 0] - target[..., 0]
        results["lifting_target"] = target
        if "lifting_target_visible" in results:
            results["lifting_target_visible"] = np.asarray(results["lifting_target_visible"])[
                ..., index
            ]
        if self.flip_camera and "c" in camera and "w" in camera:
            c = np.asarray(camera["c"], np.float32).copy()
            c[0] = camera["w"] - 1 - c[0]
            camera["c"] = c.tolist()
            results["camera_param"] = camera
        return results
