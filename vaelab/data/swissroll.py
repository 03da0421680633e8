"""The CSVAE toy data (Klys et al. 2018; alexlyzhov/latent-subspaces, csvae_toy/train.py).

Points of sklearn's ``make_swiss_roll`` in R^3 (no noise); the binary label is
y = 1 where the first coordinate is at least 10. Train and test are two independent
draws of 10,000 points each, as in the reference.
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.datasets import make_swiss_roll

THRESHOLD = 10.0


def label(x: torch.Tensor) -> torch.Tensor:
    """The labelling rule itself: 1.0 where x[:, 0] >= 10 (works on any points, e.g. decoded ones)."""
    return (x[..., 0] >= THRESHOLD).float()


def make(n: int = 10_000, seed: int = 0, device="cpu"):
    """``(x, y, t)``: points (n, 3) float32, labels (n, 1) float32 in {0, 1}, roll position t (n,)."""
    if n < 1:
        raise ValueError(f"n must be a positive number of points, got {n}")
    x, t = make_swiss_roll(n_samples=n, noise=0.0, random_state=np.random.RandomState(seed))
    x = torch.from_numpy(x.astype(np.float32)).to(device)
    return x, label(x).unsqueeze(1), torch.from_numpy(t.astype(np.float32)).to(device)


def splits(n_train: int = 10_000, n_test: int = 10_000, seed: int = 0, device="cpu") -> dict:
    """Independent train and test draws (seeds ``2*seed`` and ``2*seed+1``)."""
    xtr, ytr, ttr = make(n_train, 2 * seed, device)
    xte, yte, tte = make(n_test, 2 * seed + 1, device)
    return {"train": {"x": xtr, "y": ytr, "t": ttr}, "test": {"x": xte, "y": yte, "t": tte}}
