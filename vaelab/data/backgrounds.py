"""MNIST digits on patterned backgrounds, for the conjoint (siamese) autoencoders.

After gdikov/vae-playground ``playground/utils/data_factory.py`` (PatternFactory,
CustomMNIST): every pixel where the digit is 0 takes the background's value, the
digit's own pixels are kept. The patterns, 28×28 in [0, 1]:

* ``horizontal`` / ``vertical``: one-pixel stripes, starting with a lit row / column;
* ``checkerboard``: one-pixel checks, lit at (0, 0) (the reference names it ``checker``);
* ``mosaic``: the reference's ``trippy`` pattern (sines and cosines of the outer product of
  the pixel coordinates, three colour channels) converted to grey with the ITU-R 709 weights;
* ``blank``: zeros (the reference's ``black``), i.e. plain MNIST.

As the reference's ``augment``, each digit keeps its place in MNIST and gets a style
drawn uniformly from the requested ones.
"""
from __future__ import annotations

import numpy as np
import torch

from . import mnist

STYLES = ("horizontal", "vertical", "checkerboard", "mosaic", "blank")


def pattern(style: str, size: int = 28) -> np.ndarray:
    """The (size, size) float32 background of ``style`` in [0, 1]."""
    r = np.arange(size)
    if style == "horizontal":
        p = np.repeat(((r + 1) % 2)[:, None], size, 1)
    elif style == "vertical":
        p = np.repeat(((r + 1) % 2)[None, :], size, 0)
    elif style == "checkerboard":
        p = ((r[:, None] + r[None, :] + 1) % 2)
    elif style == "mosaic":
        x = np.arange(-size // 2, size // 2) * 4 * 2 * np.pi / size
        y = x
        xy = np.outer(x, y)
        rgb = np.stack([np.sin(xy * y), np.cos(y) * np.cos(xy), np.cos(xy + np.pi)])
        rgb = (rgb * 128 + 127).astype(np.uint8).astype(np.float64) / 255.0
        p = 0.2125 * rgb[0] + 0.7154 * rgb[1] + 0.0721 * rgb[2]
    elif style == "blank":
        p = np.zeros((size, size))
    else:
        raise ValueError(f"unknown background style {style!r}; choose from {', '.join(STYLES)}")
    return p.astype(np.float32)


def compose(digits: torch.Tensor, style: str) -> torch.Tensor:
    """Put ``digits`` (N, 1, H, W) in [0, 1] on the background ``style``."""
    bg = torch.from_numpy(pattern(style, digits.shape[-1])).to(digits.device)
    return torch.where(digits > 0, digits, bg.expand_as(digits))


def make(split: str = "train", styles=("horizontal", "vertical"), seed: int = 0, n: int | None = None,
         device="cpu", root=None) -> dict:
    """``{"x": (N, 1, 28, 28), "digit": (N,), "background": (N,) index into styles, "styles": styles}``."""
    styles = tuple(styles)
    for s in styles:
        if s not in STYLES:
            raise ValueError(f"unknown background style {s!r}; choose from {', '.join(STYLES)}")
    x, digit = mnist.load(split, root=root)
    if n is not None:
        x, digit = x[:n], digit[:n]
    g = torch.Generator().manual_seed(seed)
    bg = torch.randint(len(styles), (len(x),), generator=g)
    out = x.clone()
    for i, s in enumerate(styles):
        sel = bg == i
        out[sel] = compose(x[sel], s)
    return {"x": out.to(device), "digit": digit.to(device), "background": bg.to(device), "styles": styles}
