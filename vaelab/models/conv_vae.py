"""The face chapters' convolutional Gaussian VAE: the base model whose convolutions every CelebA model starts from.

The latent-subspaces project (alexlyzhov/latent-subspaces; its slides: "used the same encoder-decoder
architecture and pretrained weights for conv layers in all experiments") trains this VAE first; CSVAE
(:mod:`.conv_csvae`), CondVAE and CondVAE-info (:mod:`.conv_cvae`) copy its convolution weights
(:func:`copy_convolutions`). Architecture as ``condvae_celeba/models/VAE.py`` (``VAE1``) and the CSVAE class of
``csvae_toy/csvae_celeba-val.ipynb`` (:class:`vaelab.nets.ConvEncoder`, :class:`vaelab.nets.ConvDecoder`):
six stride-2 4×4 convolutions down to 1×1, ``VAE1``'s two Gaussian heads, the mirrored decoder with a Tanh.
Images are in [-1, 1]; a batch holds uint8 images, converted as ``x / 127.5 - 1``.

Loss: ``beta_recon * MSE`` (mean over pixels, channels and batch) ``+ beta_kl * KL(q(z|x) || N(0, I))``
(summed over latent dimensions, averaged over the batch). Deviation: ``VAE1`` decodes through a sigmoid to
[0, 1] and averages its KL over dimensions with ``beta = 0.001``; here the CSVAE notebook's [-1, 1] Tanh
output and weights (10000 on the MSE, 12.8 per sample on the KL) are used, so that the VAE and the CSVAE
differ only in structure.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..nets import ConvDecoder, ConvEncoder, xavier_init
from .vae import VAE


def to_input(x: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float [-1, 1]; float input is taken to be in [-1, 1] already."""
    return x.float() / 127.5 - 1.0 if x.dtype == torch.uint8 else x


@dataclass
class ConvVAEConfig:
    z_dim: int = 78           # = the CSVAE's z (64) and w (2 per attribute, 7 attributes)
    width: int = 64           # the CSVAE notebook's KOF
    dropout: float = 0.04     # the reference's p
    beta_recon: float = 10_000.0  # the CSVAE notebook's beta1
    beta_kl: float = 12.8     # its beta3 = 0.1 on a KL summed over a batch of 128, per sample
    lr: float = 3e-4          # the CSVAE notebook's Adam learning rate
    kl_reduction = "mean"     # per face (not a field: the weights above are per face already)


class GaussianHead(nn.Module):
    """``VAE1``'s ``fc1`` (mean, with BatchNorm) and ``fc2`` (log-variance, without)."""

    def __init__(self, in_dim: int, out_dim: int, p: float, hidden: int = 256):
        super().__init__()
        self.mu = nn.Sequential(nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.LeakyReLU(0.2),
                                nn.Dropout(p), nn.Linear(hidden, out_dim))
        self.logvar = nn.Sequential(nn.Linear(in_dim, hidden), nn.LeakyReLU(0.2), nn.Dropout(p),
                                    nn.Linear(hidden, out_dim))

    def forward(self, h):
        return self.mu(h), self.logvar(h)


class ConvVAE(VAE):
    """``batch = {"x": (B, 3, 64, 64) uint8, ...}``; other keys (labels) are ignored. The loss, the optimiser
    step, latents and reconstruction are the toy model's (:class:`vaelab.models.vae.VAE`) on these networks."""

    def __init__(self, cfg: ConvVAEConfig | None = None):
        nn.Module.__init__(self)
        self.cfg = cfg = cfg or ConvVAEConfig()
        self.encoder = ConvEncoder(cfg.width, cfg.dropout)
        self.head = GaussianHead(self.encoder.out_dim, cfg.z_dim, cfg.dropout)
        self.decoder = ConvDecoder(cfg.z_dim, cfg.width)
        xavier_init(self)

    def encode(self, x):
        return self.head(self.encoder(to_input(x)))

    def loss(self, batch: dict) -> dict:
        return super().loss({**batch, "x": to_input(batch["x"])})

    @torch.no_grad()
    def manipulate(self, x, y, y_new, directions: torch.Tensor):
        """Latent arithmetic, the usual way to edit with an unconditional VAE: ``z + (y_new - y) @ directions``,
        where row k of ``directions`` is the mean code of training faces with attribute k minus the mean code
        of those without (:func:`attribute_directions`)."""
        return self.decode(self.encode(x)[0] + (y_new - y).float() @ directions)

    @torch.no_grad()
    def interpolate(self, x, y, column: int, directions: torch.Tensor, steps: int = 8):
        """(steps, N, 3, 64, 64): ``z + t (1 - y_column) directions[column]`` for t from 0 to 1."""
        z = self.encode(x)[0]
        d = (1 - y[:, column:column + 1].float()) * directions[column]
        return torch.stack([self.decode(z + t * d) for t in torch.linspace(0, 1, steps)])


@torch.no_grad()
def attribute_directions(codes: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(K, D): for each label column, mean code where it is 1 minus mean code where it is 0."""
    y = y.bool()
    rows = []
    for k in range(y.shape[1]):
        if y[:, k].all() or not y[:, k].any():
            raise ValueError(f"label column {k} is constant on the faces given: no direction can be estimated")
        rows.append(codes[y[:, k]].mean(0) - codes[~y[:, k]].mean(0))
    return torch.stack(rows)


def copy_convolutions(dst: nn.Module, src: ConvVAE) -> list:
    """Copy the VAE's encoder and decoder tensors (weights and BatchNorm statistics) into ``dst``'s ``encoder``
    and ``decoder`` wherever a tensor's name and shape agree; returns the names copied. The decoder's input
    Linear and its first transposed convolution read the code, so they are copied only where the code has the
    VAE's size; the BatchNorm layers after them normalise as many channels whatever the code, and are copied."""
    copied = []
    for part in ("encoder", "decoder"):
        s, d = getattr(src, part).state_dict(), getattr(dst, part).state_dict()
        for k, v in s.items():
            if k in d and d[k].shape == v.shape:
                d[k] = v.clone()
                copied.append(f"{part}.{k}")
        getattr(dst, part).load_state_dict(d)
    if not copied:
        raise ValueError("copy_convolutions: no layer of the VAE fits the model")
    return copied
