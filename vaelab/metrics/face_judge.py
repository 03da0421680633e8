"""The face judge: a ResNet-34 that reads CelebA's attributes and ToyFaces' nuisance factors off an image.

It scores the face chapters' manipulations: *was the attribute added* (its attribute head on the manipulated
image) and *did anything else change* (its factor head on the input and on the output). It is trained from
scratch on the chapter's own 64×64 training images, once, and its weights are shared by every face chapter
(``weights/face_judge/``).

* **Network**: torchvision's ``resnet34`` (``weights=None``) with one linear output per attribute (a logit)
  and, on ToyFaces, per factor target. Input: uint8 images as ``x / 127.5 − 1``. At 64×64 the stem's
  stride-2 convolution and max pooling leave a 16×16 map and the last stage a 2×2 one before the global
  average pooling.
* **Factor targets** (:func:`factor_targets`): each factor of :data:`vaelab.data.toyfaces.FACTORS` mapped
  to [0, 1] by its range; the two circular ones (``bg_hue``, period 1; ``light_angle``, period 2π) as
  (½ + ½ cos, ½ + ½ sin) pairs, so that 0 and a full turn are the same target. 14 targets in all.
* **Loss**: the mean binary cross-entropy over attributes plus the mean squared error over factor targets
  (both means over the batch and the outputs); Adam 1e-3.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from ..data.toyfaces import FACTORS, RANGES
from ..train import Step

#: circular factors and their period
CIRCULAR = {"bg_hue": 1.0, "light_angle": 2 * math.pi}


def target_names() -> list:
    out = []
    for k in FACTORS:
        out += [f"{k}_cos", f"{k}_sin"] if k in CIRCULAR else [k]
    return out


def factor_targets(factors: dict) -> torch.Tensor:
    """(N, 14) float targets in [0, 1], columns :func:`target_names`."""
    missing = [k for k in FACTORS if k not in factors]
    if missing:
        raise ValueError(f"factor_targets needs every ToyFaces factor; missing {missing}")
    cols = []
    for k in FACTORS:
        v = factors[k].float()
        if k in CIRCULAR:
            ang = 2 * math.pi * v / CIRCULAR[k]
            cols += [0.5 + 0.5 * torch.cos(ang), 0.5 + 0.5 * torch.sin(ang)]
        else:
            lo, hi = RANGES[k]
            cols.append((v - lo) / (hi - lo))
    return torch.stack(cols, 1)


@dataclass
class FaceJudgeConfig:
    attributes: tuple = ()         # attribute names, in the order of the training data's columns
    n_factors: int = 0             # factor targets (14 on ToyFaces, 0 on CelebA)
    lr: float = 1e-3


class FaceJudge(nn.Module):
    """``batch = {"x": (B, 3, 64, 64) uint8, "attrs": (B, K) in {0, 1}[, "targets": (B, T)]}``."""

    def __init__(self, cfg: FaceJudgeConfig):
        super().__init__()
        import torchvision

        if not cfg.attributes:
            raise ValueError("FaceJudgeConfig.attributes must name at least one attribute")
        self.cfg = cfg
        self.net = torchvision.models.resnet34(weights=None, num_classes=len(cfg.attributes) + cfg.n_factors)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float() / 127.5 - 1.0 if x.dtype == torch.uint8 else x * 2.0 - 1.0
        return self.net(x)

    def loss(self, batch: dict) -> dict:
        out = self(batch["x"])
        k = len(self.cfg.attributes)
        bce = F.binary_cross_entropy_with_logits(out[:, :k], batch["attrs"].float())
        res = {"bce": bce}
        total = bce
        if self.cfg.n_factors:
            mse = F.mse_loss(out[:, k:], batch["targets"])
            res["factor_mse"] = mse
            total = total + mse
        return {"loss": total, **res}

    def steps(self):
        return [Step("judge", self.loss, list(self.parameters()), lr=self.cfg.lr)]

    @torch.no_grad()
    def read(self, x: torch.Tensor, batch_size: int = 256) -> dict:
        """``{"attrs": (N, K) probabilities, "factors": (N, T) targets}`` in eval mode, in batches. Float
        input is taken in [0, 1] (a model's output), uint8 in [0, 255]."""
        was = self.training
        self.eval()
        dev = next(self.parameters()).device
        out = torch.cat([self(x[i:i + batch_size].to(dev)).cpu() for i in range(0, len(x), batch_size)])
        self.train(was)
        k = len(self.cfg.attributes)
        return {"attrs": torch.sigmoid(out[:, :k]), "factors": out[:, k:]}

    def attribute_accuracy(self, x: torch.Tensor, attrs: torch.Tensor) -> dict:
        """Per-attribute test accuracy in % at threshold ½, plus the rate of the commoner value (what a
        judge that always answers it scores): ``{name: (accuracy, majority)}``."""
        pred = self.read(x)["attrs"] > 0.5
        truth = attrs.cpu().bool()
        acc = (pred == truth).float().mean(0) * 100
        rate = truth.float().mean(0)
        majority = torch.maximum(rate, 1 - rate) * 100
        return {n: (float(a), float(m)) for n, a, m in zip(self.cfg.attributes, acc, majority)}
