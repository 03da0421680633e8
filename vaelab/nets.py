"""Shared building blocks. No losses here (see :mod:`vaelab.losses`)."""
from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn


def mlp(in_dim: int, hidden: int, out_dim: int, n_hidden: int = 2, act=nn.ReLU) -> nn.Sequential:
    """``n_hidden`` Linear+activation layers of width ``hidden``, then a Linear to ``out_dim``."""
    layers, d = [], in_dim
    for _ in range(n_hidden):
        layers += [nn.Linear(d, hidden), act()]
        d = hidden
    layers.append(nn.Linear(d, out_dim))
    return nn.Sequential(*layers)


class GaussianMLP(nn.Module):
    """MLP trunk with two linear heads: the mean and the log-variance of a diagonal Gaussian."""

    def __init__(self, in_dim: int, hidden: int, out_dim: int, n_hidden: int = 2):
        super().__init__()
        self.trunk = mlp(in_dim, hidden, hidden, n_hidden - 1) if n_hidden > 1 else nn.Identity()
        trunk_out = hidden if n_hidden > 1 else in_dim
        self.act = nn.ReLU() if n_hidden > 1 else nn.Identity()
        self.mu = nn.Linear(trunk_out, out_dim)
        self.logvar = nn.Linear(trunk_out, out_dim)

    def forward(self, x: torch.Tensor):
        h = self.act(self.trunk(x))
        return self.mu(h), self.logvar(h)


@contextmanager
def channels_last(*modules: nn.Module):
    """Inside the block the 4-D weights of ``modules`` are laid out channels-last, so their convolutions
    run in that layout (faster on the CPU for ACAI's nets and the face decoders; slower for the ResNet-34
    judge, which is left out). The same numbers up to the rounding of the sums.
    Afterwards every weight is back in the default layout, so saved files are laid out as before."""
    for m in modules:
        m.to(memory_format=torch.channels_last)
    try:
        yield
    finally:
        for m in modules:
            m.to(memory_format=torch.contiguous_format)


def xavier_init(module: nn.Module) -> None:
    """Xavier-normal weights for every Linear/Conv (the CSVAE reference's ``init_params``)."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_normal_(m.weight)  # biases keep PyTorch's default, as the reference


# ------------------------------------------------------------------ the face chapters' conv nets
class ConvBlock(nn.Module):
    """The latent-subspaces CelebA block (``Conv_block``): convolution, LeakyReLU(0.2), Dropout2d (not after
    transposed convolutions), then BatchNorm — in that order, as the reference."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, p: float = 0.04,
                 transpose: bool = False):
        super().__init__()
        conv = nn.ConvTranspose2d if transpose else nn.Conv2d
        self.conv = conv(c_in, c_out, kernel, stride, padding)
        self.act = nn.LeakyReLU(0.2)
        self.drop = nn.Identity() if transpose or p == 0 else nn.Dropout2d(p)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        return self.bn(self.drop(self.act(self.conv(x))))


class ConvEncoder(nn.Module):
    """64×64×3 -> (N, 16·width) features: six stride-2 4×4 :class:`ConvBlock` s of widths
    width·(1, 2, 4, 8, 16, 16), ending on a 1×1 map (the reference's ``block01``…``block06``)."""

    def __init__(self, width: int = 64, p: float = 0.04):
        super().__init__()
        w = [width * m for m in (1, 2, 4, 8, 16, 16)]
        self.blocks = nn.Sequential(*[ConvBlock(c_in, c_out, 4, 2, 1, p) for c_in, c_out in zip([3] + w[:-1], w)])
        self.out_dim = w[-1]

    def forward(self, x):
        return self.blocks(x).flatten(1)


class ConvDecoder(nn.Module):
    """(N, in_dim) -> 64×64×3 in [-1, 1]: Linear+BatchNorm1d+LeakyReLU on the code, then transposed
    :class:`ConvBlock` s 1→4→8→8→16→32→64 of widths width·(4, 4, 2, 2, 1, 1), a 3×3 transposed convolution
    to RGB and Tanh (the reference's ``decoder_zw_to_x`` and ``mu_zw_to_x``)."""

    def __init__(self, in_dim: int, width: int = 64):
        super().__init__()
        self.inp = nn.Sequential(nn.Linear(in_dim, in_dim), nn.BatchNorm1d(in_dim), nn.LeakyReLU(0.2))
        w = width
        spec = [(in_dim, 4 * w, 4, 1, 0), (4 * w, 4 * w, 4, 2, 1), (4 * w, 2 * w, 3, 1, 1), (2 * w, 2 * w, 4, 2, 1),
                (2 * w, w, 4, 2, 1), (w, w, 4, 2, 1)]
        self.blocks = nn.Sequential(*[ConvBlock(*s, transpose=True) for s in spec])
        self.out = nn.ConvTranspose2d(w, 3, 3, 1, 1)

    def forward(self, code):
        h = self.inp(code)
        return torch.tanh(self.out(self.blocks(h.view(len(h), -1, 1, 1))))
