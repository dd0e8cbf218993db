"""Shared evaluation helpers and metrics."""
