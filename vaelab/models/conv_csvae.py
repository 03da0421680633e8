"""CSVAE on 64×64 faces: the CelebA experiment of Klys, Snell, Zemel (NeurIPS'18).

The toy model's objective (:mod:`vaelab.models.csvae`) with the face networks of :mod:`vaelab.models.conv_vae`,
checked against the CSVAE class and training loop of latent-subspaces' ``csvae_toy/csvae_celeba-val.ipynb``:
its heads on the shared convolutional encoder, its adversary (here a logit, with the BCE taken with logits),
its weights (beta1 = 10000 on the mean MSE, beta4 = 10, beta5 = 1; its beta2 = 0.001 and beta3 = 0.1 on KLs
summed over a batch of 128 become 0.128 and 12.8 per sample, so that the balance does not move with the batch
size), Adam 3e-4 for both optimisers; :meth:`ConvCSVAEConfig.paper` gives the paper's weighting instead. Deviations:

* **w per attribute**, as the paper (the notebook learns one MLP prior of all 40 labels into a 64-d w): 2
  dimensions per attribute with a learned diagonal Gaussian p(w_i | y_i) per value (a label between 0 and 1
  interpolates them), so an edit of attribute i replaces w_i alone;
* the notebook computes every log-variance with the *mean* layer (``z_logvar = self.mu_x_to_z(...)``), a
  bug; here each head has its own layer;
* the order of the updates is the toy model's: each optimiser step draws its own z, and the model step sees
  the adversary just updated.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from ..losses import bernoulli_negentropy, gaussian_kl, reparameterize
from ..nets import ConvDecoder, ConvEncoder, xavier_init
from .conv_vae import to_input
from .csvae import CSVAE


@dataclass
class ConvCSVAEConfig:
    n_labels: int = 7
    z_dim: int = 64           # the notebook's z_dim
    w_per_label: int = 2      # the paper's W_i = R^2
    width: int = 64
    dropout: float = 0.04
    beta1: float = 10_000.0   # reconstruction (MSE, mean)
    beta2: float = 0.128      # KL(q(w|x,y) || p(w|y)), per sample (the notebook's 0.001 over a batch of 128)
    beta3: float = 12.8       # KL(q(z|x) || N(0, I)), per sample (0.1 over a batch of 128)
    beta4: float = 10.0       # the adversary's negative entropy on z (mean over batch and labels)
    beta5: float = 1.0        # the adversary's BCE (its own optimiser)
    lr: float = 3e-4

    @property
    def w_dim(self) -> int:
        return self.n_labels * self.w_per_label

    @classmethod
    def paper(cls, image_values: int = 3 * 64 * 64, **kw) -> "ConvCSVAEConfig":
        """The paper's weighting, b1..b5 = 20, 1, 0.2, 10, 1 (as latent-subspaces' toy code and every other
        reimplementation), on this model's reductions. The paper's betas weigh one datapoint's terms: its squared
        error summed over the image's ``image_values`` values, each KL summed over its dimensions, the negentropy
        and the adversary's log-likelihood summed over the labels (on the images' [-1, 1] scale, as the toy code's
        squared error is on its data's). Here the squared error is averaged over the values and the two adversary
        terms over the labels (the KLs are already per face), so b1 is multiplied by
        ``image_values`` and b4, b5 by ``n_labels``."""
        n = kw.get("n_labels", cls.n_labels)
        return cls(beta1=20.0 * image_values, beta2=1.0, beta3=0.2, beta4=10.0 * n, beta5=1.0 * n, **kw)


class Head(nn.Module):
    """The notebook's encoder heads: ``Linear(in, out)``, ReLU, then a mean and a log-variance layer."""

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(in_dim, out_dim), nn.ReLU())
        self.mu, self.logvar = nn.Linear(out_dim, out_dim), nn.Linear(out_dim, out_dim)

    def forward(self, h):
        h = self.trunk(h)
        return self.mu(h), self.logvar(h)


