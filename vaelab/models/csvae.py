"""Conditional Subspace VAE (CSVAE).

Klys, Snell, Zemel, "Learning Latent Subspaces in Variational Autoencoders", NeurIPS'18. The latent splits
into z (meant to hold no information about the label y) and w (meant to hold it), with
``log p(x, y, w, z) = log p(x | w, z) + log p(z) + log p_gamma(w | y) + log p(y)``. The model minimises

    m1 = -b1 E_q[log p(x | w, z)] + b2 KL(q(w | x, y) || p(w | y)) + b3 KL(q(z | x) || p(z)) - log p(y)
    m2 =  b4 E_q(z|x) [ sum_y q_delta(y | z) log q_delta(y | z) ]      (negative entropy)

while the adversary q_delta(y | z) maximises ``N = b5 E[log q_delta(y | z)]`` with its own optimiser.

Follows alexlyzhov/latent-subspaces ``csvae_toy/definitions.py`` (class CSVAE) and ``csvae_toy/train.py``:
its networks, b1..b5 = 20, 1, 0.2, 10, 1, Adam at 5e-4 for both optimisers, and its reductions (MSE of the
decoder mean averaged over coordinates and batch; each KL summed over latent dimensions and, with
``kl_reduction="sum"``, over the batch; negentropy and BCE averaged; the constant -log p(y) dropped).
``adversary=False`` is its ``CSVAE_without_delta_net`` ablation. Deviations: its step-wise learning-rate
decay (MultiStepLR at epochs 3^i) is left out; and where it computes both losses from one forward pass, here
each optimiser step draws its own z and the model step sees the adversary just updated, the order of most
adversarial trainers.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from ..losses import bernoulli_negentropy, gaussian_kl, reduce_kl, reparameterize
from ..nets import GaussianMLP, mlp, xavier_init
from ..train import Step


@dataclass
class CSVAEConfig:
    x_dim: int = 3
    y_dim: int = 1
    z_dim: int = 2
    w_dim: int = 2
    hidden: int = 64          # MLP width (the reference used width = latent size; see the chapter)
    n_hidden: int = 2
    beta1: float = 20.0       # reconstruction
    beta2: float = 1.0        # KL(q(w|x,y) || p(w|y))
    beta3: float = 0.2        # KL(q(z|x) || N(0, I))
    beta4: float = 10.0       # negative entropy of the adversary on z
    beta5: float = 1.0        # adversary's BCE (its own optimiser)
    kl_reduction: str = "sum"
    adversary: bool = True    # False: the "without delta net" ablation
    lr: float = 5e-4


class CSVAE(nn.Module):
    def __init__(self, cfg: CSVAEConfig = CSVAEConfig()):
        super().__init__()
        self.cfg = cfg
        self.enc_z = GaussianMLP(cfg.x_dim, cfg.hidden, cfg.z_dim, cfg.n_hidden)                # q(z|x)
        self.enc_w = GaussianMLP(cfg.x_dim + cfg.y_dim, cfg.hidden, cfg.w_dim, cfg.n_hidden)    # q(w|x,y)
        self.prior_w = GaussianMLP(cfg.y_dim, cfg.hidden, cfg.w_dim, cfg.n_hidden)              # p(w|y)
        self.decoder = mlp(cfg.z_dim + cfg.w_dim, cfg.hidden, cfg.x_dim, cfg.n_hidden)          # p(x|w,z)
        self.adversary = mlp(cfg.z_dim, cfg.hidden, cfg.y_dim, cfg.n_hidden) if cfg.adversary else None
        xavier_init(self)

    def encode(self, x, y):
        """((mu_z, logvar_z), (mu_w, logvar_w))"""
        return self.enc_z(x), self.enc_w(torch.cat([x, y], 1))

    def decode(self, z, w):
        return self.decoder(torch.cat([z, w], 1))

    def terms(self, batch: dict) -> dict:
        """Every term of m1 + m2 (unweighted) and the sampled z."""
        x, y = batch["x"], batch["y"]
        (mz, lz), (mw, lw) = self.encode(x, y)
        pm, pl = self.prior_w(y)
        z, w = reparameterize(mz, lz), reparameterize(mw, lw)
        out = {
            "recon": F.mse_loss(self.decode(z, w), x),
            "kl_w": reduce_kl(gaussian_kl(mw, lw, pm, pl), self.cfg.kl_reduction),
            "kl_z": reduce_kl(gaussian_kl(mz, lz), self.cfg.kl_reduction),
        }
        if self.adversary is not None:
            out["negentropy"] = bernoulli_negentropy(self.adversary(z)).mean()
        return out

    def loss(self, batch: dict) -> dict:
        c = self.cfg
        t = self.terms(batch)
        total = c.beta1 * t["recon"] + c.beta2 * t["kl_w"] + c.beta3 * t["kl_z"]
        if "negentropy" in t:
            total = total + c.beta4 * t["negentropy"]
        return {"loss": total, **t}

    def adversary_loss(self, batch: dict) -> dict:
        """N (negated): the adversary's BCE on z sampled from q(z|x), encoder detached."""
        with torch.no_grad():
            mz, lz = self.enc_z(batch["x"])
            z = reparameterize(mz, lz)
        bce = F.binary_cross_entropy_with_logits(self.adversary(z), batch["y"])
        return {"loss": self.cfg.beta5 * bce, "bce": bce}

    def steps(self):
        main = [p for n, p in self.named_parameters() if not n.startswith("adversary.")]
        steps = [Step("model", self.loss, main, lr=self.cfg.lr)]
        if self.adversary is not None:
            steps.insert(0, Step("adversary", self.adversary_loss, list(self.adversary.parameters()),
                                 lr=self.cfg.lr))  # the reference updates the adversary first
        return steps

    @torch.no_grad()
    def latents(self, x, y) -> dict:
        (mz, _), (mw, _) = self.encode(x, y)
        return {"z": mz, "w": mw}

    @torch.no_grad()
    def reconstruct(self, x, y):
        (mz, _), (mw, _) = self.encode(x, y)
        return self.decode(mz, mw)

    @torch.no_grad()
    def transfer(self, x, y, y_new):
        """Keep z, replace w by the mean of the prior p(w | y_new)."""
        mz, _ = self.enc_z(x)
        return self.decode(mz, self.prior_w(y_new)[0])
