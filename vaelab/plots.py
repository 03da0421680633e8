"""Figures of the book: scatter planes, 3-D data, image grids. Each returns a matplotlib Figure."""
from __future__ import annotations


import matplotlib.pyplot as plt
import numpy as np
import torch

LABEL_COLOURS = np.array([[0.22, 0.42, 0.69], [0.85, 0.33, 0.10]])  # y = 0 blue, y = 1 orange


def _np(a):
    return a.detach().cpu().numpy() if torch.is_tensor(a) else np.asarray(a)


def scatter3d(x, y, title: str = "", max_points: int = 4000, ax=None):
    """3-D scatter of points coloured by a binary label."""
    x, y = _np(x)[:max_points], _np(y).reshape(-1)[:max_points].astype(int)
    fig = None
    if ax is None:
        fig = plt.figure(figsize=(4.5, 4))
        ax = fig.add_subplot(projection="3d")
    ax.scatter(x[:, 0], x[:, 1], x[:, 2], c=LABEL_COLOURS[y], s=2, alpha=0.7, linewidths=0)
    ax.set_xlabel("x$_1$"), ax.set_ylabel("x$_2$"), ax.set_zlabel("x$_3$")
    ax.set_title(title)
    return fig or ax.figure


def planes(panels, ncols: int | None = None, size: float = 2.6, max_points: int = 4000, suptitle: str = ""):
    """A grid of 2-D scatters. ``panels``: list of ``(title, codes (N, >=2), labels (N,))`` or
    ``(title, codes, labels, class_names)``; only the first two columns of each code are drawn. Binary
    labels are blue / orange, more classes take the tab10 colours (label k -> colour k). With
    ``class_names`` the panel gets a legend."""
    n = len(panels)
    ncols = ncols or n
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax, (title, codes, y, *names) in zip(axes.flat, panels):
        c, lab = _np(codes)[:max_points], _np(y).reshape(-1)[:max_points].astype(int)
        binary = lab.max(initial=0) <= 1
        palette = (lambda k: LABEL_COLOURS[k]) if binary else (lambda k: plt.get_cmap("tab10")(k % 10))
        if binary:  # the rarer positive class drawn on top
            order = np.argsort(lab, kind="stable")
        else:  # several classes (e.g. digits): random order so no class hides the others
            order = np.random.default_rng(0).permutation(len(lab))
        ax.scatter(c[order, 0], c[order, 1], c=[palette(k) for k in lab[order]], s=1.5, alpha=0.6, linewidths=0)
        if names:
            present = sorted(set(lab.tolist()))
            handles = [plt.Line2D([], [], ls="", marker="o", ms=3, color=palette(k)) for k in present]
            ax.legend(handles, [str(names[0][k]) for k in present], fontsize=5, loc="best", ncol=2,
                      handletextpad=0.1, columnspacing=0.4, borderpad=0.2)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    for ax in axes.flat[n:]:
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def flips(pairs, size: float = 3.0, max_points: int = 3000):
    """Label flipping in the data plane (x1, x3). ``pairs``: list of ``(title, x, x_flipped, y)``:
    grey = the test points, colour = their decodes after the flip, coloured by the *new* label."""
    fig, axes = plt.subplots(1, len(pairs), figsize=(size * len(pairs), size), squeeze=False)
    for ax, (title, x, xf, y) in zip(axes.flat, pairs):
        x, xf, y = _np(x)[:max_points], _np(xf)[:max_points], _np(y).reshape(-1)[:max_points].astype(int)
        ax.scatter(x[:, 0], x[:, 2], c="0.85", s=1.5, linewidths=0)
        ax.scatter(xf[:, 0], xf[:, 2], c=LABEL_COLOURS[1 - y], s=1.5, alpha=0.6, linewidths=0)
        ax.axvline(10, color="k", lw=0.8, ls="--")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("x$_1$"), ax.set_ylabel("x$_3$")
    fig.tight_layout()
    return fig


