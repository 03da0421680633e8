"""Figures of the ACAI chapter: interpolation strips of every method, on lines and on MNIST, and the
metric's view of one interpolation (the matched reference line's angle at every step)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ... import plots
from ...metrics.interpolation import closest_line
from . import key


def strips(results: dict, names, x0: torch.Tensor, x1: torch.Tensor, seed: int, steps: int = 16,
           title: str = ""):
    """One block of rows per model: row r decodes the ``steps`` linear mixes of the codes of ``x0[r]`` and
    ``x1[r]`` (the official interpolation; the first and last columns are the reconstructions). The real end
    points are drawn in the first block ("data": a pixel crossfade, for comparison)."""
    n = len(x0)
    blocks, labels = [], []
    w = torch.linspace(0, 1, steps).view(1, steps, 1, 1, 1)
    blocks.append(((1 - w) * x0[:, None] + w * x1[:, None]).flatten(0, 1))
    labels.append("pixel crossfade")
    for name in names:
        model = results[(name, seed)]["model"]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # the VAE interpolates sampled codes
            blocks.append(model.interpolate(x0, x1, steps).flatten(0, 1))
        labels.append(name.split(" (")[0])
    rows = len(blocks) * n
    fig, axes = plt.subplots(len(blocks), 1, figsize=(steps * 0.45, rows * 0.5 + 0.3 * len(blocks)),
                             squeeze=False)
    for ax, imgs, label in zip(axes[:, 0], blocks, labels):
        grid = plots.tile(((imgs + 1) / 2).clamp(0, 1), nrow=steps)
        ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def matched_angles(results: dict, methods, x0: torch.Tensor, x1: torch.Tensor, seed: int, steps: int = 16):
    """For one pair of test lines: the angle (degrees) of the reference line that the metric matches to each
    interpolation step, per method, and the cosine distance of that match — what Mean Distance and
    Smoothness are computed from."""
    fig, (ax_a, ax_d) = plt.subplots(1, 2, figsize=(10, 3.2))
    for m in methods:
        model = results[(key(m, "lines", None), seed)]["model"]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            out = model.interpolate(x0[:1], x1[:1], steps)[0, :, 0]
        dist, ang = closest_line(out.numpy())
        ax_a.plot(np.degrees(np.unwrap(ang)), marker=".", label=m)
        ax_d.plot(1e3 * dist, marker=".", label=m)
    ax_a.set(xlabel="interpolation step", ylabel="matched line's angle (°, unwrapped)")
    ax_d.set(xlabel="interpolation step", ylabel="cosine distance to it (×10⁻³)")
    ax_d.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def training_curves(results: dict, methods, seeds, plateau: float):
    """The training reconstruction term (MSE, from each run's logged history) of every lines run against
    iterations, one panel per method, with the blank-image plateau: the MSE of the mean image. The VAE logs
    a Bernoulli log-likelihood instead of an MSE and has no curve here."""
    shown = [m for m in methods
             if any(k.endswith("/recon")
                    for k in (results[(key(m, "lines", None), seeds[0])]["record"].get("history") or [{}])[-1])]
    fig, axes = plt.subplots(1, len(shown), figsize=(2.3 * len(shown), 2.6), sharey=True, squeeze=False)
    for ax, m in zip(axes[0], shown):
        for s in seeds:
            hist = results[(key(m, "lines", None), s)]["record"].get("history") or []
            k = next(k for k in hist[-1] if k.endswith("/recon"))
            ax.plot([h["iter"] for h in hist], [h[k] for h in hist], lw=1, label=f"seed {s}")
        ax.axhline(plateau, color="k", ls=":", lw=1)
        ax.set_title(m, fontsize=9)
        ax.set_yscale("log")
        ax.set_xlabel("iteration", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0, 0].set_ylabel("training recon MSE")
    axes[0, 0].legend(fontsize=7)
    axes[0, -1].annotate("mean image", (1.0, plateau), xycoords=("axes fraction", "data"), fontsize=7,
                         ha="right", va="bottom")
    fig.tight_layout()
    return fig
