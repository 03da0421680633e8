"""The face judge: a ResNet-34 that reads CelebA's attributes and ToyFaces' nuisance factors off an image.

It scores the face chapters' manipulations: *was the attribute added* (its attribute head on the manipulated
image) and *did anything else change* (its factor head on the input and on the output). It is trained from
scratch, once, on the chapters' 64×64 training images, and shared by every face chapter (``weights/face_judge/``).

* Network: torchvision's ``resnet34`` (``weights=None``) with one logit per attribute and, on ToyFaces, one
  output per factor target; input uint8 images as ``x / 127.5 − 1``.
* Factor targets (:func:`factor_targets`): each factor of :data:`vaelab.data.toyfaces.FACTORS` mapped to
  [0, 1] by its range, the two circular ones (``bg_hue``, ``light_angle``) as (½ + ½ cos, ½ + ½ sin) pairs.
* Blur augmentation: the images it judges are decoded by autoencoders, which blur, and a judge that has seen
  only sharp faces answers "no glasses" for any blurred face; so each training image is blurred with
  probability ``blur_p`` by a Gaussian of standard deviation U(0, ``blur_max``) pixels (:func:`gaussian_blur`).
* Loss: mean binary cross-entropy over attributes plus mean squared error over factor targets; Adam 1e-3.
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


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor, radius: int = 3) -> torch.Tensor:
    """Each image of ``x`` (B, C, H, W) blurred by a normalised Gaussian of its own ``sigma`` (B,) pixels,
    separable, ``2 * radius + 1`` taps, reflected at the borders; sigma 0 leaves the image as it is."""
    B, C, H, W = x.shape
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    s = sigma.to(x.dtype).clamp_min(1e-6).view(B, 1)
    k = torch.exp(-0.5 * (t / s) ** 2)
    k = (k / k.sum(1, keepdim=True)).repeat_interleave(C, 0)           # (B*C, taps)
    y = F.pad(x.reshape(1, B * C, H, W), (radius, radius, radius, radius), mode="reflect")
    y = F.conv2d(y, k.view(B * C, 1, 1, -1), groups=B * C)
    y = F.conv2d(y, k.view(B * C, 1, -1, 1), groups=B * C)
    return y.view(B, C, H, W)


@dataclass
class FaceJudgeConfig:
    attributes: tuple = ()         # attribute names, in the order of the training data's columns
    n_factors: int = 0             # factor targets (14 on ToyFaces, 0 on CelebA)
    lr: float = 1e-3
    blur_p: float = 0.5            # share of training images blurred (0: none)
    blur_max: float = 1.5          # their blur's standard deviation is U(0, blur_max) pixels at 64×64


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

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 -> float [0, 1], a random share blurred (:class:`FaceJudgeConfig`)."""
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x
        c = self.cfg
        if c.blur_p > 0 and c.blur_max > 0:
            pick = torch.rand(len(x), device=x.device) < c.blur_p
            sigma = torch.rand(len(x), device=x.device) * c.blur_max * pick
            x = torch.where(pick.view(-1, 1, 1, 1), gaussian_blur(x, sigma), x)
        return x

    def loss(self, batch: dict) -> dict:
        out = self(self._augment(batch["x"]))
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
        input is taken in [0, 1] (a model's output), uint8 in [0, 255]; channels-last input is read in the
        default layout (channels-last is slower for this ResNet on the CPU, and rounds differently)."""
        was = self.training
        self.eval()
        dev = next(self.parameters()).device
        out = torch.cat([self(x[i:i + batch_size].to(dev).contiguous()).cpu() for i in range(0, len(x), batch_size)])
        self.train(was)
        k = len(self.cfg.attributes)
        return {"attrs": torch.sigmoid(out[:, :k]), "factors": out[:, k:]}

    def attribute_accuracy(self, x: torch.Tensor, attrs: torch.Tensor, reading: dict | None = None) -> dict:
        """Per-attribute test accuracy in % at threshold ½, plus the rate of the commoner value (what a
        judge that always answers it scores): ``{name: (accuracy, majority)}``. ``reading``: :meth:`read` of
        ``x`` when the caller has it already (the ResNet is then not run again)."""
        pred = (self.read(x) if reading is None else reading)["attrs"] > 0.5
        truth = attrs.cpu().bool()
        acc = (pred == truth).float().mean(0) * 100
        rate = truth.float().mean(0)
        majority = torch.maximum(rate, 1 - rate) * 100
        return {n: (float(a), float(m)) for n, a, m in zip(self.cfg.attributes, acc, majority)}
