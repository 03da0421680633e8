"""Content transfer between a set and its subset with a common and a specific encoder.

Press, Galanti, Benaim, Wolf, "Emerging Disentanglement in Auto-Encoder Based Unsupervised Image Content
Transfer", ICLR'19. Domain A holds the images *with* an attribute (e.g. Eyeglasses), domain B those without
it. A common encoder E1, a specific encoder E2, a decoder G and a discriminator D on E1's code:

    x̂_a = G(E1(a), E2(a)),   x̂_b = G(E1(b), 0)
    L_AE = ‖x̂_a − a‖² + ‖x̂_b − b‖² + λ [BCE(D(E1(a)), 0) + BCE(D(E1(b)), 0)]        λ = 0.001
    L_D  = BCE(D(E1(a)), 1) + BCE(D(E1(b)), 0)

Adding the attribute is ``G(E1(b), E2(a))``, removing it ``G(E1(a), 0)``. A new implementation of
oripress/ContentDisentanglement at d3de059 (``models.py``, ``train.py``, ``preprocess.py``), whose code
(not its README, which swaps them) makes E1 the common encoder: networks, MSE and BCE means, the AE step
before the discriminator step, two Adams, gradient clipping and the data transform as there. Deviations:

* 64×64 images: one down and one up stage fewer (the deepest of each network), so the codes stay 2×2;
  ``size=128`` gives the reference's networks exactly (its own ``--resize 64`` would leave a 1×1 code, which
  InstanceNorm sets to zero);
* D outputs a logit and the BCE is taken with logits (``nn.BCELoss`` differs only by clamping logs at −100);
* the discriminator's gradients are clipped at 5 as the reference's code intends: its call clips nothing,
  being given an exhausted generator (``disc_grad_clip=None`` reproduces that);
* ToyFaces' 64×64 images, drawn in CelebA's aligned framing, stand for the reference's crop and resize.

The default ``init="torch0.4"`` re-draws the transposed convolutions with the bound of the reference's PyTorch
0.4 (from the in channels; later versions use the out channels).

Reductions as the reference; the terms are reported unweighted (``adv`` is the sum of the two BCEs before λ).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from ..train import Step

LEAK = 0.2  # models.py: LeakyReLU(0.2) in E1, E2 and D


@dataclass
class ContentConfig:
    size: int = 64                 # image side; the reference's --resize is 128 (64 and 128 supported)
    sep: int = 25                  # channels of the specific code (train.py --sep 25)
    code_channels: int = 512       # common + specific channels: E1 ends on 512 - sep (models.py)
    disc_hidden: int = 512         # D's hidden width (models.py Disc)
    disc_weight: float = 0.001     # λ on the adversarial term (train.py --discweight)
    lr: float = 2e-4               # AE optimiser (train.py --lr)
    disc_lr: float = 2e-4          # discriminator optimiser (train.py --disclr)
    betas: tuple = (0.5, 0.999)    # both optimisers (train.py)
    grad_clip: float | None = 5.0  # clip_grad_norm_(ae_params, 5) (train.py)
    disc_grad_clip: float | None = 5.0  # as the code intends; the reference's call is a no-op (None)
    hflip: bool = True             # RandomHorizontalFlip in train.py's transform
    init: str = "torch0.4"         # "torch0.4" (the reference's PyTorch) or "default" (this PyTorch's)
    batch: int = 32                # per domain (train.py --bs; for runners, the Trainer takes its own)
    iterations: int = 1_250_000    # train.py --iters

    @property
    def stages(self) -> int:
        """Down (and up) stages: the code is 2×2 at every supported size (6 at 128, 5 at 64)."""
        if self.size not in (64, 128):
            raise ValueError(f"ContentConfig.size must be 64 or 128, got {self.size}")
        return int(math.log2(self.size)) - 1

    @property
    def side(self) -> int:
        return self.size >> self.stages  # 2

    @property
    def common_shape(self) -> tuple:
        return (self.code_channels - self.sep, self.side, self.side)

    @property
    def specific_shape(self) -> tuple:
        return (self.sep, self.side, self.side)

    def channels(self) -> dict:
        """Output channels of every stage of E1, E2 and the decoder (models.py, one stage fewer at 64)."""
        c = self.code_channels - self.sep
        e1, e2 = [32, 64, 128, 256, c, c], [32, 64, 128, 128, 128, self.sep]
        dec = [self.code_channels, 256, 128, 64, 32, 3]
        if self.stages == 5:  # drop the deepest stage of each network
            e1, e2, dec = e1[:-1], e2[:3] + e2[4:], dec[1:]
        return {"e1": e1, "e2": e2, "decoder": dec}


# -------------------------------------------------------------------------------------- architecture
def down_stages(channels: list, c_in: int = 3) -> nn.Sequential:
    """Conv 4×4 / stride 2 / padding 1, InstanceNorm, LeakyReLU(0.2) per entry of ``channels``."""
    layers = []
    for c in channels:
        layers += [nn.Conv2d(c_in, c, 4, 2, 1), nn.InstanceNorm2d(c), nn.LeakyReLU(LEAK)]
        c_in = c
    return nn.Sequential(*layers)


def up_stages(c_in: int, channels: list) -> nn.Sequential:
    """ConvTranspose 4×4 / stride 2 / padding 1 + InstanceNorm + ReLU per entry; the last one + Tanh."""
    layers = []
    for i, c in enumerate(channels):
        layers.append(nn.ConvTranspose2d(c_in, c, 4, 2, 1))
        layers += [nn.Tanh()] if i == len(channels) - 1 else [nn.InstanceNorm2d(c), nn.ReLU()]
        c_in = c
    return nn.Sequential(*layers)


def torch04_init_(module: nn.Module) -> None:
    """PyTorch 0.4's default for transposed convolutions: U(±1/√(in_channels·k·k)), weights and biases."""
    for m in module.modules():
        if isinstance(m, nn.ConvTranspose2d):
            bound = 1.0 / math.sqrt(m.in_channels * m.kernel_size[0] * m.kernel_size[1])
            with torch.no_grad():
                m.weight.uniform_(-bound, bound)
                m.bias.uniform_(-bound, bound)


