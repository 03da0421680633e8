"""AVB's toy data (Mescheder, Nowozin, Geiger, ICML'17, Section 6.1): four data points.

Each sample is one of the four one-hot vectors of R^4, chosen uniformly; ``noise`` adds
Gaussian noise of that standard deviation (0: the paper's exact data, to be modelled
with a Bernoulli decoder).
"""
from __future__ import annotations

import torch


def make(n: int, noise: float = 0.0, seed: int = 0, device="cpu"):
    """``(x (n, 4) float32, label (n,) int64)``; ``label`` is the index of the hot coordinate."""
    if n < 1:
        raise ValueError(f"n must be a positive number of samples, got {n}")
    if noise < 0:
        raise ValueError(f"noise must be a non-negative standard deviation, got {noise}")
    g = torch.Generator().manual_seed(seed)
    label = torch.randint(4, (n,), generator=g)
    x = torch.nn.functional.one_hot(label, 4).float()
    if noise:
        x = x + noise * torch.randn(x.shape, generator=g)
    return x.to(device), label.to(device)
