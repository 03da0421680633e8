"""Adversarial Variational Bayes (AVB) with an implicit encoder.

Mescheder, Nowozin, Geiger, "Adversarial Variational Bayes: Unifying Variational Autoencoders and Generative
Adversarial Networks", ICML'17 (arXiv 1701.04722). The encoder is a black box z = f(x, eps), eps ~ N(0, I),
so q(z|x) has no density; a discriminator T(x, z) learns to tell (x, z ~ q(z|x)) from (x, z ~ p(z)),

    max_T  E_pD E_q(z|x) log sigmoid(T(x, z)) + E_pD E_p(z) log(1 - sigmoid(T(x, z)))    (eq. 3)

with optimum T*(x, z) = log q(z|x) - log p(z) (Proposition 1), and the encoder and decoder maximise

    E_pD E_eps [ -T*(x, f(x, eps)) + log p(x | f(x, eps)) ]                             (eq. 4)

in alternating updates (Algorithm 1): step "encdec" (``recon + kl``, ``kl`` = T(x, z), T frozen) then step
"disc" (``bce_q + bce_p``, the encoder frozen), each averaged over the batch. The toy experiment of Section
6.1: four one-hot points of R^4 (:mod:`vaelab.data.points`), a 2-D latent, a Bernoulli decoder.

Sizes, losses and optimisers follow gdikov/vae-playground at 545e499 (``playground/models/avb.py``,
``networks/architectures.py``'s ``synthetic_*`` networks, ``losses.py``; Keras' Glorot-uniform init); its
four-point ``launcher.py`` at ba9f806 uses ``lr_encdec=lr_disc=8e-4`` with batches of 400. Deviations:

* ``disc_linear_features`` (default True): each 256-d feature branch of T ends with a linear layer. The
  reference's end with a ReLU, so T = <f(x), g(z)> >= 0 cannot reach T* where the prior density exceeds the
  posterior's; the linear ending is the dot-product adversary left commented out in the authors' toy
  notebook (LMescheder/AdversarialVariationalBayes, ``notebooks/AVB_toy_example.ipynb``);
* the reference's factor 1 / data_dim on the "encdec" loss is left out: a constant scale leaves Adam's
  update unchanged up to its eps;
* logits throughout (BCE-with-logits, softplus): the reference's sigmoid-then-clipped-BCE has the same value
  but no gradient once |T| > ~16;
* adaptive contrast (Section 4; the reference's ``use_adaptive_contrast``) is not implemented.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from ..nets import mlp
from ..train import Step
from .bernoulli_vae import BernoulliDecoder, bernoulli_log_prob, keras_init


def _branch(in_dim: int, hidden: int, n_hidden: int, linear_out: bool) -> nn.Sequential:
    """``n_hidden`` Linear layers of width ``hidden``, ReLU after each — or after all but the last."""
    if linear_out:
        return mlp(in_dim, hidden, hidden, n_hidden - 1)
    return nn.Sequential(*mlp(in_dim, hidden, hidden, n_hidden - 1), nn.ReLU())


class Discriminator(nn.Module):
    """T(x, z) = <f(2x - 1), g(z)>: two MLP branches of width ``hidden`` and a dot product (logits)."""

    def __init__(self, x_dim: int, z_dim: int, hidden: int = 256, n_hidden: int = 2,
                 linear_features: bool = True):
        super().__init__()
        if n_hidden < 1:
            raise ValueError(f"n_hidden must be >= 1, got {n_hidden}")
        self.fx = _branch(x_dim, hidden, n_hidden, linear_features)
        self.fz = _branch(z_dim, hidden, n_hidden, linear_features)

    def forward(self, x, z):
        """x (..., x_dim), z (..., z_dim) with the same leading dims -> T (...)."""
        return (self.fx(2 * x - 1) * self.fz(z)).sum(-1)


def discriminator_loss(t_q: torch.Tensor, t_p: torch.Tensor) -> dict:
    """Logistic loss of eq. 3 on logits: posterior pairs labelled 1, prior pairs 0; each term averaged."""
    bce_q = F.softplus(-t_q).mean()
    bce_p = F.softplus(t_p).mean()
    return {"loss": bce_q + bce_p, "bce_q": bce_q, "bce_p": bce_p}


@dataclass
class AVBConfig:
    x_dim: int = 4                 # the four one-hot points of R^4
    z_dim: int = 2                 # latent_dim = 2
    noise_dim: int = 4             # avb.py: noise_dim or data_dim
    hidden: int = 256              # synthetic_encoder / synthetic_decoder: Dense(256, relu)
    n_hidden: int = 2              # ... two of them
    disc_hidden: int = 256         # synthetic_discriminator: two Dense(256, relu) per branch
    disc_n_hidden: int = 2
    disc_linear_features: bool = True  # False: the reference's ReLU-ended branches (T >= 0)
    lr_encdec: float = 1e-4        # avb.py: optimiser_params['encdec'] lr
    lr_disc: float = 2e-4          # avb.py: optimiser_params['disc'] lr
    betas: tuple = (0.5, 0.999)    # beta_1 = 0.5 for both; Keras' default beta_2


class AVB(nn.Module):
    def __init__(self, cfg: AVBConfig = AVBConfig()):
        super().__init__()
        self.cfg = cfg
        self.encoder = mlp(cfg.x_dim + cfg.noise_dim, cfg.hidden, cfg.z_dim, cfg.n_hidden)  # z = f(x, eps)
        self.decoder = BernoulliDecoder(cfg.z_dim, cfg.hidden, cfg.x_dim, cfg.n_hidden)    # p(x|z)
        self.disc = Discriminator(cfg.x_dim, cfg.z_dim, cfg.disc_hidden, cfg.disc_n_hidden,
                                  cfg.disc_linear_features)                                 # T(x, z)
        keras_init(self)

    # ------------------------------------------------------------------ model
    def sample_z(self, x):
        """One z = f(x, eps) per row of x (any leading dims), a fresh eps ~ N(0, I) each."""
        eps = torch.randn(x.shape[:-1] + (self.cfg.noise_dim,), device=x.device, dtype=x.dtype)
        return self.encoder(torch.cat([x, eps], -1))

    def encode(self, x, n_samples: int = 1):
        """``n_samples`` draws of q(z|x) for each x: (n_samples, batch, z_dim)."""
        return self.sample_z(x.expand((n_samples,) + x.shape))

    posterior_samples = encode  # the name the Gaussian baseline shares (its ``encode`` gives mu, logvar)

    def decode_logits(self, z):
        """Logits of p(x|z); any leading dimensions."""
        return self.decoder(z)

    def loss(self, batch: dict) -> dict:
        """The "encdec" step: -E[log p(x|z)] + E[T(x, z)], z = f(x, eps)."""
        x = batch["x"]
        z = self.sample_z(x)
        recon = -bernoulli_log_prob(self.decode_logits(z), x).mean()
        kl = self.disc(x, z).mean()
        return {"loss": recon + kl, "recon": recon, "kl": kl}

    def disc_loss(self, batch: dict) -> dict:
        """The "disc" step: logistic loss on (x, z ~ q(z|x)) vs (x, z ~ N(0, I)), encoder frozen."""
        x = batch["x"]
        with torch.no_grad():
            z_q = self.sample_z(x)
        z_p = torch.randn_like(z_q)
        return discriminator_loss(self.disc(x, z_q), self.disc(x, z_p))

    def steps(self):
        encdec = list(self.encoder.parameters()) + list(self.decoder.parameters())
        return [Step("encdec", self.loss, encdec, lr=self.cfg.lr_encdec, betas=self.cfg.betas),
                Step("disc", self.disc_loss, list(self.disc.parameters()), lr=self.cfg.lr_disc,
                     betas=self.cfg.betas)]

    # ------------------------------------------------------------- evaluation
    def kl_estimate(self, x, n_samples: int = 1):
        """E_q(z|x)[T(x, z)] per data point, (batch,): the discriminator's estimate of
        KL(q(z|x) || p(z)), averaged over ``n_samples`` draws of z."""
        z = self.encode(x, n_samples)
        return self.disc(x.expand(z.shape[:-1] + x.shape[-1:]), z).mean(0)

    def elbo(self, x, n_samples: int = 1):
        """ELBO per data point, (batch,): E_q[log p(x|z) - T(x, z)] over ``n_samples`` draws of z
        (log p summed over coordinates)."""
        z = self.encode(x, n_samples)
        xs = x.expand(z.shape[:-1] + x.shape[-1:])
        return (bernoulli_log_prob(self.decode_logits(z), xs) - self.disc(xs, z)).mean(0)

    @torch.no_grad()
    def latents(self, x, y=None) -> dict:
        """One sample of q(z|x) per x (the posterior has no closed-form mean)."""
        return {"z": self.sample_z(x)}

    @torch.no_grad()
    def reconstruct(self, x, y=None):
        """Bernoulli probabilities decoded from one sample of q(z|x)."""
        return torch.sigmoid(self.decode_logits(self.sample_z(x)))