def to_input(x: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float [-1, 1] (ToTensor + Normalize(0.5, 0.5)); float input is returned as is."""
    return x.float() / 127.5 - 1.0 if x.dtype == torch.uint8 else x


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """Model range [-1, 1] -> [0, 1] for display."""
    return ((x + 1.0) / 2.0).clamp(0.0, 1.0)


def domain_data(images: torch.Tensor, has_attribute: torch.Tensor, seed: int = 0) -> dict:
    """``{"a": images with the attribute, "b": without}`` of equal length (the Trainer indexes both
    with one index), each domain tiled by whole random permutations to the larger domain's size, so
    every image of the smaller domain appears equally often (±1). Dtype and device are kept."""
    mask = has_attribute.bool().reshape(-1)
    a, b = images[mask], images[~mask]
    if len(a) == 0 or len(b) == 0:
        raise ValueError(f"both domains need images, got {len(a)} with and {len(b)} without the attribute")
    n = max(len(a), len(b))
    g = torch.Generator().manual_seed(seed)

    def tile(x):
        reps = -(-n // len(x))
        idx = torch.cat([torch.randperm(len(x), generator=g) for _ in range(reps)])[:n]
        return x[idx.to(x.device)]

    return {"a": tile(a), "b": tile(b)}


# -------------------------------------------------------------------------------------------- model
class ContentDisentanglement(nn.Module):
    """E1 (common), E2 (specific), decoder, discriminator on E1's code; steps "ae" then "disc"."""

    def __init__(self, cfg: ContentConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or ContentConfig()
        ch = cfg.channels()
        self.e1 = down_stages(ch["e1"])
        self.e2 = down_stages(ch["e2"])
        self.decoder = up_stages(cfg.code_channels, ch["decoder"])
        c, s = cfg.common_shape[0], cfg.side
        self.disc = nn.Sequential(nn.Flatten(), nn.Linear(c * s * s, cfg.disc_hidden), nn.LeakyReLU(LEAK),
                                  nn.Linear(cfg.disc_hidden, 1))  # logit; the reference's Sigmoid is in the loss
        if cfg.init == "torch0.4":
            torch04_init_(self)
        elif cfg.init != "default":
            raise ValueError(f"init must be 'torch0.4' or 'default', got {cfg.init!r}")
        self._shared = None

    # ------------------------------------------------------------------ codes
    def encode(self, x: torch.Tensor):
        """(common (N, 512−sep, 2, 2), specific (N, sep, 2, 2)); uint8 images are converted."""
        x = to_input(x)
        return self.e1(x), self.e2(x)

    def zero_specific(self, common: torch.Tensor) -> torch.Tensor:
        """The specific code of a B image: zeros (train.py ``B_separate``)."""
        return common.new_zeros(len(common), *self.cfg.specific_shape)

    def decode(self, common: torch.Tensor, specific: torch.Tensor) -> torch.Tensor:
        """G(common ⊕ specific), concatenated along channels; flat (N, C·2·2) codes are accepted too."""
        s = self.cfg.side
        common = common.reshape(len(common), -1, s, s)
        specific = specific.reshape(len(specific), -1, s, s)
        return self.decoder(torch.cat([common, specific], 1))

    def discriminate(self, common: torch.Tensor) -> torch.Tensor:
        """D's logit (N,) that the code comes from domain A (with the attribute)."""
        return self.disc(common).reshape(-1)

    def ae_params(self) -> list:
        return [*self.e1.parameters(), *self.e2.parameters(), *self.decoder.parameters()]

    # ----------------------------------------------------------------- losses
    def _inputs(self, batch: dict):
        """(a, b) in [-1, 1], each image mirrored with probability 1/2 when ``hflip``."""
        a, b = to_input(batch["a"]), to_input(batch["b"])
        if self.cfg.hflip:
            def flip(x):
                m = torch.rand(len(x), 1, 1, 1, device=x.device) < 0.5
                return torch.where(m, x.flip(-1), x)
            a, b = flip(a), flip(b)
        return a, b

    def ae_loss(self, batch: dict) -> dict:
        """L_AE: MSE of both reconstructions + disc_weight · (BCE(D(E1(a)), 0) + BCE(D(E1(b)), 0))."""
        a, b = self._inputs(batch)
        n = len(a)
        common = self.e1(torch.cat([a, b]))          # per-image InstanceNorm: one pass = two passes
        c_b = common[n:]
        specific = torch.cat([self.e2(a), self.zero_specific(c_b)])
        rec_a, rec_b = self.decode(common, specific).split([n, len(b)])
        recon_a, recon_b = F.mse_loss(rec_a, a), F.mse_loss(rec_b, b)
        out = {"recon_a": recon_a, "recon_b": recon_b}
        total = recon_a + recon_b
        if self.cfg.disc_weight > 0:
            logits = self.discriminate(common)
            zeros = torch.zeros_like(logits[:n])
            adv = (F.binary_cross_entropy_with_logits(logits[:n], zeros)
                   + F.binary_cross_entropy_with_logits(logits[n:], torch.zeros_like(logits[n:])))
            total = total + self.cfg.disc_weight * adv
            out["adv"] = adv
        self._shared = (batch["a"], batch["b"], a, b)
        return {"loss": total, **out}

    loss = ae_loss

    def disc_loss(self, batch: dict) -> dict:
        """L_D = BCE(D(E1(a)), 1) + BCE(D(E1(b)), 0) on E1's codes at the current (post-AE-update)
        weights, from the images the AE step of this iteration used (flips included)."""
        shared, self._shared = self._shared, None
        if shared is not None and shared[0] is batch["a"] and shared[1] is batch["b"]:
            a, b = shared[2], shared[3]
        else:
            a, b = self._inputs(batch)
        with torch.no_grad():  # only D's parameters get gradients in this step
            common = self.e1(torch.cat([a, b]))
        logits = self.discriminate(common)
        n = len(a)
        bce_a = F.binary_cross_entropy_with_logits(logits[:n], torch.ones_like(logits[:n]))
        bce_b = F.binary_cross_entropy_with_logits(logits[n:], torch.zeros_like(logits[n:]))
        acc = ((logits[:n] > 0).float().sum() + (logits[n:] <= 0).float().sum()) / len(logits)
        return {"loss": bce_a + bce_b, "bce_a": bce_a, "bce_b": bce_b, "acc": acc}

    def steps(self) -> list:
        c = self.cfg
        steps = [Step("ae", self.ae_loss, self.ae_params(), lr=c.lr, betas=c.betas, grad_clip=c.grad_clip)]
        if c.disc_weight > 0:  # train.py skips the discriminator when --discweight is 0
            steps.append(Step("disc", self.disc_loss, list(self.disc.parameters()), lr=c.disc_lr, betas=c.betas,
                              grad_clip=c.disc_grad_clip))
        return steps

    # ------------------------------------------------------------- evaluation
    @torch.no_grad()
    def latents(self, x: torch.Tensor, y=None) -> dict:
        """Flattened codes: ``{"common": (N, (512−sep)·4), "specific": (N, sep·4)}``."""
        common, specific = self.encode(x)
        return {"common": common.flatten(1), "specific": specific.flatten(1)}

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, has_attribute: bool = True) -> torch.Tensor:
        """As in training: G(E1(x), E2(x)) for A images, G(E1(x), 0) for B images."""
        common, specific = self.encode(x)
        return self.decode(common, specific if has_attribute else self.zero_specific(common))

    @torch.no_grad()
    def add_attribute(self, x_b: torch.Tensor, x_a: torch.Tensor) -> torch.Tensor:
        """G(E1(x_b), E2(x_a)): the content of x_b with the attribute of x_a (one x_a may serve all)."""
        common = self.e1(to_input(x_b))
        specific = self.e2(to_input(x_a))
        return self.decode(common, specific.expand(len(common), *specific.shape[1:]))

    @torch.no_grad()
    def remove_attribute(self, x_a: torch.Tensor) -> torch.Tensor:
        """G(E1(x_a), 0)."""
        common = self.e1(to_input(x_a))
        return self.decode(common, self.zero_specific(common))

    @torch.no_grad()
    def cross_grid(self, xs_b: torch.Tensor, xs_a: torch.Tensor, chunk: int = 256) -> torch.Tensor:
        """(n_a + 1, n_b + 1, 3, H, W), the layout of ``utils.save_imgs``: [0, 0] zeros, row 0 the B
        images, column 0 the A images, [i + 1, j + 1] = G(E1(b_j), E2(a_i)) (a_i's attribute on b_j)."""
        xs_b, xs_a = to_input(xs_b), to_input(xs_a)
        common, specific = self.e1(xs_b), self.e2(xs_a)
        na, nb = len(xs_a), len(common)
        c = common.unsqueeze(0).expand(na, *common.shape).reshape(na * nb, *common.shape[1:])
        s = specific.unsqueeze(1).expand(na, nb, *specific.shape[1:]).reshape(na * nb, *specific.shape[1:])
        out = torch.cat([self.decode(c[k:k + chunk], s[k:k + chunk]) for k in range(0, na * nb, chunk)])
        grid = xs_b.new_zeros(na + 1, nb + 1, *xs_b.shape[1:])
        grid[0, 1:] = xs_b
        grid[1:, 0] = xs_a
        grid[1:, 1:] = out.view(na, nb, *out.shape[1:])
        return grid

    @torch.no_grad()
    def interpolate_specific(self, x_b: torch.Tensor, x_a: torch.Tensor, steps: int = 8) -> torch.Tensor:
        """(N, steps, 3, H, W): G(E1(x_b), t · E2(x_a)) for t = 0, 1/(steps−1), ..., 1 — from the
        attribute removed (the B code 0) to x_a's attribute added. (The reference's ``utils.interpolate``
        cannot be followed: it mixes a code with itself and indexes with the wrong loop variable.)"""
        if steps < 2:
            raise ValueError(f"an interpolation needs steps >= 2, got {steps}")
        common = self.e1(to_input(x_b))
        specific = self.e2(to_input(x_a)).expand(len(common), *self.cfg.specific_shape)
        t = torch.linspace(0, 1, steps, device=common.device, dtype=common.dtype)
        n = len(common)
        c = common.unsqueeze(0).expand(steps, *common.shape).reshape(steps * n, *common.shape[1:])
        s = (t.view(-1, 1, 1, 1, 1) * specific.unsqueeze(0)).reshape(steps * n, *specific.shape[1:])
        out = self.decode(c, s)
        return out.view(steps, n, *out.shape[1:]).transpose(0, 1)
