"""Shared models: base classes, CNN building blocks, backbones, necks and losses."""
