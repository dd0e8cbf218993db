"""``LocalVisualizer``: draws a data sample's ground truth and predictions on its image.

Boxes with class names and scores, instance masks, semantic label maps with the dataset's palette,
keypoints with the skeleton, and track ids. Drawing uses OpenCV only (headless); the result goes to
``out_file`` (PNG or JPEG by its extension) or to the visualization backends.
"""

from __future__ import annotations

import os

import cv2
import numpy as np
import torch
from mmengine.visualization import Visualizer

from ..registry import VISUALIZERS
from .draw import color_for, draw_bboxes, draw_keypoints, draw_masks, draw_sem_seg, draw_texts

__all__ = ["LocalVisualizer"]


def _np(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if hasattr(value, "to_ndarray"):
        return value.to_ndarray()
    return np.asarray(value)


@VISUALIZERS.register_module()
class LocalVisualizer(Visualizer):
    """Visualizer of images, ground truth and predictions for every VisionBox task.

    Args:
        name: Instance name (mmengine visualizers are managers).
        image: Optional image to start with.
        vis_backends: Visualization backend configs.
        save_dir: Folder of the backends' files.
        bbox_color: Box colour (RGB); per class from the palette when ``None``.
        text_color: Unused when labels are drawn on filled boxes; kept for mmdet configs.
        mask_color: Mask colour; per class (or track) when ``None``.
        line_width: Box line width.
        alpha: Opacity of masks and label maps.
    """

    def __init__(
        self,
        name: str = "visualizer",
        image: np.ndarray | None = None,
        vis_backends: list[dict] | None = None,
        save_dir: str | None = None,
        bbox_color: tuple[int, int, int] | None = None,
        text_color: tuple[int, int, int] = (200, 200, 200),
        mask_color: tuple[int, int, int] | None = None,
        line_width: int = 2,
        alpha: float = 0.5,
    ) -> None:
        super().__init__(name=name, image=image, vis_backends=vis_backends, save_dir=save_dir)
        self.bbox_color = bbox_color
        self.text_color = text_color
        self.mask_color = mask_color
        self.line_width = line_width
        self.alpha = alpha
        self.dataset_meta: dict = {}

    def _colors(self, ids: np.ndarray, fixed) -> list[tuple]:
        palette = self.dataset_meta.get("palette")
        return [tuple(fixed) if fixed else color_for(int(i), palette) for i in ids]

    def draw_instances(self, image: np.ndarray, instances, score_thr: float = 0.3) -> np.ndarray:
        """Return ``image`` (H, W, 3) RGB with the instances drawn."""
        img = image.copy()
        keys = set(instances.keys())
        n = len(instances)
        if n == 0:
            return img
        keep = np.ones(n, bool)
        if "scores" in keys:
            keep = _np(instances.scores) >= score_thr
        labels = (
            _np(instances.labels)[keep].astype(int)
            if "labels" in keys
            else np.zeros(keep.sum(), int)
        )
        ids = _np(instances.instances_id)[keep].astype(int) if "instances_id" in keys else None
        color_ids = ids if ids is not None else labels
        if "masks" in keys:
            masks = _np(instances.masks)[keep]
            draw_masks(img, masks, self._colors(color_ids, self.mask_color), self.alpha)
        if "bboxes" in keys:
            boxes = _np(instances.bboxes)[keep].reshape(-1, 4)
            colors = self._colors(color_ids, self.bbox_color)
            draw_bboxes(img, boxes, colors, self.line_width)
            classes = self.dataset_meta.get("classes")
            texts = []
            for j, label in enumerate(labels):
                text = classes[label] if classes and label < len(classes) else f"class {label}"
                if ids is not None:
                    text = f"id {ids[j]} {text}"
                if "scores" in keys:
                    text += f" {_np(instances.scores)[keep][j]:.2f}"
                texts.append(text)
            draw_texts(img, texts, boxes[:, :2], colors)
        if "keypoints" in keys:
            kpts = _np(instances.keypoints)[keep]
            vis = None
            for key in ("keypoints_visible", "keypoint_scores"):
                if key in keys:
                    vis = _np(instances[key])[keep]
            skeleton = self.dataset_meta.get("skeleton_links") or self.dataset_meta.get("skeleton")
            kpt_colors = self.dataset_meta.get("keypoint_colors")
            kpt_colors = (
                [tuple(int(c) for c in col) for col in kpt_colors]
                if kpt_colors is not None
                else None
            )
            draw_keypoints(img, kpts, vis, skeleton, self.bbox_color or (255, 128, 0), kpt_colors)
        return img

    def draw_sem_seg(self, image: np.ndarray, sem_seg) -> np.ndarray:
        """Return ``image`` with a (1, H, W) ``PixelData`` label map blended in."""
        img = image.copy()
        data = _np(sem_seg.data if hasattr(sem_seg, "data") else sem_seg)
        draw_sem_seg(
            img,
            data.reshape(data.shape[-2:]),
            self.dataset_meta.get("palette"),
            self.alpha,
            self.dataset_meta.get("ignore_index", 255),
        )
        return img

    def _draw(self, image: np.ndarray, sample, prefix: str, score_thr: float) -> np.ndarray:
        instances = getattr(sample, f"{prefix}_instances", None) if sample is not None else None
        sem_seg = getattr(sample, f"{prefix}_sem_seg", None) if sample is not None else None
        if sem_seg is not None:
            image = self.draw_sem_seg(image, sem_seg)
        if instances is not None:
            image = self.draw_instances(image, instances, score_thr if prefix == "pred" else -1)
        return image

    def add_datasample(
        self,
        name: str,
        image: np.ndarray,
        data_sample=None,
        draw_gt: bool = True,
        draw_pred: bool = True,
        show: bool = False,
        wait_time: float = 0,
        out_file: str | None = None,
        pred_score_thr: float = 0.3,
        step: int = 0,
    ) -> np.ndarray:
        """Draw ground truth (left) and predictions (right) of ``data_sample`` on the RGB ``image``.

        Writes ``out_file`` when given (PNG or JPEG), otherwise hands the drawing to the backends.
        Returns the drawn (H, W', 3) RGB array.
        """
        image = np.ascontiguousarray(np.asarray(image)[..., :3].clip(0, 255).astype(np.uint8))
        panels = []
        if draw_gt and data_sample is not None:
            panels.append(self._draw(image, data_sample, "gt", -1))
        if draw_pred and data_sample is not None:
            panels.append(self._draw(image, data_sample, "pred", pred_score_thr))
        drawn = np.concatenate(panels, axis=1) if panels else image
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            os.makedirs(os.path.dirname(os.path.abspath(out_file)), exist_ok=True)
            if not cv2.imwrite(out_file, drawn[..., ::-1]):
                raise OSError(f"Cannot write the visualization to {out_file} (use .png or .jpg).")
        else:
            self.add_image(name, drawn, step)
        return drawn
