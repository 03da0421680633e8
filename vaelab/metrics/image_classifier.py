"""A small CNN that scores generated images: trained on real images, applied to a model's outputs.

Used by the VAE-playground chapter to judge background transfer on MNIST with backgrounds (one
network for the digit, one for the background style). It is a model in the trainer's sense
(``loss(batch)`` and ``steps()``), so its weights are trained, saved and loaded like any run.

Architecture (LeNet-like, 28x28 grey input): two 3x3 conv layers (32, 64 channels) with ReLU and 2x2
max pooling, a 128-unit hidden layer, dropout 0.25 in training, a linear layer to the classes.
Cross-entropy averaged over the batch; Adam 1e-3.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from ..nets import channels_last
from ..train import Step


@dataclass
class ImageClassifierConfig:
    n_classes: int = 10
    channels: tuple = (32, 64)
    hidden: int = 128
    dropout: float = 0.25
    lr: float = 1e-3
    image: int = 28


class ImageClassifier(nn.Module):
    """``batch = {"x": (B, 1, H, W) in [0, 1], "y": (B,) int}``."""

    def __init__(self, cfg: ImageClassifierConfig = ImageClassifierConfig()):
        super().__init__()
        self.cfg = cfg
        c1, c2 = cfg.channels
        self.features = nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        side = cfg.image // 4
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(c2 * side * side, cfg.hidden), nn.ReLU(),
                                  nn.Dropout(cfg.dropout), nn.Linear(cfg.hidden, cfg.n_classes))

    def forward(self, x):
        """Logits (B, n_classes)."""
        return self.head(self.features(x))

    def loss(self, batch: dict) -> dict:
        ce = F.cross_entropy(self(batch["x"]), batch["y"])
        return {"loss": ce, "ce": ce}

    def steps(self):
        return [Step("clf", self.loss, list(self.parameters()), lr=self.cfg.lr)]

    @torch.no_grad()
    def predict(self, x, batch_size: int = 256) -> torch.Tensor:
        """Class indices (N,), in eval mode, in batches laid out channels-last.

        Small channels-last batches keep the activations in cache and let pooling and ReLU run along the
        channels: faster on the CPU than large batches in the default layout (``benchmarks/evaluation.py``
        measures it). The logits agree with the default layout's to ~1e-7,
        so the classes are the same unless two logits tie to that precision. The weights are back in the
        default layout afterwards."""
        if x.dim() != 4:
            raise ValueError(f"predict takes images (N, C, H, W), got shape {tuple(x.shape)}")
        was = self.training
        self.eval()
        with channels_last(self):
            out = [self(x[i:i + batch_size].contiguous(memory_format=torch.channels_last)).argmax(-1)
                   for i in range(0, len(x), batch_size)]
        self.train(was)
        return torch.cat(out) if out else torch.zeros(0, dtype=torch.long, device=x.device)

    def accuracy(self, x, y) -> float:
        return float((self.predict(x) == y.to(x.device)).float().mean())
