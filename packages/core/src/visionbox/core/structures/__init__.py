"""Data structures shared by every task."""
