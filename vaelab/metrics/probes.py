"""Post-hoc probes: classifiers trained on frozen representations.

A probe is trained on the training set's codes and scored on the test set's, so its
accuracy says how much label information a classifier of that capacity can read
off the code. ``hidden=0`` gives a linear (logistic / softmax) probe.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from ..cpu import Adam, Linear
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
    """Full-batch Adam (:class:`vaelab.cpu.Adam`) on standardised codes; labels are integers (N,) or (N, 1)."""
    if len(z_train) != len(y_train) or len(z_test) != len(y_test):
        raise ValueError(f"codes and labels differ in length: train {len(z_train)} vs {len(y_train)}, "
                         f"test {len(z_test)} vs {len(y_test)}")
    y_train, y_test = y_train.reshape(-1).long(), y_test.reshape(-1).long()
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    ztr, zte = _standardise(z_train.float().reshape(len(z_train), -1), z_test.float().reshape(len(z_test), -1))
    gen = torch.Generator().manual_seed(seed)
    d = ztr.shape[1]
    # the products in NumPy's OpenBLAS (vaelab.cpu.Linear): three times faster than MKL's reproducible branch
    net = Linear(d, n_classes) if hidden == 0 else nn.Sequential(
        Linear(d, hidden), nn.ReLU(), Linear(hidden, hidden), nn.ReLU(), Linear(hidden, n_classes))
    with torch.no_grad():
        for p in net.parameters():  # seeded init, independent of the global RNG
            p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) / max(p.shape[-1], 1) ** 0.5)
    net = net.to(ztr.device)
    opt = Adam(net.parameters(), lr=lr, weight_decay=weight_decay)  # the same bits on every CPU (vaelab.cpu.Adam)
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


class Classifier(nn.Module):
    """The cycle-consistent VAE's probe, ``networks.Classifier`` of ananyahjha93/cycle-consistent-vae: the MLP
    the paper's Table 1 trains on z or s to predict the class (its module names, so state dicts match)."""

    def __init__(self, z_dim: int, num_classes: int):
        super().__init__()
        self.fc_model = nn.Sequential(OrderedDict([
            ("fc_1", Linear(z_dim, 256)), ("fc_1_bn", nn.BatchNorm1d(256)), ("LeakyRelu_1", nn.LeakyReLU(0.2)),
            ("fc_2", Linear(256, 256)), ("fc_2_bn", nn.BatchNorm1d(256)), ("LeakyRelu_2", nn.LeakyReLU(0.2)),
            ("fc_3", Linear(256, num_classes)),
        ]))

    def forward(self, z):
        return self.fc_model(z)


def fit_probe(codes_train, y_train, codes_test, y_test, epochs: int = 20, seed: int = 0, *,
              batch_size: int = 64, lr: float = 1e-3, num_classes: int | None = None,
              device="cpu") -> tuple[float, float]:
    """Train :class:`Classifier` on ``codes_train`` (cross-entropy, Adam(lr, betas 0.9/0.999),
    shuffled mini-batches, a last batch of one row dropped for BatchNorm) and return (train accuracy,
    test accuracy), evaluated in eval mode. The reference repository has no classifier-training
    script: epochs, batch size, lr and init (PyTorch's default) are our choices. Deterministic on
    the CPU for a given seed; the global RNG is left untouched. ``device="cuda"`` trains it there (the
    same batches and initial weights): a chapter trained on a GPU evaluates there rather than wait for
    ~3,000 small CPU steps per probe."""
    device = torch.device(device)
    as_x = lambda a: torch.as_tensor(a, dtype=torch.float32).detach().to(device)  # noqa: E731
    as_y = lambda a: torch.as_tensor(a, dtype=torch.long).detach().to(device)  # noqa: E731
    xtr, ytr, xte, yte = as_x(codes_train), as_y(y_train), as_x(codes_test), as_y(y_test)
    k = num_classes or int(max(ytr.max(), yte.max())) + 1
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        clf = Classifier(xtr.shape[1], k).to(device)
        # PyTorch's Adam with a correctly rounded square root (vaelab.cpu.Adam): the same bits on every CPU
        opt = Adam(clf.parameters(), lr=lr, betas=(0.9, 0.999))
        gen = torch.Generator().manual_seed(seed)
        clf.train()
        for _ in range(epochs):
            perm = torch.randperm(len(xtr), generator=gen)
            for i in range(0, len(xtr), batch_size):
                idx = perm[i:i + batch_size].to(device)
                if len(idx) < 2:
                    continue
                loss = F.cross_entropy(clf(xtr[idx]), ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        clf.eval()
        with torch.no_grad():
            acc = [float((clf(x).argmax(1) == y).float().mean()) for x, y in ((xtr, ytr), (xte, yte))]
    return acc[0], acc[1]


def nearest_angle_error(codes_ref, angles_ref, codes, angles) -> float:
    """Mean circular error, in degrees, of reading each of ``codes``' angle off its nearest (Euclidean) code among
    ``codes_ref``, whose angles (radians) are ``angles_ref``. A nonparametric read of how much of a line's angle a
    code still holds, whatever the code's geometry: about 0 where nearby codes mean nearby angles, 90 (the mean
    error of a random guess for angles uniform on the circle) where the code holds nothing of the angle. Ties
    (equal distances, as among identical codes) go to the first reference."""
    ref = torch.as_tensor(codes_ref, dtype=torch.float64).reshape(len(codes_ref), -1)
    qry = torch.as_tensor(codes, dtype=torch.float64).reshape(len(codes), -1)
    a_ref = torch.as_tensor(angles_ref, dtype=torch.float64).reshape(-1)
    a = torch.as_tensor(angles, dtype=torch.float64).reshape(-1)
    if len(ref) != len(a_ref) or len(qry) != len(a):
        raise ValueError(f"codes and angles differ in length: reference {len(ref)} vs {len(a_ref)}, "
                         f"queries {len(qry)} vs {len(a)}")
    if len(ref) == 0 or len(qry) == 0:
        raise ValueError("nearest_angle_error needs at least one reference and one query code")
    if ref.shape[1] != qry.shape[1]:
        raise ValueError(f"reference codes have {ref.shape[1]} numbers, query codes {qry.shape[1]}")
    nearest = torch.cdist(qry, ref).argmin(1)  # argmin returns the first of equal minima
    diff = (a - a_ref[nearest]).remainder(2 * math.pi)
    return float(torch.minimum(diff, 2 * math.pi - diff).mean() * 180 / math.pi)
