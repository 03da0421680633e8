"""Shared building blocks. No losses here (see :mod:`vaelab.losses`)."""
from __future__ import annotations

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


def xavier_init(module: nn.Module) -> None:
    """Xavier-normal weights for every Linear/Conv (the CSVAE reference's ``init_params``)."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_normal_(m.weight)  # biases keep PyTorch's default, as the reference
