"""Conditional VAE and CondVAE-info, the baselines of the CSVAE paper.

* CondVAE (Sohn, Lee, Yan, NeurIPS'15 / Kingma et al. M2): encoder q(z | x, y), decoder p(x | z, y); the
  decoder is given the label, so z need not carry it. Changing y while keeping z is its attribute transfer.
* CondVAE-info (Creswell et al., "Conditional Autoencoders with Adversarial Information Factorization",
  arXiv 1711.05175): a CondVAE plus an auxiliary network q(y | z) trained to predict the label from z, while
  the encoder is trained to make it fail.

Loss (reductions stated): ``beta_recon * MSE`` (mean over coordinates and batch)
``+ beta_kl * KL(q(z|x,y) || N(0, I))`` (summed over dims; over the batch per ``kl_reduction``)
``- gamma * BCE(aux(z), y)`` (mean; info only); the aux step minimises ``BCE(aux(z.detach()), y)`` (mean)
with its own optimiser. Follows alexlyzhov/latent-subspaces ``cvae_info/scripts/cvae_info.py``
(``vaeLoss -= opts.gamma * auxEncLoss``). Deviations: the toy's MLPs instead of convolutions, no image GAN
term, and Adam at the toy's learning rate for both networks where the reference uses RMSprop.
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
class CondVAEConfig:
    x_dim: int = 3
    y_dim: int = 1
    z_dim: int = 4            # = dim z + dim w of the CSVAE it is compared with
    hidden: int = 64
    n_hidden: int = 2
    beta_recon: float = 20.0
    beta_kl: float = 0.2
    kl_reduction: str = "sum"
    info: bool = False        # True: CondVAE-info (adversarial aux net on z)
    gamma: float = 1.0        # weight of -BCE(aux(z), y) in the model loss (reference default)
    lr: float = 5e-4


class CondVAE(nn.Module):
    def __init__(self, cfg: CondVAEConfig = CondVAEConfig()):
        super().__init__()
        self.cfg = cfg
        self.encoder = GaussianMLP(cfg.x_dim + cfg.y_dim, cfg.hidden, cfg.z_dim, cfg.n_hidden)
        self.decoder = mlp(cfg.z_dim + cfg.y_dim, cfg.hidden, cfg.x_dim, cfg.n_hidden)
        self.aux = mlp(cfg.z_dim, cfg.hidden, cfg.y_dim, cfg.n_hidden) if cfg.info else None
        xavier_init(self)

    def encode(self, x, y):
        return self.encoder(torch.cat([x, y], 1))

    def decode(self, z, y):
        return self.decoder(torch.cat([z, y], 1))

    def _model_params(self):
        return [p for n, p in self.named_parameters() if not n.startswith("aux.")]

    def loss(self, batch: dict) -> dict:
        x, y = batch["x"], batch["y"]
        mu, logvar = self.encode(x, y)
        z = reparameterize(mu, logvar)
        recon = F.mse_loss(self.decode(z, y), x)
        kl = reduce_kl(gaussian_kl(mu, logvar), self.cfg.kl_reduction)
        out = {"recon": recon, "kl": kl}
        total = self.cfg.beta_recon * recon + self.cfg.beta_kl * kl
        if self.aux is not None:
            aux_bce = F.binary_cross_entropy_with_logits(self.aux(z), y)
            total = total - self.cfg.gamma * aux_bce
            out["aux_bce"] = aux_bce
        return {"loss": total, **out}

    def aux_loss(self, batch: dict) -> dict:
        x, y = batch["x"], batch["y"]
        with torch.no_grad():
            mu, logvar = self.encode(x, y)
            z = reparameterize(mu, logvar)
        bce = F.binary_cross_entropy_with_logits(self.aux(z), y)
        return {"loss": bce}

    def steps(self):
        steps = [Step("model", self.loss, self._model_params(), lr=self.cfg.lr)]
        if self.aux is not None:
            steps.append(Step("aux", self.aux_loss, list(self.aux.parameters()), lr=self.cfg.lr))
        return steps

    @torch.no_grad()
    def latents(self, x, y) -> dict:
        return {"z": self.encode(x, y)[0]}

    @torch.no_grad()
    def reconstruct(self, x, y):
        return self.decode(self.encode(x, y)[0], y)

    @torch.no_grad()
    def transfer(self, x, y, y_new):
        """Keep z (posterior mean of q(z|x,y)), decode with the new label."""
        return self.decode(self.encode(x, y)[0], y_new)
