"""Figures of the cycle-consistent VAE chapter: the swap grid, t-SNE of z and s, interpolation in z at a
fixed s, and the training curves. Every function returns the figure it draws."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ... import plots
from . import codes, sprite_truth, swaps  # noqa: F401  (sprite_truth: re-exported for the page)


def _framed(top: torch.Tensor, left: torch.Tensor, body: torch.Tensor) -> torch.Tensor:
    """Images of an (n+1) x (m+1) grid, row-major: a blank corner, ``top`` (m) along the first row, ``left``
    (n) down the first column, ``body`` (n, m) inside."""
    n = body.shape[0]
    blank = torch.ones_like(top[:1])
    rows = [torch.cat([blank, top])]
    rows += [torch.cat([left[i:i + 1], body[i]]) for i in range(n)]
    return torch.cat(rows)


def swap_grid(model, x_style: torch.Tensor, x_class: torch.Tensor, title: str = "", truth=None):
    """Rows: style sources (first column); columns: class sources (first row); cell (i, j) decodes the style
    mean of row i with the class code of column j. ``truth`` (n, m, C, H, W), when given, is drawn as a
    second grid beside it (the true swaps that ToySprites can render)."""
    body = swaps(model, x_style, x_class)
    grids = [("swaps", _framed(x_class, x_style, body))]
    if truth is not None:
        grids.append(("truth", _framed(x_class, x_style, truth)))
    m = len(x_class) + 1
    fig, axes = plt.subplots(1, len(grids), figsize=(0.55 * m * len(grids) + 0.5, 0.55 * (len(x_style) + 1) + 0.5),
                             squeeze=False)
    for ax, (name, imgs) in zip(axes.flat, grids):
        ax.imshow(plots.tile(imgs, m), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{title}: {name}" if title else name, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    return fig


def tsne(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """A 2-D t-SNE embedding (scikit-learn, perplexity 30, PCA init)."""
    from sklearn.manifold import TSNE

    return TSNE(2, perplexity=30, init="pca", random_state=seed).fit_transform(np.asarray(x, dtype=np.float32))


def tsne_panels(model, x: torch.Tensor, colourings: dict, seed: int = 0) -> list:
    """t-SNE of the style means z and of the class codes s of ``x``, each coloured by every entry of
    ``colourings`` (title -> (labels, class names)): panels for :func:`vaelab.plots.planes`."""
    z, s = codes(model, x)
    emb = {"z": tsne(z.numpy(), seed), "s": tsne(s.numpy(), seed)}
    return [(f"t-SNE of {k}, by {title}", e, labels, names)
            for k, e in emb.items() for title, (labels, names) in colourings.items()]


def interpolation(model, x_a: torch.Tensor, x_b: torch.Tensor, x_class: torch.Tensor, steps: int = 8) -> torch.Tensor:
    """Row r: the style mean moved linearly from z(x_a[r]) to z(x_b[r]) in ``steps`` steps, every image
    decoded with the class code of ``x_class[r]``; (len(x_a) * steps, C, H, W), row-major."""
    za, _ = model.encode(x_a)
    zb, _ = model.encode(x_b)
    _, s = model.encode(x_class)
    t = torch.linspace(0, 1, steps)[None, :, None]
    z = (1 - t) * za[:, None] + t * zb[:, None]                     # (n, steps, z_dim)
    out = model.decode(z.flatten(0, 1), s.repeat_interleave(steps, 0))
    return out


def interpolation_strips(model, x: torch.Tensor, steps: int = 8, n: int = 5) -> torch.Tensor:
    """Images for a grid of ``steps + 1`` columns: row r interpolates the style from ``x[r]`` to ``x[n + r]`` with
    the class code of ``x[2n + r]``, which the last column shows; needs ``len(x) >= 3n``."""
    if len(x) < 3 * n:
        raise ValueError(f"interpolation_strips needs 3 * n = {3 * n} images, got {len(x)}")
    out = interpolation(model, x[:n], x[n:2 * n], x[2 * n:3 * n], steps=steps)
    return torch.cat([out.view(n, steps, *out.shape[1:]), x[2 * n:3 * n, None]], 1).flatten(0, 1)


def loss_curves(results: dict, names, seed: int):
    """The logged losses of one seed of each named experiment."""
    hist = {name: results[(name, seed)]["record"]["history"] for name in names}
    return plots.loss_curves(hist, keys=["autoencoder/recon", "autoencoder/kl", "reverse/reverse"],
                             logy=("autoencoder/kl",))


def sprite_colourings(te: dict, n: int) -> dict:
    """The t-SNE colourings of the first ``n`` test sprites: one part of the identity (hair) and one
    unspecified factor (ToySprites' direction; Reed's viewpoint, the cell's index within its action)."""
    from ...data import sprites

    if "direction" in te:  # ToySprites: the generator's factors
        hair = sprites.identity_factors(te["y"][:n])["hair"]
        return {"hair": (hair, list(sprites.HAIRS)), "direction": (te["direction"][:n], list(sprites.DIRECTIONS))}
    hair, view = te["hair"][:n].long(), te["view"][:n].long()
    return {"hair": (hair, [f"hair {k}" for k in range(int(hair.max()) + 1)]),
            "viewpoint": (view, [f"view {k}" for k in range(4)])}


#: the convergence figure's panels: (title, [(metric key, label)])
CURVE_PANELS = (("class read from z (test %)", (("z_test", "z means"), ("zs_test", "z sampled"))),
                ("class read from s (test %)", (("s_test", "s"),)),
                ("swaps judged (%)", (("swap_acc", "class source's digit"), ("swap_leak", "style source's digit"))),
                ("style's share of swap variance (%)", (("style_share", "style share"),)))


def convergence(record: dict, authors_metrics: dict | None = None, paper_z: float | None = None):
    """The long run's curve (``record["curve"]``: iteration -> metrics) on a log axis, one panel per group of
    :data:`CURVE_PANELS`; dotted lines: the authors' checkpoint's values through the same evaluation; the
    paper's z (dashed) on the z panel; a grey line where the learning rate drops."""
    its = sorted(int(k) for k in record["curve"])
    fig, axes = plt.subplots(1, len(CURVE_PANELS), figsize=(3.4 * len(CURVE_PANELS), 3.0), constrained_layout=True)
    drop = record["config"]["lr_drop_at"] * record["config"]["iterations"]
    for ax, (title, series) in zip(axes, CURVE_PANELS):
        for i, (key, label) in enumerate(series):
            colour = f"C{i}"
            ax.plot(its, [record["curve"][str(t)][key] for t in its], "o-", ms=3, color=colour, label=label)
            if authors_metrics is not None and key in authors_metrics:
                ax.axhline(authors_metrics[key], color=colour, ls=":", lw=1)
        if paper_z is not None and series[0][0] == "z_test":
            ax.axhline(paper_z, color="k", ls="--", lw=1, label="paper (z)")
        ax.axvline(drop, color="0.7", lw=1)
        ax.set_xscale("log")
        ax.set_xlabel("iteration")
        ax.set_title(title, fontsize=9)
        if ax is axes[0] and authors_metrics is not None:
            ax.plot([], [], "k:", lw=1, label="authors' checkpoint")
        if len(series) > 1 or ax is axes[0]:
            ax.legend(fontsize=7)
    return fig
