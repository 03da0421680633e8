"""Figures of the CelebA chapter: the slides' edits per model beside ToyFaces' true edit, the glasses
interpolation, the CSVAE's per-attribute subspaces, reconstructions and training curves. Every function
returns the figure it draws; images are shown in [0, 1]."""
from __future__ import annotations

import matplotlib.pyplot as plt

from ... import plots
from .. import celeba_csvae as cc


def _entry(R, name, seed):
    if (name, seed) not in R:
        raise ValueError(f"no run {name!r} with seed {seed} in the results")
    return R[(name, seed)]


def edits(R: dict, experiment: str, names, seed: int, models=cc.MODELS, n: int = 10):
    """The first ``n`` source faces of ``experiment``, each model's edit and, on ToyFaces, the true edit."""
    S, exp = R.extra["sets"], cc.EXPERIMENTS[experiment]
    P = S[experiment]
    x = P["x"][:n]
    y = cc.labels(P, names)[:n]
    y_new = cc.target_labels(y, exp)
    rows, labels = [cc.unit_interval(x)], ["input"]
    for m in models:
        e = _entry(R, m, seed)
        rows.append(cc.edit(e["model"], x, y, y_new, e["directions"]))
        labels.append(m)
    if "factors" in P:
        rows.append(cc.true_edit({k: (v[:n] if k != "factors" else {f: t[:n] for f, t in v.items()})
                                  for k, v in P.items()}, y_new, names))
        labels.append("truth")
    return plots.image_rows(rows, labels, f"{exp.title} (seed {seed})")


def interpolation(R: dict, names, seed: int, models=cc.MODELS, n: int = 3):
    """For each model, ``n`` faces without glasses moved towards glasses in :data:`cc.INTERP_STEPS` steps."""
    P = R.extra["sets"]["eyeglasses"]
    x, y = P["x"][:n], cc.labels(P, names)[:n]
    col = cc.LABELS.index("Eyeglasses")
    rows, labels = [], []
    for m in models:
        e = _entry(R, m, seed)
        path = cc.interpolate(e["model"], x, y, col, e["directions"])   # (steps, n, ...)
        for i in range(n):
            rows.append(path[:, i])
            labels.append(m if i == 0 else "")
    return plots.image_rows(rows, labels, f"no glasses → glasses (seed {seed}), left to right", size=0.8)


def reconstructions(R: dict, names, seed: int, models=cc.MODELS, n: int = 10):
    T = R.extra["sets"]["test"]
    x, y = T["x"][:n], cc.labels(T, names)[:n]
    rows = [cc.unit_interval(x)] + [cc.unit_interval(_entry(R, m, seed)["model"].reconstruct(x, y)) for m in models]
    return plots.image_rows(rows, ["input", *models], f"test faces and their reconstructions (seed {seed})")


def subspaces(R: dict, names, seed: int, max_points: int = 800, models=("CSVAE", cc.PAPER_CSVAE)):
    """Each CSVAE's w_i (2 dimensions per attribute) on test faces, coloured by the attribute's label, with the
    means of its two learned priors p(w_i | y_i = 0) and p(w_i | y_i = 1) marked: one row per CSVAE."""
    rows = [m for m in models if (m, seed) in R]
    if not rows:
        raise ValueError(f"no CSVAE of seed {seed} among the results (looked for {', '.join(models)})")
    T = R.extra["sets"]["dis_test"]
    y = cc.labels(T, names)[:max_points]
    fig, axes = plt.subplots(len(rows), len(cc.LABELS), figsize=(2.3 * len(cc.LABELS), 2.5 * len(rows)),
                             squeeze=False)
    for row, name_ in zip(axes, rows):
        m = _entry(R, name_, seed)["model"]
        w = m.latents(T["x"][:max_points], y)["w"].view(len(y), len(cc.LABELS), -1)
        for j, (ax, label) in enumerate(zip(row, cc.LABELS)):
            c = plots.LABEL_COLOURS[y[:, j].long().numpy()]
            ax.scatter(w[:, j, 0], w[:, j, 1], s=3, c=c, alpha=0.6, linewidths=0)
            pm = m.prior_mu[j].detach().float()
            ax.scatter(pm[:, 0], pm[:, 1], marker="x", s=40, c=plots.LABEL_COLOURS, linewidths=2)
            ax.set_title(f"{name_}: {label}" if j == 0 else label, fontsize=8)
            ax.tick_params(labelsize=6)
    fig.suptitle(f"CSVAE subspaces w_i (seed {seed}): blue = without, orange = with; × = prior means", fontsize=9)
    fig.tight_layout()
    return fig


def training_curves(R: dict, seed: int, models=cc.MODELS):
    """Reconstruction MSE (the [-1, 1] training scale) per logged iteration, one line per model; the VAE's
    iterations come first, the others' count from where they started."""
    hist = {}
    for m in models:
        e = _entry(R, m, seed)
        key = "vae/recon" if m == "VAE" else "model/recon"
        off = 0 if m == "VAE" else _entry(R, "VAE", seed)["record"]["iterations"]
        hist[m] = [{"iter": r["iter"] + off, "reconstruction MSE": r[key]} for r in e["record"]["history"] if key in r]
    return plots.loss_curves(hist, keys=["reconstruction MSE"], logy=("reconstruction MSE",), size=(6.0, 3.0))
