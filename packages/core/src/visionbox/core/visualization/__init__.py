"""Visualizers on mmengine's Visualizer."""
