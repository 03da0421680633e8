"""Loss terms shared by the models, kept apart from the architectures.

Every function returns a per-element or per-sample tensor; the model decides the
reduction and says so in its docstring. Log-variances are used throughout
(``logvar = log sigma^2``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def gaussian_kl(mu_q, logvar_q, mu_p=None, logvar_p=None):
    """KL(N(mu_q, diag e^logvar_q) || N(mu_p, diag e^logvar_p)) per element.

    Closed form: 0.5 * (logvar_p - logvar_q + (e^logvar_q + (mu_q - mu_p)^2) / e^logvar_p - 1).
    With ``mu_p``/``logvar_p`` omitted the prior is N(0, I).
    """
    if mu_p is None:
        mu_p = torch.zeros_like(mu_q)
    if logvar_p is None:
        logvar_p = torch.zeros_like(logvar_q)
    return 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p) ** 2) / logvar_p.exp() - 1.0)


def reduce_kl(kl_elem: torch.Tensor, reduction: str) -> torch.Tensor:
    """Reduce a (batch, dims) KL tensor.

    ``"sum"``: summed over the latent dimensions *and the batch* — what the CSVAE
    reference code computes by building one MultivariateNormal over the flattened
    batch; its weight therefore grows with the batch size.
    ``"mean"``: summed over latent dimensions, averaged over the batch (per-sample KL).
    """
    if reduction == "sum":
        return kl_elem.sum()
    if reduction == "mean":
        return kl_elem.sum(dim=1).mean()
    raise ValueError(f"kl_reduction must be 'sum' or 'mean', got {reduction!r}")


def bernoulli_negentropy(logits: torch.Tensor) -> torch.Tensor:
    """-H(q) = q log q + (1-q) log(1-q) per element for q = sigmoid(logits), computed stably.

    Minimising it maximises the entropy of the predictor, i.e. pushes q towards 1/2.
    """
    q = torch.sigmoid(logits)
    return q * F.logsigmoid(logits) + (1 - q) * F.logsigmoid(-logits)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps, eps ~ N(0, I) (draws from the global torch RNG)."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

