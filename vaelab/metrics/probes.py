"""Post-hoc probes: classifiers trained on frozen representations.

A probe is trained on the training set's codes and scored on the test set's, so its
accuracy says how much label information a classifier of that capacity can read
off the code. ``hidden=0`` gives a linear (logistic / softmax) probe.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from ..blas import Linear
from ..optim import Adam
from .mi import ba_lower_bound


@dataclass
class ProbeResult:
    accuracy: float      # test accuracy
    mi_bits: float       # Barber–Agakov lower bound on I(label; code), bits, on the test set
    train_accuracy: float
    majority: float      # test accuracy of always predicting the most frequent training label


def _standardise(a, b):
    mu, sd = a.mean(0, keepdim=True), a.std(0, keepdim=True).clamp_min(1e-6)
    return (a - mu) / sd, (b - mu) / sd


def train_probe(z_train, y_train, z_test, y_test, *, hidden: int = 64, steps: int = 500, lr: float = 1e-2,
                weight_decay: float = 0.0, seed: int = 0) -> ProbeResult:
    """Full-batch Adam (:class:`vaelab.optim.Adam`) on standardised codes; labels are integers (N,) or (N, 1)."""
    if len(z_train) != len(y_train) or len(z_test) != len(y_test):
        raise ValueError(f"codes and labels differ in length: train {len(z_train)} vs {len(y_train)}, "
                         f"test {len(z_test)} vs {len(y_test)}")
    y_train, y_test = y_train.reshape(-1).long(), y_test.reshape(-1).long()
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    ztr, zte = _standardise(z_train.float().reshape(len(z_train), -1), z_test.float().reshape(len(z_test), -1))
    gen = torch.Generator().manual_seed(seed)
    d = ztr.shape[1]
    # the products in NumPy's OpenBLAS (vaelab.blas): three times faster than MKL's reproducible branch
    net = Linear(d, n_classes) if hidden == 0 else nn.Sequential(
        Linear(d, hidden), nn.ReLU(), Linear(hidden, hidden), nn.ReLU(), Linear(hidden, n_classes))
    with torch.no_grad():
        for p in net.parameters():  # seeded init, independent of the global RNG
            p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) / max(p.shape[-1], 1) ** 0.5)
    net = net.to(ztr.device)
    opt = Adam(net.parameters(), lr=lr, weight_decay=weight_decay)  # the same bits on every CPU (vaelab.optim)
    with torch.enable_grad():
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(net(ztr), y_train).backward()
            opt.step()
    with torch.no_grad():
        logits_te, logits_tr = net(zte), net(ztr)
    majority = float((y_test == torch.bincount(y_train).argmax()).float().mean())
    return ProbeResult(
        accuracy=float((logits_te.argmax(1) == y_test).float().mean()),
        mi_bits=ba_lower_bound(logits_te, y_test),
        train_accuracy=float((logits_tr.argmax(1) == y_train).float().mean()),
        majority=majority,
    )
