"""Mutual information between a discrete label and a representation.

:func:`ba_lower_bound` is the Barber–Agakov variational bound
``I(Y; Z) >= H(Y) + E[log q(y | z)]``: any classifier q gives a lower bound, tight
when q is the true posterior p(y | z). With q a probe trained on the training codes and
evaluated on held-out test codes, it measures how much label information a probe can
extract from Z. Everything is in bits.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def entropy_bits(labels: torch.Tensor) -> float:
    """Empirical entropy H(Y) of integer labels, in bits."""
    _, counts = torch.unique(labels.reshape(-1), return_counts=True)
    p = counts.double() / counts.sum()
    return float(-(p * torch.log2(p)).sum())


def ba_lower_bound(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """H(Y) - CE(q), in bits, for class logits (N, C) and integer labels (N,).

    Can be negative when the classifier is worse than the label marginal.
    """
    ce_nats = F.cross_entropy(logits.double(), labels.reshape(-1).long())
    return entropy_bits(labels) - float(ce_nats) / math.log(2)
