"""Gaussian VAE (Kingma & Welling, ICLR'14) on vectors — the CSVAE toy baseline.

Configured as the VAE column of Klys et al., "Learning Latent Subspaces in Variational Autoencoders"
(NeurIPS'18), toy experiment: the same MLP family and loss weights as the CSVAE it is compared with
(reconstruction ×20, KL ×0.2), and a latent as large as CSVAE's z and w together. Loss (reductions stated):
``beta_recon * MSE`` (mean over coordinates and batch) ``+ beta_kl * KL(q(z|x) || N(0, I))`` (summed over
latent dims; over the batch per ``kl_reduction``).

Checked against alexlyzhov/latent-subspaces ``csvae_toy/definitions.py`` (class VAE). Deviations: the
reference passes the decoder's mean through a sigmoid before the MSE (wrong for swiss-roll coordinates in
[-11, 15]), averages its KL over latent dimensions and weighs reconstruction and KL 1:1; here the decoder is
linear and the KL reduction and weights are CSVAE's, so that the toy models differ only in their structure.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from ..losses import gaussian_kl, reduce_kl, reparameterize
from ..nets import GaussianMLP, mlp, xavier_init
from ..train import Step


@dataclass
class VAEConfig:
    x_dim: int = 3
    z_dim: int = 4            # = dim z + dim w of the CSVAE it is compared with
    hidden: int = 64          # MLP width (the reference used width = latent size; see the chapter)
    n_hidden: int = 2         # hidden layers per MLP, as the reference
    beta_recon: float = 20.0  # CSVAE's beta1
    beta_kl: float = 0.2      # CSVAE's beta3 (the weight of KL on z)
    kl_reduction: str = "sum"  # "sum": over dims and batch, as the reference; "mean": per sample
    lr: float = 5e-4          # Adam, as the reference (1e-3 / 2)


class VAE(nn.Module):
    def __init__(self, cfg: VAEConfig = VAEConfig()):
        super().__init__()
        self.cfg = cfg
        self.encoder = GaussianMLP(cfg.x_dim, cfg.hidden, cfg.z_dim, cfg.n_hidden)
        self.decoder = mlp(cfg.z_dim, cfg.hidden, cfg.x_dim, cfg.n_hidden)
        xavier_init(self)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def loss(self, batch: dict) -> dict:
        x = batch["x"]
        mu, logvar = self.encode(x)
        xr = self.decode(reparameterize(mu, logvar))
        recon = F.mse_loss(xr, x)
        kl = reduce_kl(gaussian_kl(mu, logvar), self.cfg.kl_reduction)
        return {"loss": self.cfg.beta_recon * recon + self.cfg.beta_kl * kl, "recon": recon, "kl": kl}

    def steps(self):
        return [Step("vae", self.loss, list(self.parameters()), lr=self.cfg.lr)]

    @torch.no_grad()
    def latents(self, x, y=None) -> dict:
        """Posterior means; the VAE has one latent, reported as ``z``."""
        return {"z": self.encode(x)[0]}

    @torch.no_grad()
    def reconstruct(self, x, y=None):
        return self.decode(self.encode(x)[0])
