"""Adversarially Constrained Autoencoder Interpolation (ACAI) and the shared convolutional autoencoder.

Berthelot, Raffel, Roy, Goodfellow, "Understanding and Improving Interpolation in Autoencoders via an
Adversarial Regularizer", ICLR'19 (arXiv 1807.07543), Section 2. With encoder f, decoder g, a critic d
and codes z1 = f(x1), z2 = f(x2) of two images,

    x̂_α = g(α z1 + (1 − α) z2),   α ~ U[0, 1/2]
    L_d     = ‖d(x̂_α) − α‖² + ‖d(γ x + (1 − γ) g(f(x)))‖²          (the critic regresses α)
    L_{f,g} = ‖x − g(f(x))‖² + λ ‖d(x̂_α)‖²                         (the AE fools it towards 0)

A new PyTorch implementation of the official TensorFlow code, brain-research/acai at 6f26d685 (``acai.py``,
``lib/layers.py``, ``lib/train.py``, ``lib/data.py``, ``runs/acai.sh``): α = 0.5 − |u − 0.5| per image; the
partner of image i is image B−1−i; the critic is the encoder architecture averaged to one scalar; λ is the
flag ``advweight`` (0.5), γ the flag ``reg`` (0.2); MSEs are means over pixels, channels and batch; two Adams
at 1e-4; the encoder, decoder and ``HeModifiedNormalInitializer(0.2)`` (not He's 2/fan_in) of
``lib/layers.py``; MNIST padded with −1 to 32×32 in [-1, 1] (:func:`mnist32`). Deviations:

* the official two updates run in one ``tf.group``, both at the pre-update weights; here the "ae" step runs
  first and hands its detached reconstructions, interpolants and α to the "critic" step, which so sees
  exactly what the official critic sees;
* the official linear classifier on the latent (``single_layer_classifier``, under ``stop_gradient``), whose
  test accuracy is Table 2's number, trains only when attached (:meth:`ConvAE.attach_latent_classifier`); its
  step runs first, at the weights the AE's step starts from (as in the one ``tf.group``), and never touches the
  AE: the AE trains to the same weights with it or without it;
* PyTorch's Adam adds ε to √v̂, TF1's to √v before bias correction: they differ only while √v ≲ 1e-8.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch import nn
import torch.nn.functional as F

from ..train import Step

LEAK = 0.2  # tf.nn.leaky_relu's default slope, also the initializer's slope (lib/layers.py)
ADAM_BETAS = (0.9, 0.999)  # tf.train.AdamOptimizer defaults


# ------------------------------------------------------------------------------------ initialisation
def he_modified_std(fan_in: int, slope: float = LEAK) -> float:
    """Std of ``HeModifiedNormalInitializer(slope)``: ``1 / sqrt((1 + slope²) · fan_in)``."""
    return 1.0 / math.sqrt((1.0 + slope ** 2) * fan_in)


def official_conv(c_in: int, c_out: int, k: int) -> nn.Conv2d:
    """``tf.layers.conv2d(padding='same', kernel_initializer=HeModifiedNormalInitializer(0.2))``."""
    conv = nn.Conv2d(c_in, c_out, k, padding=k // 2)
    with torch.no_grad():
        conv.weight.normal_(0.0, he_modified_std(c_in * k * k))  # fan_in = prod(kernel shape[:-1])
        conv.bias.zero_()
    return conv


def official_dense(d_in: int, d_out: int) -> nn.Linear:
    """``tf.layers.dense`` with its defaults: Glorot-uniform weights, zero biases."""
    lin = nn.Linear(d_in, d_out)
    nn.init.xavier_uniform_(lin.weight)
    nn.init.zeros_(lin.bias)
    return lin


# -------------------------------------------------------------------------------------- architecture
def _act() -> nn.LeakyReLU:
    """LeakyReLU(0.2) in place: it only ever follows a convolution, whose output nothing else reads, and its
    gradient (slope 1 or 0.2 by the sign) is the same whether it reads the input or the output. The same
    numbers as out of place, in less time on the CPU."""
    return nn.LeakyReLU(LEAK, inplace=True)


def encoder(colors: int, scales: int, depth: int, latent: int) -> nn.Sequential:
    """``lib/layers.py encoder``: (N, colors, H, W) -> (N, latent, H >> scales, W >> scales)."""
    layers, c = [official_conv(colors, depth, 1)], depth
    for s in range(scales):
        w = depth << s
        layers += [official_conv(c, w, 3), _act(), official_conv(w, w, 3), _act(), nn.AvgPool2d(2)]
        c = w
    layers += [official_conv(c, depth << scales, 3), _act(), official_conv(depth << scales, latent, 3)]
    return nn.Sequential(*layers)


def decoder(latent: int, scales: int, depth: int, colors: int) -> nn.Sequential:
    """``lib/layers.py decoder``: (N, latent, h, w) -> (N, colors, h << scales, w << scales), linear output."""
    layers, c = [], latent
    for s in range(scales - 1, -1, -1):
        w = depth << s
        layers += [official_conv(c, w, 3), _act(), official_conv(w, w, 3), _act(),
                   nn.Upsample(scale_factor=2, mode="nearest")]
        c = w
    layers += [official_conv(c, depth, 3), _act(), official_conv(depth, colors, 3)]
    return nn.Sequential(*layers)


def mnist32(images01: torch.Tensor) -> torch.Tensor:
    """MNIST as ``lib/data.py`` feeds it: (N, 1, 28, 28) in [0, 1] -> (N, 1, 32, 32) in [-1, 1],
    padded with 2 pixels of -1 (the background) on every side."""
    return F.pad(images01 * 2.0 - 1.0, (2, 2, 2, 2), value=-1.0)


# -------------------------------------------------------------------------------------------- config
@dataclass
class ConvAEConfig:
    """The flags shared by every official script; defaults = the lines32 run of ``runs/*.sh``."""
    size: int = 32             # image height = width: lines32 and mnist32 are 32×32
    colors: int = 1            # grey images (lines32, mnist32)
    depth: int = 16            # runs/*.sh --depth=16 for lines32 and mnist32 (the scripts' flag default is 64)
    latent: int = 16           # channels of the code: runs/*.sh --latent=16 (mnist32 also --latent=2)
    latent_width: int = 2      # runs/*.sh lines32 --latent_width=2 (code 2×2×16 = 64); mnist32 uses 4
    lr: float = 1e-4           # lib/train.py flag ``lr``
    batch: int = 64            # lib/train.py flag ``batch`` (for runners; the Trainer takes its own)
    total_kimg: int = 1 << 14  # lib/train.py: training length in units of 1024 images

    @property
    def scales(self) -> int:
        """``int(round(log2(width // latent_width)))`` as in every script's ``main``."""
        return int(round(math.log2(self.size // self.latent_width)))

    @property
    def latent_shape(self) -> tuple:
        """(channels, height, width) of the code: ``(latent, size >> scales, size >> scales)``."""
        return (self.latent, self.size >> self.scales, self.size >> self.scales)

    @property
    def latent_dim(self) -> int:
        c, h, w = self.latent_shape
        return c * h * w

    @property
    def iterations(self) -> int:
        """Official number of updates: ``StopAtStepHook(last_step=1 + (total_kimg << 10) // batch)``."""
        return 1 + (self.total_kimg << 10) // self.batch

    @classmethod
    def lines(cls, **kw):
        """``--dataset=lines32 --latent_width=2 --depth=16 --latent=16``."""
        return cls(**{**dict(depth=16, latent=16, latent_width=2), **kw})

    @classmethod
    def mnist(cls, latent: int = 16, **kw):
        """``--dataset=mnist32 --latent_width=4 --depth=16 --latent={2,16}`` (images via :func:`mnist32`)."""
        return cls(**{**dict(depth=16, latent=latent, latent_width=4), **kw})


# ------------------------------------------------------------------------------- the official probe
class LatentClassifier(nn.Module):
    """``lib/classifiers.py single_layer_classifier``: one dense layer from the flattened code to the class
    logits, softmax cross-entropy on one-hot labels (no smoothing, the scripts' default). ``tf.layers.dense``
    initialises the kernel glorot-uniform, U(±√(6 / (fan_in + fan_out))), and the bias at zero; ``generator``
    draws the kernel, so that attaching a classifier leaves the global random stream (the AE's) untouched."""

    def __init__(self, d_in: int, n_classes: int, generator: torch.Generator):
        super().__init__()
        self.dense = nn.utils.skip_init(nn.Linear, d_in, n_classes)  # no draw from the global stream
        bound = math.sqrt(6.0 / (d_in + n_classes))
        with torch.no_grad():
            self.dense.weight.copy_(torch.rand(n_classes, d_in, generator=generator) * 2 * bound - bound)
            self.dense.bias.zero_()

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.dense(code.flatten(1))


# ----------------------------------------------------------------------------------------- base model
class ConvAE(nn.Module):
    """The shared encoder/decoder and the evaluation API of every model of the ACAI paper.

    ``encode(x)`` gives the code (N, *latent_shape) that the official evaluation interpolates,
    ``decode(z)`` the image, ``interpolate(x0, x1, steps)`` the official linear interpolation.
    """

    def __init__(self, cfg: ConvAEConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = encoder(cfg.colors, cfg.scales, cfg.depth, cfg.latent)
        self.decoder = decoder(cfg.latent, cfg.scales, cfg.depth, cfg.colors)
        self._shared = None  # (batch["x"], tensors) handed from the AE step to the adversary's step
        self.latent_classifier = None

    def attach_latent_classifier(self, n_classes: int, seed: int) -> "ConvAE":
        """Train the official latent classifier alongside (``acai.py``: ``single_layer_classifier(
        tf.stop_gradient(encode), ...)``, its own Adam at the scripts' ``lr`` on the AE's batches, which then need
        ``"y"``). Its weights are part of the model's; its class for an image is the argmax of its logits on
        :meth:`probe_code` (``ops.classify_latent``)."""
        training, device = self.training, next(self.parameters()).device
        with torch.no_grad():
            d_in = self.eval().probe_code(torch.zeros(1, self.cfg.colors, self.cfg.size, self.cfg.size,
                                                      device=device)).shape[1]
        self.train(training)
        self.latent_classifier = LatentClassifier(d_in, n_classes, torch.Generator().manual_seed(seed)).to(device)
        return self

    def latent_classifier_loss(self, batch: dict) -> dict:
        """The classifier's softmax cross-entropy on the gradient-stopped code (:meth:`probe_code`)."""
        xent = F.cross_entropy(self.latent_classifier(self.probe_code(batch["x"])), batch["y"])
        return {"loss": xent, "xent": xent}

    def steps(self) -> list:
        """The training steps: the latent classifier's when one is attached, first, so that it reads the code at
        the weights the method's steps start from, then the method's own (:meth:`method_steps`)."""
        if self.latent_classifier is None:
            return self.method_steps()
        mine = list(self.latent_classifier.parameters())
        head = Step("classify_latent", self.latent_classifier_loss, mine, lr=self.cfg.lr, betas=ADAM_BETAS)
        theirs = {id(p) for p in mine}  # a method step over all of self.parameters() leaves the classifier out
        return [head] + [replace(s, params=[p for p in s.params if id(p) not in theirs])
                         for s in self.method_steps()]

    def method_steps(self) -> list:
        raise NotImplementedError

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def ae_params(self) -> list:
        return list(self.encoder.parameters()) + list(self.decoder.parameters())

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    @torch.no_grad()
    def probe_code(self, x: torch.Tensor) -> torch.Tensor:
        """(N, D): what the official ``single_layer_classifier`` reads (``stop_gradient(encode)``)."""
        return self.encode(x).flatten(1)

    @torch.no_grad()
    def evaluation_pass(self, x: torch.Tensor) -> dict:
        """``{"recon": reconstruct(x), "probe": probe_code(x)}`` from one encoder pass, the same numbers."""
        z = self.encode(x)
        return {"recon": self.decode(z), "probe": z.flatten(1)}

    @torch.no_grad()
    def latents(self, x: torch.Tensor, y=None) -> dict:
        """The flattened code, as ``z``."""
        return {"z": self.encode(x).flatten(1)}

    def _codes_for_interpolation(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode(x)

    @torch.no_grad()
    def interpolate(self, x0: torch.Tensor, x1: torch.Tensor, steps: int = 16, chunk: int = 1024) -> torch.Tensor:
        """(N, steps, C, H, W): ``decode((z0·(n−1−i) + z1·i) / (n−1))`` for i = 0..n−1, as
        ``lib/train.py make_sample_grid_and_save`` (step 0 decodes z0, step n−1 decodes z1)."""
        if steps < 2:
            raise ValueError(f"an interpolation needs steps >= 2, got {steps}")
        if x0.shape != x1.shape:
            raise ValueError(f"x0 and x1 must have the same shape, got {tuple(x0.shape)} and {tuple(x1.shape)}")
        z0, z1 = self._codes_for_interpolation(torch.cat([x0, x1])).chunk(2)
        i = torch.arange(steps, device=z0.device, dtype=z0.dtype).view(-1, *([1] * z0.dim()))
        z = ((steps - 1 - i) * z0 + i * z1) / (steps - 1)          # (steps, N, *latent_shape)
        flat = z.reshape(-1, *z0.shape[1:])
        out = torch.cat([self.decode(flat[k:k + chunk]) for k in range(0, len(flat), chunk)])
        return out.view(steps, len(x0), *out.shape[1:]).transpose(0, 1)

    # the AE step hands its detached tensors to the adversary's step of the same iteration, so that
    # both are evaluated at the same weights and noise, as the official single ``tf.group`` update
    def _stash(self, batch: dict, **tensors):
        self._shared = (batch["x"], {k: v.detach() for k, v in tensors.items()})

    def _stashed(self, batch: dict):
        """The AE step's tensors if they were made from this very batch (consumed: freed after use)."""
        shared, self._shared = self._shared, None
        if shared is not None and shared[0] is batch["x"]:
            return shared[1]
        return None


# ---------------------------------------------------------------------------------------------- ACAI
@dataclass
class ACAIConfig(ConvAEConfig):
    advweight: float = 0.5  # λ: weight of ‖d(x̂_α)‖² in the AE loss (acai.py flag ``advweight``)
    reg: float = 0.2        # γ: the critic's "real" input is γ x + (1 − γ) g(f(x)) (acai.py flag ``reg``)
    advdepth: int = 0       # critic depth; 0 means ``depth`` (acai.py: ``FLAGS.advdepth or FLAGS.depth``)


class ACAI(ConvAE):
    """ACAI (``acai.py``): AE step "ae" (L_{f,g}) then critic step "critic" (L_d), both Adam 1e-4."""

    def __init__(self, cfg: ACAIConfig | None = None):
        cfg = cfg or ACAIConfig()
        super().__init__(cfg)
        self.critic_net = encoder(cfg.colors, cfg.scales, cfg.advdepth or cfg.depth, cfg.latent)

    def critic(self, x: torch.Tensor) -> torch.Tensor:
        """d(x): one scalar per image, the mean of the critic encoder's whole output."""
        return self.critic_net(x).mean(dim=(1, 2, 3))

    @staticmethod
    def sample_alpha(n: int, device=None) -> torch.Tensor:
        """α ~ U[0, 1/2] as ``0.5 − |u − 0.5|``, u ~ U[0, 1]: shape (n, 1, 1, 1)."""
        u = torch.rand(n, 1, 1, 1, device=device)
        return 0.5 - (u - 0.5).abs()

    @staticmethod
    def mix(z: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        """α z + (1 − α) z[::-1]: each code mixed with the code of the reversed batch."""
        return alpha * z + (1 - alpha) * z.flip(0)

    def _alpha(self, x, alpha):
        if alpha is None:
            return self.sample_alpha(len(x), x.device)
        return torch.as_tensor(alpha, dtype=x.dtype, device=x.device).expand(len(x)).reshape(-1, 1, 1, 1)

    def _forward(self, x, alpha):
        """(reconstruction g(f(x)), interpolants x̂_α) in one decoder pass."""
        z = self.encode(x)
        ae, decode_mix = self.decode(torch.cat([z, self.mix(z, alpha)])).chunk(2)
        return ae, decode_mix

    def ae_loss(self, batch: dict, alpha=None) -> dict:
        """L_{f,g} = MSE(x, g(f(x))) + advweight · mean_i d(x̂_α,i)²; ``alpha`` (scalar or (N,)) fixes α."""
        x = batch["x"]
        alpha = self._alpha(x, alpha)
        ae, decode_mix = self._forward(x, alpha)
        recon = F.mse_loss(ae, x)
        ae_disc = self.critic(decode_mix).square().mean()
        self._stash(batch, ae=ae, decode_mix=decode_mix, alpha=alpha)
        return {"loss": recon + self.cfg.advweight * ae_disc, "recon": recon, "ae_disc": ae_disc}

    loss = ae_loss

    def critic_terms(self, x, ae, decode_mix, alpha) -> dict:
        """L_d from its inputs: d(x̂_α) regresses α, d(x̂ + reg·(x − x̂)) regresses 0."""
        disc_mix = (self.critic(decode_mix) - alpha.reshape(-1)).square().mean()
        disc_real = self.critic(ae + self.cfg.reg * (x - ae)).square().mean()
        return {"loss": disc_mix + disc_real, "disc_mix": disc_mix, "disc_real": disc_real}

    def critic_loss(self, batch: dict, alpha=None) -> dict:
        """L_d on the AE step's tensors of this iteration (recomputed when there are none or α is given)."""
        x = batch["x"]
        s = self._stashed(batch) if alpha is None else None
        if s is None:
            alpha = self._alpha(x, alpha)
            with torch.no_grad():
                ae, decode_mix = self._forward(x, alpha)
            s = {"ae": ae, "decode_mix": decode_mix, "alpha": alpha}
        return self.critic_terms(x, s["ae"], s["decode_mix"], s["alpha"])

    def method_steps(self) -> list:
        c = self.cfg
        return [Step("ae", self.ae_loss, self.ae_params(), lr=c.lr, betas=ADAM_BETAS),
                Step("critic", self.critic_loss, list(self.critic_net.parameters()), lr=c.lr, betas=ADAM_BETAS)]
