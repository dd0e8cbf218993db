"""Optimizers and optimizer-wrapper constructors."""
