"""ACAI's synthetic lines benchmark (Berthelot, Raffel, Roy, Goodfellow, ICLR'19, Section 3).

A 32×32 image in [-1, 1] holds one anti-aliased line of width 2 from the centre of the
image to near its border, at an angle in [0, 2π). The definitions follow the official
code, brain-research/acai: ``lib/data.py`` (``draw_line``, ``input_lines``) and
``lib/eval.py`` (the 10,000 evenly spaced reference lines). The rasteriser is written
anew here and reproduces the official one's arithmetic: the line is walked along its
major axis one pixel row at a time; each row receives the fraction of the row that the
segment covers (partial first and last rows), spread over the ``width`` pixels across the
line with fractional coverage at both edges; pixel values are ``2 × coverage − 1``,
clipped to [-1, 1]. Rows of the image follow ``sin(−angle)``, columns ``cos(−angle)``.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

N_CLASSES = 10
N_REFERENCE = 10_000


def _trunc(v: float) -> int:
    return int(v)  # truncation toward zero, as the official renderer's int()


def draw_line(angle: float, size: int = 32, width: float = 2.0) -> np.ndarray:
    """The (size, size) float32 image of the line at ``angle`` (radians), values in [-1, 1]."""
    if not isinstance(size, (int, np.integer)) or size < 4:
        raise ValueError(f"size must be an integer of at least 4 pixels, got {size!r}")
    if not math.isfinite(angle):
        raise ValueError(f"angle must be a finite number of radians, got {angle!r}")
    centre = size * 0.5
    r0, c0 = centre, centre                             # row (sin) and column (cos) of the start
    r1 = r0 + (r0 - 1) * math.sin(-angle)
    c1 = c0 + (c0 - 1) * math.cos(-angle)
    rows_major = abs(r0 - r1) >= abs(c0 - c1)           # walk along the longer extent
    u0, u1, v0, v1 = (r0, r1, c0, c1) if rows_major else (c0, c1, r0, r1)
    if u1 < u0:
        u0, u1, v0, v1 = u1, u0, v1, v0
    v0, v1 = v0 - width / 2, v1 - width / 2
    slope = (v1 - v0) / (u1 - u0) if u1 != u0 else 0.0
    first_full, last_full = math.ceil(u0), _trunc(u1)
    img = np.zeros((size, size))
    for u in range(_trunc(u0), math.ceil(u1)):
        if u < first_full:
            along = first_full - u0                     # partial first step
        elif u > last_full:
            along = u1 - last_full                      # partial last step
        else:
            along = 1.0
        vs = v0 + (u - u0 - 0.5) * slope
        ve = vs + width
        lo, hi = math.ceil(vs), _trunc(ve)
        cells = []
        if lo != hi:
            cells.append((slice(lo, hi), along))
        if lo != vs:
            cells.append((_trunc(vs), along * (lo - vs)))
        if hi != ve:
            cells.append((hi, along * (ve - hi)))
        for v, cover in cells:
            if rows_major:
                img[u, v] += 2 * cover
            else:
                img[v, u] += 2 * cover
    return np.clip(img - 1.0, -1.0, 1.0).astype(np.float32)


def label(angle) -> np.ndarray:
    """Class = angle decile, as the official ``int(10 * angle / (2π − 1e-6))``, clipped to 9: the
    official formula gives an out-of-range class 10 to the angles within 1.6e-7 of 2π."""
    cls = (10 * np.asarray(angle, dtype=np.float64) / (2 * math.pi - 1e-6)).astype(np.int64)
    return np.minimum(cls, N_CLASSES - 1)


def sample(n: int, seed: int = 0, size: int = 32, device="cpu"):
    """``(images (n, 1, size, size) float32 in [-1, 1], labels (n,), angles (n,) float64)``,
    angles ~ U[0, 2π)."""
    if n < 1:
        raise ValueError(f"n must be a positive number of lines, got {n}")
    angles = np.random.default_rng(seed).uniform(0.0, 2 * math.pi, n)
    images = np.stack([draw_line(a, size) for a in angles])[:, None]
    return (torch.from_numpy(images).to(device), torch.from_numpy(label(angles)).to(device),
            torch.from_numpy(angles).to(device))


def reference_angles(n: int = N_REFERENCE) -> np.ndarray:
    """The evenly spaced angles of the metric's reference lines: linspace(0, 2π − 2π/n, n)."""
    return np.linspace(0, 2 * np.pi - 2 * np.pi / n, n)


@lru_cache(maxsize=4)
def reference_lines(size: int = 32, n: int = N_REFERENCE) -> np.ndarray:
    """(n, size, size) float32: the reference lines that the interpolation metrics match against."""
    return np.stack([draw_line(a, size) for a in reference_angles(n)])
