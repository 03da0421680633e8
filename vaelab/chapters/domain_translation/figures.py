"""Figures of the domain-translation chapter: the reference's grids (add, remove, the cross-combination
grid of ``utils.save_imgs``), interpolation of the specific code, and the training curves. Every function
returns the figure it draws; images are shown in [0, 1]."""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from ... import plots
from ...models.domain_translation import to_unit
from . import donors, strongest, truths
from ..shared import from_uint8


def add_remove(model, S: dict, domain: str, names, seed: int, n: int = 10, title: str = ""):
    """Add (B face, its donor, G(E1(b), E2(donor)), truth) and remove (A face, G(E1(a), 0), truth), first
    ``n`` test faces of each domain; the truth rows only on ToyFaces."""
    A, B = S["test"]["a"], S["test"]["b"]
    donor = donors(len(B["x"]), len(A["x"]), seed)
    b, a, d = B["x"][:n], A["x"][:n], A["x"][donor[:n]]
    rows = [from_uint8(b), from_uint8(d), to_unit(model.add_attribute(b, d))]
    labels = ["B face", "donor (A)", "added"]
    if "factors" in A:
        t_add, t_rem = truths(domain, A, B, donor, names)
        rows.append(t_add[:n])
        labels.append("truth")
    rows += [from_uint8(a), to_unit(model.remove_attribute(a))]
    labels += ["A face", "removed"]
    if "factors" in A:
        rows.append(t_rem[:n])
        labels.append("truth")
    return plots.image_rows(rows, labels, title)


def cross_grid(model, S: dict, n_b: int = 8, n_a: int = 6, title: str = ""):
    """The reference's grid: row 0 B faces, column 0 A faces, cell (i, j) = G(E1(b_j), E2(a_i))."""
    A, B = S["test"]["a"], S["test"]["b"]
    grid = to_unit(model.cross_grid(B["x"][:n_b], A["x"][:n_a]))
    grid[0, 0] = 1.0  # a blank corner
    fig, ax = plt.subplots(figsize=(0.85 * (n_b + 1), 0.85 * (n_a + 1) + 0.3))
    ax.imshow(plots.tile(grid.flatten(0, 1), n_b + 1), vmin=0, vmax=1)
    ax.axis("off")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def interpolation(model, S: dict, domain: str, names, n: int = 5, steps: int = 8, title: str = ""):
    """Each row: G(E1(b), t · E2(a)) for t from 0 (the B code) to 1, then the donor a: the first test A face
    that shows the most of the domain's attributes (:func:`strongest`)."""
    A, B = S["test"]["a"], S["test"]["b"]
    k = strongest(domain, A["attrs"], names)
    strips = to_unit(model.interpolate_specific(B["x"][:n], A["x"][k:k + 1].expand(n, -1, -1, -1), steps))
    donor = from_uint8(A["x"][k:k + 1]).expand(n, -1, -1, -1).unsqueeze(1)
    imgs = torch.cat([strips, donor], 1).flatten(0, 1)
    return plots.image_grid(imgs, nrow=steps + 1, title=title, size=0.8)


def training_curves(results: dict, domain: str, seeds):
    """Reconstruction of both domains and the adversarial term per logged iteration, one line per seed."""
    hist = {f"seed {s}": results[(domain, s)]["record"]["history"] for s in seeds if (domain, s) in results}
    return plots.loss_curves(hist, keys=["ae/recon_a", "ae/recon_b", "ae/adv", "disc/acc"],
                             logy=("ae/recon_a", "ae/recon_b"))
