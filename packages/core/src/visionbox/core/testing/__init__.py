"""Helpers for tests: tiny inputs, random boxes, tiny backbones."""
