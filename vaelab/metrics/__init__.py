"""Metrics: every one is tested on inputs whose answer is known."""
