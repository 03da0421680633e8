"""Same-class pairs, the cycle-consistent VAE's only supervision (Jha et al., ECCV'18): the reference pairs each
image with a random image of its class."""
from __future__ import annotations

import numpy as np
import torch


def partners(y: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """For every row, the index of a random *other* row with the same label (the reference pairs each image
    with a random same-class image). Raises if a class has a single member."""
    y = torch.as_tensor(y).cpu()
    rng = np.random.default_rng([seed, 5])
    out = torch.empty(len(y), dtype=torch.long)
    for c in torch.unique(y):
        idx = torch.nonzero(y == c).flatten().numpy()
        if len(idx) < 2:
            raise ValueError(f"class {int(c)} has {len(idx)} image(s); a same-class pair needs two")
        shift = rng.integers(1, len(idx), len(idx))       # never 0: never the image itself
        out[idx] = torch.from_numpy(idx[(np.arange(len(idx)) + shift) % len(idx)])
    return out
