"""Visualizers on mmengine's Visualizer, headless (OpenCV drawing)."""

from .draw import draw_bboxes, draw_keypoints, draw_masks, draw_sem_seg, draw_texts
from .local_visualizer import LocalVisualizer

__all__ = [
    "LocalVisualizer",
    "draw_bboxes",
    "draw_keypoints",
    "draw_masks",
    "draw_sem_seg",
    "draw_texts",
]
