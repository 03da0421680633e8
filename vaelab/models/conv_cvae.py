"""CondVAE and CondVAE-info on 64×64 faces: the CSVAE paper's baselines (Klys et al., NeurIPS'18, CelebA).

The toy chapter's definitions (:mod:`vaelab.models.cvae`: CondVAE, Sohn et al. 2015, encodes q(z | x, y) and
decodes p(x | z, y); CondVAE-info, Creswell et al., arXiv 1711.05175, subtracts ``gamma * BCE(aux(z), y)``
of an auxiliary network trained on ``z.detach()``) on the face networks of :mod:`vaelab.models.conv_vae`,
with y concatenated to the encoder's features and to the decoder's input. Loss: ``beta_recon * MSE`` (mean)
``+ beta_kl * KL(q(z|x,y) || N(0, I))`` (summed over dimensions, averaged over the batch)
``- gamma * BCE(aux(z), y)`` (mean; info only), with the CSVAE's weights so that the four face models differ
only in structure. Deviations:

* latent-subspaces' CelebA "CondVAE" (``condvae_celeba/models/CondVAE.py``) is a product-of-experts
  multimodal VAE (Wu & Goodman 2018); the book keeps the conditional VAE that the CSVAE paper compares with;
* CondVAE-info's reference (IFcVAE-GAN, latent-subspaces' ``cvae_info/scripts/cvae_info.py``) also has an
  image GAN and class losses on the reconstruction, left out as in the toy chapter; gamma = 10, the CSVAE's
  beta4, where the reference's 1 sits beside a per-image summed BCE reconstruction; Adam 3e-4 for both
  networks where it uses RMSprop; the auxiliary network has the CSVAE adversary's shape.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..nets import ConvDecoder, ConvEncoder, xavier_init
from .conv_vae import GaussianHead, to_input
from .cvae import CondVAE


@dataclass
class ConvCondVAEConfig:
    n_labels: int = 7
    z_dim: int = 78           # = the CSVAE's z and w together
    width: int = 64
    dropout: float = 0.04
    beta_recon: float = 10_000.0
    beta_kl: float = 12.8
    info: bool = False        # True: CondVAE-info
    gamma: float = 10.0       # weight of -BCE(aux(z), y) (the CSVAE's beta4)
    lr: float = 3e-4
    kl_reduction = "mean"     # per face (not a field: the weights above are per face already)


class ConvCondVAE(CondVAE):
    """``batch = {"x": (B, 3, 64, 64) uint8, "y": (B, K) float in {0, 1}}``. The loss, the auxiliary step, the
    optimiser steps, latents and reconstruction are the toy model's (:class:`vaelab.models.cvae.CondVAE`) on
    these networks."""

    def __init__(self, cfg: ConvCondVAEConfig | None = None):
        nn.Module.__init__(self)
        self.cfg = c = cfg or ConvCondVAEConfig()
        self.encoder = ConvEncoder(c.width, c.dropout)
        self.head = GaussianHead(self.encoder.out_dim + c.n_labels, c.z_dim, c.dropout)
        self.decoder = ConvDecoder(c.z_dim + c.n_labels, c.width)
        z = c.z_dim
        self.aux = (nn.Sequential(nn.Linear(z, z), nn.ReLU(), nn.Linear(z, z), nn.ReLU(), nn.Linear(z, c.n_labels))
                    if c.info else None)
        xavier_init(self)

    def _check(self, y):
        if y.ndim != 2 or y.shape[1] != self.cfg.n_labels:
            raise ValueError(f"labels y must be (N, {self.cfg.n_labels}); got {tuple(y.shape)}")
        return y.float()

    def encode(self, x, y):
        return self.head(torch.cat([self.encoder(to_input(x)), self._check(y)], 1))

    def decode(self, z, y):
        return self.decoder(torch.cat([z, self._check(y)], 1))

    def loss(self, batch: dict) -> dict:
        return super().loss({**batch, "x": to_input(batch["x"]), "y": batch["y"].float()})

    manipulate = CondVAE.transfer   # keep z (the posterior mean), decode with the new labels

    @torch.no_grad()
    def interpolate(self, x, y, column: int, steps: int = 8):
        """(steps, N, 3, 64, 64): label ``column`` moves from its value to 1 with z kept."""
        z = self.encode(x, y)[0]
        out = []
        for t in torch.linspace(0, 1, steps):
            yt = self._check(y).clone()
            yt[:, column] = (1 - t) * yt[:, column] + t
            out.append(self.decode(z, yt))
        return torch.stack(out)