class ConvCSVAE(CSVAE):
    """``batch = {"x": (B, 3, 64, 64) uint8, "y": (B, K) float in {0, 1}}``. Decoding, the optimiser steps
    (adversary first), latents and reconstruction are the toy model's (:class:`vaelab.models.csvae.CSVAE`)."""

    def __init__(self, cfg: ConvCSVAEConfig | None = None):
        nn.Module.__init__(self)
        self.cfg = c = cfg or ConvCSVAEConfig()
        self.encoder = ConvEncoder(c.width, c.dropout)
        self.enc_z = Head(self.encoder.out_dim, c.z_dim)
        self.enc_w = Head(self.encoder.out_dim + c.n_labels, c.w_dim)
        # p(w_i | y_i): [label, value, dim]
        self.prior_mu = nn.Parameter(torch.zeros(c.n_labels, 2, c.w_per_label))
        self.prior_logvar = nn.Parameter(torch.zeros(c.n_labels, 2, c.w_per_label))
        self.decoder = ConvDecoder(c.z_dim + c.w_dim, c.width)
        z = c.z_dim
        self.adversary = nn.Sequential(nn.Linear(z, z), nn.ReLU(), nn.Linear(z, z), nn.ReLU(), nn.Linear(z, c.n_labels))
        xavier_init(self)
        with torch.no_grad():  # the two values of each attribute start apart (±1 on each of its dimensions)
            self.prior_mu[:, 0].fill_(-1.0)
            self.prior_mu[:, 1].fill_(1.0)

    # ------------------------------------------------------------------ pieces
    def _check(self, y):
        if y.ndim != 2 or y.shape[1] != self.cfg.n_labels:
            raise ValueError(f"labels y must be (N, {self.cfg.n_labels}); got {tuple(y.shape)}")
        return y.float()

    def prior(self, y):
        """(mean, log-variance) of p(w | y), (N, w_dim): each attribute's two Gaussians mixed linearly by y_i."""
        y = self._check(y).unsqueeze(-1)
        mu = (1 - y) * self.prior_mu[:, 0] + y * self.prior_mu[:, 1]
        lv = (1 - y) * self.prior_logvar[:, 0] + y * self.prior_logvar[:, 1]
        return mu.flatten(1), lv.flatten(1)

    def encode(self, x, y):
        """((mu_z, logvar_z), (mu_w, logvar_w))."""
        h = self.encoder(to_input(x))
        return self.enc_z(h), self.enc_w(torch.cat([h, self._check(y)], 1))

    # ------------------------------------------------------------------ losses
    def loss(self, batch: dict) -> dict:
        c = self.cfg
        x, y = to_input(batch["x"]), batch["y"].float()
        (mz, lz), (mw, lw) = self.encode(x, y)
        pm, pl = self.prior(y)
        z, w = reparameterize(mz, lz), reparameterize(mw, lw)
        t = {"recon": F.mse_loss(self.decode(z, w), x),
             "kl_w": gaussian_kl(mw, lw, pm, pl).sum(1).mean(),
             "kl_z": gaussian_kl(mz, lz).sum(1).mean(),
             "negentropy": bernoulli_negentropy(self.adversary(z)).mean()}
        total = c.beta1 * t["recon"] + c.beta2 * t["kl_w"] + c.beta3 * t["kl_z"] + c.beta4 * t["negentropy"]
        return {"loss": total, **t}

    def adversary_loss(self, batch: dict) -> dict:
        with torch.no_grad():
            mz, lz = self.enc_z(self.encoder(to_input(batch["x"])))
            z = reparameterize(mz, lz)
        bce = F.binary_cross_entropy_with_logits(self.adversary(z), batch["y"].float())
        return {"loss": self.cfg.beta5 * bce, "bce": bce}

    # ------------------------------------------------------------------ use
    @torch.no_grad()
    def manipulate(self, x, y, y_new):
        """Keep z and the w_j of the attributes whose label does not change; each changed attribute's w_i
        becomes the mean of p(w_i | y_new_i)."""
        (mz, _), (mw, _) = self.encode(x, y)
        changed = (self._check(y_new) != self._check(y)).repeat_interleave(self.cfg.w_per_label, 1)
        return self.decode(mz, torch.where(changed, self.prior(y_new)[0], mw))

    @torch.no_grad()
    def interpolate(self, x, y, column: int, steps: int = 8):
        """(steps, N, 3, 64, 64): w_column moves linearly from its encoding to the mean of p(w_column | 1)."""
        (mz, _), (mw, _) = self.encode(x, y)
        y1 = self._check(y).clone()
        y1[:, column] = 1.0
        target = self.prior(y1)[0]
        sl = slice(column * self.cfg.w_per_label, (column + 1) * self.cfg.w_per_label)
        out = []
        for t in torch.linspace(0, 1, steps):
            w = mw.clone()
            w[:, sl] = (1 - t) * mw[:, sl] + t * target[:, sl]
            out.append(self.decode(mz, w))
        return torch.stack(out)
