"""ACAI's interpolation metrics on the lines benchmark (Berthelot et al., ICLR'19, Section 3.1).

As the official ``lib/eval.py`` (brain-research/acai):

* **Mean Distance**: every interpolated image is matched to the nearest of the 10,000
  evenly spaced reference lines by cosine distance (``1 − u·v / (|u||v|)`` on the
  flattened images); the mean of those distances. Low = every step looks like a real line.
* **Smoothness**: the angles of the matched reference lines along one interpolation are
  unwrapped; the largest step divided by the total change of angle, minus the ideal
  ``1 / (n_steps − 1)``. Zero = the angle moves evenly from start to end. An
  interpolation whose total change is below 1e-4 gets NaN; the mean treats NaN as 0 but
  still counts it (the official ``sum(non-NaN) / n``), and is NaN only when all are.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
import torch

from ..data.lines import reference_angles, reference_lines


@lru_cache(maxsize=4)
def _unit_reference(size: int) -> np.ndarray:
    """The reference lines flattened to unit rows, float64, (10000, size²); read-only."""
    ref = reference_lines(size).reshape(-1, size * size).astype(np.float64)
    ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    ref.flags.writeable = False
    return ref


def closest_line(images, size: int | None = None, chunk: int = 512):
    """``(distance, angle)`` of the nearest reference line for each image of shape (N, H, W).

    The cosine distances are float64 matrix products in NumPy (OpenBLAS, pinned to its Haswell kernels and
    one thread by :mod:`vaelab.cpu`), ``chunk`` images each, two chunks at a time in threads: four times
    faster than PyTorch's product under MKL's reproducible branch, and the same bits on every x86-64 CPU
    (``benchmarks/cross_cpu.py``) whatever ``chunk`` and the number of threads (every row of the product is
    computed alone). Images of zero norm get NaN."""
    q = np.asarray(images, dtype=np.float64)
    q = q.reshape(q.shape[0], -1)
    size = size or int(round(q.shape[1] ** 0.5))
    if size * size != q.shape[1]:
        raise ValueError(f"images must be square, got {q.shape[1]} pixels each")
    rn = _unit_reference(size)
    with np.errstate(divide="ignore", invalid="ignore"):
        qn = q / np.linalg.norm(q, axis=1, keepdims=True)
    dmin, idx = np.empty(len(q)), np.empty(len(q), dtype=np.int64)

    def one(i):
        dist = 1.0 - qn[i:i + chunk] @ rn.T                 # (chunk, 10000) cosine distances
        idx[i:i + chunk] = dist.argmin(axis=1)             # the first minimum, as the official argmin
        dmin[i:i + chunk] = dist[np.arange(len(dist)), idx[i:i + chunk]]

    starts = range(0, len(q), chunk)
    if len(starts) > 1:
        with ThreadPoolExecutor(2) as pool:   # NumPy's product releases the GIL
            list(pool.map(one, starts))
    else:
        one(0)
    return dmin, reference_angles()[idx]


def smoothness(angles: np.ndarray) -> np.ndarray:
    """Per interpolation (rows of ``angles``, shape (n_interp, n_steps)): the official smoothness."""
    a = np.unwrap(np.atleast_2d(angles), axis=-1)
    diffs = np.abs(np.diff(a, axis=-1))
    total = np.abs(a[:, :1] - a[:, -1:])
    zero = (total < 1e-4).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = np.max(diffs / total, axis=-1) - 1.0 / (a.shape[1] - 1)
    dev[zero] = np.nan
    return dev


def line_eval(interpolations) -> tuple[float, float]:
    """``(mean_distance, mean_smoothness)`` for an array or tensor of shape
    (n_interpolations, n_steps, H, W) (a trailing or inserted channel axis of 1 is accepted)
    with pixel values in [-1, 1]."""
    x = interpolations.detach().cpu().numpy() if torch.is_tensor(interpolations) else np.asarray(interpolations)
    x = x.squeeze(-1) if x.ndim == 5 and x.shape[-1] == 1 else x
    x = x.squeeze(2) if x.ndim == 5 and x.shape[2] == 1 else x
    if x.ndim != 4 or x.shape[1] < 2:
        raise ValueError(f"interpolations must have shape (n_interpolations, n_steps >= 2, H, W), got {x.shape}")
    n, steps = x.shape[:2]
    dist, angles = closest_line(x.reshape((n * steps,) + x.shape[2:]))
    scores = smoothness(angles.reshape(n, steps))
    nan = np.isnan(scores)
    mean_smooth = np.nan if nan.all() else float(np.sum(scores[~nan]) / len(scores))
    return float(np.mean(dist)), mean_smooth