def loss_curves(histories: dict, keys=None, logy=(), size=(4.0, 2.6)):
    """Training curves: ``histories`` maps a run name to its list of logged rows; keys in ``logy``
    get a logarithmic axis."""
    keys = keys or sorted({k for h in histories.values() for row in h for k in row if k != "iter"})
    fig, axes = plt.subplots(1, len(keys), figsize=(size[0] * len(keys), size[1]), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        for name, h in histories.items():
            rows = [r for r in h if key in r]
            if rows:
                ax.plot([r["iter"] for r in rows], [r[key] for r in rows], label=name, lw=1)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("iteration")
        if key in logy:
            ax.set_yscale("log")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def convergence(curves: dict, panels: list, marks: dict | None = None, size=(3.2, 2.8)):
    """Metrics against iterations on a log axis: ``curves`` maps a run name to its list of
    ``{"iter", metric: value}`` points, ``panels`` lists ``(metric, title)``; ``marks`` maps a label to an
    iteration drawn as a grey vertical line (e.g. the book's length). A run keeps its colour in every panel
    (also where it lacks a metric); one legend for the figure, below the panels."""
    fig, axes = plt.subplots(1, len(panels), figsize=(size[0] * len(panels), size[1]), squeeze=False,
                             constrained_layout=True)
    colours = {name: f"C{i % 10}" for i, name in enumerate(curves)}
    handles = {}
    for ax, (key, title) in zip(axes.flat, panels):
        for name, points in curves.items():
            pts = [p for p in points if key in p]
            if pts:
                handles[name], = ax.plot([p["iter"] for p in pts], [p[key] for p in pts], "o-", ms=3, lw=1,
                                         color=colours[name])
        for i, (label, it) in enumerate((marks or {}).items()):
            handles[label] = ax.axvline(it, color="0.6", lw=1, ls=("-", "--", ":")[i % 3])
        ax.set_xscale("log")
        ax.set_xlabel("iteration")
        ax.set_title(title, fontsize=9)
    order = [n for n in curves if n in handles] + [m for m in (marks or {}) if m in handles]
    fig.legend([handles[n] for n in order], order, loc="outside lower center", ncol=min(len(order), 8),
               fontsize=8, frameon=False)
    return fig


def tile(images, nrow: int = 8) -> np.ndarray:
    """Images (N, C, H, W) in [0, 1] tiled ``nrow`` to a row on white, one-pixel gaps: (H', W') for grey
    images, (H', W', C) otherwise."""
    imgs = _np(images)
    n, c, h, w = imgs.shape
    ncol = int(np.ceil(n / nrow))
    grid = np.ones((ncol * (h + 1), nrow * (w + 1), c))
    for i, im in enumerate(imgs):
        r, q = divmod(i, nrow)
        grid[r * (h + 1): r * (h + 1) + h, q * (w + 1): q * (w + 1) + w] = im.transpose(1, 2, 0)
    return grid[..., 0] if c == 1 else grid


def image_grid(images, nrow: int = 8, title: str = "", size: float = 1.0):
    """Images (N, C, H, W) in [0, 1] as one grid, ``nrow`` images to a row."""
    grid = tile(images, nrow)
    ncol = int(np.ceil(len(images) / nrow))
    fig, ax = plt.subplots(figsize=(size * nrow, size * ncol))
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=1)
    ax.axis("off")
    ax.set_title(title)
    return fig


def image_rows(rows: list, labels: list, title: str = "", size: float = 0.9):
    """Rows of images (each (n, 3, H, W) in [0, 1]) stacked, a label left of each row."""
    n = len(rows[0])
    fig, ax = plt.subplots(figsize=(size * n + 1.2, size * len(rows) + 0.4))
    ax.imshow(tile(np.concatenate([_np(r) for r in rows]), n), vmin=0, vmax=1)
    h = rows[0].shape[-2] + 1
    ax.set_yticks([h * i + h / 2 for i in range(len(rows))], labels, fontsize=8)
    ax.set_xticks([])
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def rates(names, ours, reference, labels=("ours", "reference"), size=(9.0, 3.0)):
    """Side-by-side bars of two sets of rates (e.g. attribute base rates)."""
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=size)
    ax.bar(x - 0.2, _np(ours), 0.4, label=labels[0])
    ax.bar(x + 0.2, _np(reference), 0.4, label=labels[1])
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("rate")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def heatmap(matrix, labels, title: str = "", size: float = 6.0, vmin=-1, vmax=1):
    """A labelled square heatmap (e.g. a correlation matrix)."""
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(_np(matrix), cmap="RdBu_r", vmin=vmin, vmax=vmax)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, shrink=0.7)
    fig.tight_layout()
    return fig


def histograms(values: dict, ncols: int = 6, size: float = 2.0, bins: int = 30):
    """One histogram per named 1-D array."""
    n = len(values)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * 0.8 * nrows), squeeze=False)
    for ax, (name, v) in zip(axes.flat, values.items()):
        ax.hist(_np(v), bins=bins, color="0.4")
        ax.set_title(name, fontsize=8)
        ax.set_yticks([])
    for ax in axes.flat[n:]:
        ax.axis("off")
    fig.tight_layout()
    return fig
