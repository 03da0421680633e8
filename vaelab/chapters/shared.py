"""Evaluation helpers that several chapters use (batching a model over a test set, the pixel MSE, uint8 images
to [0, 1]), so that no chapter reaches into another's private names."""
from __future__ import annotations

import torch


def chunks(fn, *xs, size: int = 128):
    """``fn`` over aligned slices of ``xs``, concatenated (per key when ``fn`` returns a dict)."""
    parts = [fn(*(x[i:i + size] for x in xs)) for i in range(0, len(xs[0]), size)]
    if isinstance(parts[0], dict):
        return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}
    return torch.cat(parts)


def mse(x, y) -> float:
    """The mean squared difference over every element, in float32."""
    return float(((x.float() - y.float()) ** 2).mean())


def from_uint8(x: torch.Tensor) -> torch.Tensor:
    """uint8 images to floats in [0, 1]; float images unchanged."""
    return x.float() / 255.0 if x.dtype == torch.uint8 else x
