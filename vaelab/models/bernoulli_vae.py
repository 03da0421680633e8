"""Gaussian-posterior VAE with a Bernoulli decoder — AVB's baseline on the four-point data.

Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR'14, as the baseline of Mescheder, Nowozin,
Geiger, "Adversarial Variational Bayes", ICML'17 (arXiv 1701.04722), Section 6.1: four one-hot points of R^4
(:mod:`vaelab.data.points`), a 2-D latent, p(z) = N(0, I), q(z|x) = N(mu(x), diag sigma^2(x)) and
p(x|z) = prod_i Bernoulli(x_i; sigmoid(l_i(z))). The loss is the negative ELBO per data point,

    -ELBO(x) = -E_q(z|x)[log p(x|z)] + KL(q(z|x) || p(z)),   KL = 0.5 sum_j (mu_j^2 + sigma_j^2 - log sigma_j^2 - 1)

``recon`` summed over the 4 coordinates with one z per x, ``kl`` over the latent dimensions, both averaged
over the batch. Sizes, loss and optimiser follow gdikov/vae-playground at 545e499 (the ``synthetic_*``
networks of ``networks/architectures.py``, ``losses.py``'s ``VAELossLayer``, ``gaussian_vae.py``; Keras'
Glorot-uniform init, :func:`keras_init`) and its four-point ``launcher.py`` at ba9f806. Deviations:

* the decoder returns logits and the log-likelihood is ``-BCE-with-logits``, where the reference clips
  sigmoid probabilities to [1e-6, 1 - 1e-6]: the same function, stable;
* the reference's ``RMSprop(lr=1e-3)`` (rho 0.9) is written as Adam with betas (0, rho), since the trainer
  builds only Adam: the same update g / (sqrt(v) + eps), except that Adam's bias correction divides v by
  (1 - rho^t), which matters only in the first few dozen steps.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from ..losses import gaussian_kl, reparameterize
from ..nets import GaussianMLP, mlp
from ..train import Step


def keras_init(module: nn.Module) -> None:
    """Keras ``Dense`` defaults for every Linear: Glorot-uniform weights, zero biases."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def bernoulli_log_prob(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log p(x | logits) of independent Bernoullis, summed over the last dimension."""
    return -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)


class BernoulliDecoder(nn.Module):
    """z -> logits of p(x|z): ``n_hidden`` Linear+ReLU layers of width ``hidden``, then a linear layer."""

    def __init__(self, z_dim: int, hidden: int, x_dim: int, n_hidden: int = 2):
        super().__init__()
        self.net = mlp(z_dim, hidden, x_dim, n_hidden)

    def forward(self, z):
        return self.net(z)


@dataclass
class BernoulliVAEConfig:
    x_dim: int = 4                # the four one-hot points of R^4 (launcher.py: data_dim = 4)
    z_dim: int = 2                # latent_dim = 2
    hidden: int = 256             # synthetic_reparametrized_encoder / synthetic_decoder: Dense(256, relu)
    n_hidden: int = 2             # ... two of them, in the encoder and in the decoder
    lr: float = 1e-3              # gaussian_vae.py: RMSprop(lr=1e-3)
    betas: tuple = (0.0, 0.9)     # RMSprop(rho=0.9) as Adam(beta1=0, beta2=rho); see the module docstring


class BernoulliVAE(nn.Module):
    def __init__(self, cfg: BernoulliVAEConfig = BernoulliVAEConfig()):
        super().__init__()
        self.cfg = cfg
        self.encoder = GaussianMLP(cfg.x_dim, cfg.hidden, cfg.z_dim, cfg.n_hidden)  # q(z|x)
        self.decoder = BernoulliDecoder(cfg.z_dim, cfg.hidden, cfg.x_dim, cfg.n_hidden)  # p(x|z)
        keras_init(self)

    # ------------------------------------------------------------------ model
    def encode(self, x):
        """``(mu, logvar)`` of q(z|x), each (batch, z_dim)."""
        return self.encoder(x)

    def decode_logits(self, z):
        """Logits of p(x|z); any leading dimensions."""
        return self.decoder(z)

    def loss(self, batch: dict) -> dict:
        x = batch["x"]
        mu, logvar = self.encode(x)
        logits = self.decode_logits(reparameterize(mu, logvar))
        recon = -bernoulli_log_prob(logits, x).mean()
        kl = gaussian_kl(mu, logvar).sum(1).mean()
        return {"loss": recon + kl, "recon": recon, "kl": kl}

    def steps(self):
        return [Step("vae", self.loss, list(self.parameters()), lr=self.cfg.lr, betas=self.cfg.betas)]

    # ------------------------------------------------------------- evaluation
    def posterior_samples(self, x, n_samples: int = 1):
        """``n_samples`` draws of q(z|x) for each x: (n_samples, batch, z_dim), as :meth:`AVB.posterior_samples`."""
        mu, logvar = self.encode(x)
        return reparameterize(mu.expand((n_samples,) + mu.shape), logvar.expand((n_samples,) + logvar.shape))

    def kl_estimate(self, x, n_samples: int = 1):
        """KL(q(z|x) || p(z)) per data point, (batch,): the closed form (``n_samples`` is not needed; the
        argument matches :meth:`AVB.kl_estimate`, whose KL is the discriminator's estimate)."""
        return self.kl(x)

    def kl(self, x):
        """Closed-form KL(q(z|x) || N(0, I)) per data point, summed over latent dims: (batch,)."""
        mu, logvar = self.encode(x)
        return gaussian_kl(mu, logvar).sum(-1)

    def elbo(self, x, n_samples: int = 1):
        """ELBO per data point, (batch,): E_q[log p(x|z)] estimated with ``n_samples`` draws of z
        (log p summed over coordinates, averaged over the draws) minus the closed-form KL."""
        mu, logvar = self.encode(x)
        eps = torch.randn((n_samples,) + mu.shape, device=mu.device, dtype=mu.dtype)
        z = mu + torch.exp(0.5 * logvar) * eps
        return bernoulli_log_prob(self.decode_logits(z), x).mean(0) - gaussian_kl(mu, logvar).sum(-1)

    @torch.no_grad()
    def latents(self, x, y=None) -> dict:
        """Posterior means."""
        return {"z": self.encode(x)[0]}

    @torch.no_grad()
    def reconstruct(self, x, y=None):
        """Bernoulli probabilities decoded from the posterior mean."""
        return torch.sigmoid(self.decode_logits(self.encode(x)[0]))
