"""Two ideas from the seeds' non-variational-autoencoders report, on ACAI's encoder and decoder.

**Latent-transformation autoencoders** (LTAE; "On the Transformation of Latent Space in Autoencoders",
arXiv 1901.08479, not available to this project), after the report authors' reimplementation
(ivanvovk/non-variational-autoencoders, ``ltae/model.py``), itself unverified against the paper: the
flattened code h becomes t = a ⊙ (h + b), a learnable per-dimension scale and shift, trained towards a fixed
target T(h) by an extra MSE term, and noise is added to t before decoding:

* ``LTAE-S``: T(h) = (h − mean(h)) / std(h) per image over the code's dimensions; Gaussian noise of std σ;
* ``LTAE-M``: T(h) = (h − min h) / (max h − min h) over the whole batch; uniform noise on [−σ, σ].

Loss = MSE(g(t + noise), x) + MSE(t, T(h)), σ = 0.01 (its default). ``encode`` returns t without noise.
Deviation: a and b start at 1 and 0 (the reimplementation draws both with ``xavier_normal_``).

**Cross-augmentation** (the report's "augmentation procedure"): with X_aug = t(X), t a rotation by up to
±``max_degrees`` or additive pixel noise of std ``pixel_noise`` drawn per image,
L = MSE(g(f(X)), X) + MSE(g(f(X)), X_aug) + MSE(g(f(X_aug)), X). Our design from the report's formula: the
authors' notebook (``ap/augmentation.ipynb``) instead fine-tunes a trained AE on the cross terms alone, with
one random flip per batch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from ..train import Step
from .acai import ADAM_BETAS, ConvAE, ConvAEConfig


@dataclass
class LTAEConfig(ConvAEConfig):
    target: str = "standard"   # "standard" (LTAE-S) or "minmax" (LTAE-M)
    noise: float = 0.01        # σ: std of the Gaussian (standard) or half-width of the uniform (minmax) noise


def ltae_target(h: torch.Tensor, target: str, eps: float = 1e-6) -> torch.Tensor:
    """T(h) of the module docstring for flattened codes h (N, D)."""
    if target == "standard":
        return (h - h.mean(1, keepdim=True)) / (h.std(1, keepdim=True) + eps)
    if target == "minmax":
        return (h - h.min()) / (h.max() - h.min() + eps)
    raise ValueError(f"LTAE target must be 'standard' or 'minmax', got {target!r}")


class LTAE(ConvAE):
    """LTAE-S / LTAE-M (module docstring): one step "ae", Adam 1e-4 as every model of the chapter."""

    def __init__(self, cfg: LTAEConfig | None = None):
        cfg = cfg or LTAEConfig()
        if cfg.target not in ("standard", "minmax"):
            raise ValueError(f"LTAE target must be 'standard' or 'minmax', got {cfg.target!r}")
        super().__init__(cfg)
        self.scale = nn.Parameter(torch.ones(cfg.latent_dim))
        self.shift = nn.Parameter(torch.zeros(cfg.latent_dim))

    def _transform(self, x: torch.Tensor):
        h = self.encoder(x).flatten(1)
        return h, self.scale * (h + self.shift)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self._transform(x)[1].view(len(x), *self.cfg.latent_shape)

    def noise(self, t: torch.Tensor) -> torch.Tensor:
        if self.cfg.target == "standard":
            return self.cfg.noise * torch.randn_like(t)
        return self.cfg.noise * (2 * torch.rand_like(t) - 1)

    def loss(self, batch: dict) -> dict:
        x = batch["x"]
        h, t = self._transform(x)
        recon = F.mse_loss(self.decode((t + self.noise(t)).view(len(x), *self.cfg.latent_shape)), x)
        transform = F.mse_loss(t, ltae_target(h, self.cfg.target))
        return {"loss": recon + transform, "recon": recon, "transform": transform}

    def method_steps(self) -> list:
        return [Step("ae", self.loss, list(self.parameters()), lr=self.cfg.lr, betas=ADAM_BETAS)]


@dataclass
class CrossAugConfig(ConvAEConfig):
    max_degrees: float = 15.0  # rotation angle ~ U[−max, max] for the images that are rotated
    pixel_noise: float = 0.1   # std of the additive noise for the images that get noise (pixels in [−1, 1])


def augment(x: torch.Tensor, max_degrees: float, pixel_noise: float) -> torch.Tensor:
    """Each image of x (in [−1, 1], background −1) either rotated about its centre by an angle
    ~ U[−max_degrees, max_degrees] (bilinear; the uncovered corners get the background) or given additive
    N(0, pixel_noise²) noise (clipped to [−1, 1]), with probability ½ each."""
    n = len(x)
    angle = (torch.rand(n, device=x.device) * 2 - 1) * math.radians(max_degrees)
    cos, sin = torch.cos(angle), torch.sin(angle)
    zero = torch.zeros_like(cos)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    rotated = F.grid_sample(x + 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False) - 1
    noisy = (x + pixel_noise * torch.randn_like(x)).clamp(-1, 1)
    pick = (torch.rand(n, 1, 1, 1, device=x.device) < 0.5).to(x.dtype)
    return pick * rotated + (1 - pick) * noisy


class CrossAugAE(ConvAE):
    """The plain AE plus the report's cross-augmentation loss (module docstring); one step "ae"."""

    def __init__(self, cfg: CrossAugConfig | None = None):
        super().__init__(cfg or CrossAugConfig())

    def loss(self, batch: dict) -> dict:
        x = batch["x"]
        xa = augment(x, self.cfg.max_degrees, self.cfg.pixel_noise)
        out, out_a = self.decode(self.encode(torch.cat([x, xa]))).chunk(2)
        recon = F.mse_loss(out, x)
        cross = F.mse_loss(out, xa) + F.mse_loss(out_a, x)
        return {"loss": recon + cross, "recon": recon, "cross": cross}

    def method_steps(self) -> list:
        return [Step("ae", self.loss, list(self.parameters()), lr=self.cfg.lr, betas=ADAM_BETAS)]
