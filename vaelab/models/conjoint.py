"""Conjoint (siamese) autoencoders: a Gaussian VAE and an AVB with one shared and two private latents.

No paper (the reference's README: "I couldn't find any reference for the Siamese Autoencoders"); the parts
are Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR'14 (:class:`ConjointVAE`) and Mescheder,
Nowozin, Geiger, "Adversarial Variational Bayes", ICML'17, arXiv 1701.04722 (:class:`ConjointAVB`, see
:mod:`vaelab.models.avb`). A pair ``x0[i]``, ``x1[i]`` shows one MNIST digit on a background of dataset 0
and one of dataset 1 (:func:`paired_data`). The latent is (z0, z1, s): a private code per dataset, a head
on that dataset's features alone, and ONE shared code, a head on the features of both images, so an image
is encoded only together with its partner. Decoder i reads [z_i; s]. The VAE minimises
-log p(x0 | z0, s) - log p(x1 | z1, s) + KL(q(z | x0, x1) || N(0, I)) (sums over pixels and latent
dimensions, mean over the batch); the AVB replaces the KL by T = T_0(x0, [z0; s]) + T_1(x1, [z1; s]), one
discriminator per dataset. :meth:`background_transfer` is the reference's iterative background transfer
(``mnist_background_transfer``; its ``n_iter = 5`` passes are ``iterations=4``).

Follows gdikov/vae-playground at 545e499 (read; Keras/TF not run): ``playground/models/networks/``,
``losses.py``, ``gaussian_vae.py``, ``avb.py`` and ``experiments/conjoint_experiments.py``
(``mnist_variations_two``). Deviations:

* logits and BCE-with-logits instead of clipped sigmoid probabilities: the same function, stable;
* Keras' channels-last reshapes are written channels-first (a fixed permutation of a learned layer's units);
* AVB: the reference's 1/1568 loss scale is left out and the discriminator branches end linearly
  (``disc_linear_features``), both as in :mod:`vaelab.models.avb`;
* AVB noise: the reference adds ``Dense(1)(eps)`` to every pixel, a layer created inside a Keras ``Lambda``
  and so never trained; ``noise_proj="reference"`` keeps it as fixed random buffers, ``"learned"`` trains
  a Linear(64, 784) per dataset (the evident intent);
* the reference's three discriminator updates per batch share one Adam; the trainer takes one optimiser per
  step, so here they are steps ``disc``, ``disc2``, ``disc3`` with an Adam each.

Random draws, in this order (tests rely on it): VAE ``loss``: one eps (B, p0 + p1 + s) for [z0, z1, s]. AVB
posterior: eps0, then eps1 (B, noise_dim); "disc" then draws the prior c (B, max(p0, p1) + s), or z0, z1, s
in turn when not shared.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from ..data import backgrounds
from ..losses import gaussian_kl, reparameterize
from ..train import Step
from .avb import Discriminator, discriminator_loss
from .bernoulli_vae import bernoulli_log_prob, keras_init

#: mnist_variations_two's ``dataset_pairs``: dataset 0 = horizontal / trippy, dataset 1 = vertical / black
DATASET_STYLES = (("horizontal", "mosaic"), ("vertical", "blank"))
IMAGE = 28


def paired_data(split: str = "train", n: int | None = None, styles=DATASET_STYLES, seeds=(0, 1),
                device="cpu", root=None) -> dict:
    """``{"x0", "x1", "digit", "background0", "background1"}``: every MNIST digit of ``split`` (in MNIST
    order) on a background drawn from ``styles[0]`` and, independently, from ``styles[1]`` -- the
    reference's ``CustomMNIST.augment`` per dataset, paired by index (``grouping_mode='by_pairs'``)."""
    a = backgrounds.make(split, styles[0], seeds[0], n, device, root)
    b = backgrounds.make(split, styles[1], seeds[1], n, device, root)
    return {"x0": a["x"], "x1": b["x"], "digit": a["digit"], "background0": a["background"],
            "background1": b["background"]}


# ------------------------------------------------------------------------------------------ layers
def _same_pad(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF's 'same' padding of one axis: (before, after), the odd pixel after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow's ``padding='same'`` (output = ceil(input / stride), asymmetric pad)."""

    def forward(self, x):
        (t, b), (l, r) = (_same_pad(x.shape[-2], self.kernel_size[0], self.stride[0]),
                          _same_pad(x.shape[-1], self.kernel_size[1], self.stride[1]))
        return self._conv_forward(F.pad(x, (l, r, t, b)), self.weight, self.bias)


class SameConvTranspose2d(nn.ConvTranspose2d):
    """ConvTranspose2d with TensorFlow's ``padding='same'`` (output = input * stride): the full
    transposed convolution cropped by the 'same' padding of the convolution it transposes."""

    def forward(self, x):
        y = super().forward(x)  # padding 0: (n - 1) * s + k per axis
        h, w = x.shape[-2] * self.stride[0], x.shape[-1] * self.stride[1]
        t = (y.shape[-2] - h) // 2
        l = (y.shape[-1] - w) // 2
        return y[..., t:t + h, l:l + w]


class FeatureNet(nn.Module):
    """``mnist_conjoint_encoder``: 2x - 1, Conv(5x5, /2, same, relu) x3, flatten, Dense(hidden, relu)."""

    def __init__(self, filters=(64, 128, 256), hidden: int = 800, kernel: int = 5):
        super().__init__()
        layers, c, size = [], 1, IMAGE
        for f in filters:
            layers += [SameConv2d(c, f, kernel, stride=2), nn.ReLU()]
            c, size = f, math.ceil(size / 2)
        self.conv = nn.Sequential(*layers)
        self.fc = nn.Linear(c * size * size, hidden)

    def forward(self, x):
        """x (B, 1, 28, 28) -> (B, hidden)."""
        return F.relu(self.fc(self.conv(2 * x - 1).flatten(1)))


class ConvDecoder(nn.Module):
    """``mnist_decoder`` + the conjoint decoder's output layer: z -> logits (B, 1, 28, 28)."""

    def __init__(self, z_dim: int, hidden: int = 200, proj: tuple = (32, 4, 4), kernel: int = 5):
        super().__init__()
        depth, h, w = proj
        self.proj_shape = proj
        self.fc = nn.Linear(z_dim, hidden)
        self.proj = nn.Linear(hidden, depth * h * w)  # linear, then viewed as (depth, h, w)
        chans = [depth, min(32, depth // 2)] + [max(1, depth // 2 ** (i + 1)) for i in (1, 2)]
        self.deconv = nn.Sequential(*[m for i in range(3) for m in
                                      (SameConvTranspose2d(chans[i], chans[i + 1], kernel, stride=2), nn.ReLU())])
        self.conv = nn.Conv2d(chans[-1], 1, kernel)  # 'valid'
        side = h * 8 - kernel + 1
        if side != IMAGE or w != h:
            raise ValueError(f"proj {proj} with kernel {kernel} gives {side}x{side} images, not {IMAGE}x{IMAGE}")
        self.out = nn.Linear(side * side, side * side)  # Dense(784, sigmoid): logits here

    def forward(self, z):
        h = F.relu(self.fc(z))
        h = self.proj(h).view(-1, *self.proj_shape)
        h = F.relu(self.conv(self.deconv(h)))
        return self.out(h.flatten(1)).view(-1, 1, IMAGE, IMAGE)


def keras_init_all(module: nn.Module) -> None:
    """Keras defaults for every Linear, Conv2d and ConvTranspose2d: Glorot-uniform kernels, zero biases."""
    keras_init(module)
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def _recon(logits, x):
    """-log p(x | logits) summed over the pixels, averaged over the batch."""
    return -bernoulli_log_prob(logits.flatten(1), x.flatten(1)).mean()


# -------------------------------------------------------------------------------------- the models
@dataclass
class ConjointVAEConfig:
    latent_dims: tuple = (2, 2, 2)        # (private 0, private 1, shared): conjoint_experiments.py
    conv_filters: tuple = (64, 128, 256)  # mnist_conjoint_encoder: deflating_convolution, n_filters_init=64
    enc_hidden: int = 800                 # ... Dense(800, relu)
    dec_hidden: int = 200                 # mnist_decoder: Dense(200, relu)
    dec_proj: tuple = (32, 4, 4)          # ... projection_space_shape=(4, 4, 32), channels first here
    kernel: int = 5                       # every (transposed) convolution: 5x5
    lr: float = 7e-4                      # mnist_variations_two / _one: {'lr': 0.0007, 'beta_1': 0.5}
    betas: tuple = (0.5, 0.999)           # beta_2: Keras' default


class _Conjoint(nn.Module):
    """Feature networks, decoders and everything that does not depend on the posterior's kind."""

    def _build(self, cfg):
        p0, p1, s = cfg.latent_dims
        self.features = nn.ModuleList([FeatureNet(cfg.conv_filters, cfg.enc_hidden, cfg.kernel) for _ in range(2)])
        self.decoders = nn.ModuleList([ConvDecoder(p + s, cfg.dec_hidden, cfg.dec_proj, cfg.kernel)
                                       for p in (p0, p1)])

    @staticmethod
    def _which(which):
        if which not in (0, 1):
            raise ValueError(f"which must be 0 or 1, got {which!r}")
        return which

    def encode_pair(self, x0, x1, sample: bool = True) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, x, which: int, x_other, sample: bool = True) -> dict:
        """``{"shared", "private"}`` of dataset ``which`` for the pair (x in slot ``which``, ``x_other`` in
        the other). The shared code is a function of both images (see the module docstring)."""
        w = self._which(which)
        codes = self.encode_pair(*((x, x_other) if w == 0 else (x_other, x)), sample=sample)
        return {"shared": codes["shared"], "private": codes[f"private{w}"]}

    def decode_logits(self, shared, private, which: int):
        """Logits of p(x_which | z_which, s), (B, 1, 28, 28)."""
        return self.decoders[self._which(which)](torch.cat([private, shared], -1))

    def decode(self, shared, private, which: int):
        """Bernoulli probabilities of p(x_which | z_which, s), (B, 1, 28, 28)."""
        return torch.sigmoid(self.decode_logits(shared, private, which))

    @torch.no_grad()
    def reconstruct(self, x0, x1, sample: bool = True):
        """(x0_hat, x1_hat): probabilities decoded from one code of the pair (a sample by default, as the
        reference's ``reconstruct``)."""
        c = self.encode_pair(x0, x1, sample=sample)
        return self.decode(c["shared"], c["private0"], 0), self.decode(c["shared"], c["private1"], 1)

    @torch.no_grad()
    def latents(self, x0, x1, sample: bool = True) -> dict:
        """``{"private0", "private1", "shared"}`` of the pairs."""
        return self.encode_pair(x0, x1, sample=sample)

    @torch.no_grad()
    def background_transfer(self, x_source, x_target_style, which_target: int = 1, iterations: int = 4,
                            sample: bool = True, return_all: bool = False):
        """The reference's iterative background transfer (module docstring): the source digit
        ``x_source`` (dataset ``1 - which_target``) stays the partner input; the target input starts
        as ``x_target_style`` (a background of dataset ``which_target``, (B or 1, 1, 28, 28)) and is
        replaced by its reconstruction ``x^(k) = D_t(encode(x_source, x^(k-1)))`` after every pass.
        Returns x^(iterations) (``iterations=0``: the plain cross reconstruction), or with
        ``return_all`` all of x^(0) .. x^(iterations) stacked, (iterations + 1, B, 1, 28, 28)."""
        t = self._which(which_target)
        if iterations < 0:
            raise ValueError(f"iterations must be >= 0, got {iterations}")
        x = x_target_style.expand_as(x_source) if x_target_style.shape[0] == 1 else x_target_style
        out = []
        for _ in range(iterations + 1):
            c = self.encode(x, t, x_source, sample=sample)
            x = self.decode(c["shared"], c["private"], t)
            out.append(x)
        return torch.stack(out) if return_all else out[-1]


class ConjointVAE(_Conjoint):
    """Two Gaussian-posterior VAEs with private codes z0, z1 and one shared code s (module docstring)."""

    def __init__(self, cfg: ConjointVAEConfig = ConjointVAEConfig()):
        super().__init__()
        self.cfg = cfg
        p0, p1, s = cfg.latent_dims
        self._build(cfg)
        h = cfg.enc_hidden
        self.private_mu = nn.ModuleList([nn.Linear(h, p) for p in (p0, p1)])      # enc_mean_i
        self.private_logvar = nn.ModuleList([nn.Linear(h, p) for p in (p0, p1)])  # enc_log_var_i
        self.shared_mu = nn.Linear(2 * h, s)                                      # enc_shared_mean
        self.shared_logvar = nn.Linear(2 * h, s)                                  # enc_shared_log_var
        keras_init_all(self)

    def posterior(self, x0, x1):
        """(mu, logvar) of q(z | x0, x1), each (B, p0 + p1 + s) in the order [z0, z1, s]."""
        f = [net(x) for net, x in zip(self.features, (x0, x1))]
        fs = torch.cat(f, -1)
        mu = torch.cat([self.private_mu[0](f[0]), self.private_mu[1](f[1]), self.shared_mu(fs)], -1)
        lv = torch.cat([self.private_logvar[0](f[0]), self.private_logvar[1](f[1]), self.shared_logvar(fs)], -1)
        return mu, lv

    def _split(self, z) -> dict:
        p0, p1, s = self.cfg.latent_dims
        return dict(zip(("private0", "private1", "shared"), z.split([p0, p1, s], -1)))

    def encode_pair(self, x0, x1, sample: bool = True) -> dict:
        """``{"private0", "private1", "shared"}``: one sample mu + e^(logvar/2) eps (one eps of all 6 dims,
        as the reference's inference model), or the means with ``sample=False``."""
        mu, lv = self.posterior(x0, x1)
        return self._split(reparameterize(mu, lv) if sample else mu)

    def loss(self, batch: dict) -> dict:
        x0, x1 = batch["x0"], batch["x1"]
        mu, lv = self.posterior(x0, x1)
        z = self._split(reparameterize(mu, lv))
        recon0 = _recon(self.decode_logits(z["shared"], z["private0"], 0), x0)
        recon1 = _recon(self.decode_logits(z["shared"], z["private1"], 1), x1)
        kl = gaussian_kl(mu, lv).sum(-1).mean()
        return {"loss": recon0 + recon1 + kl, "recon0": recon0, "recon1": recon1, "kl": kl}

    def steps(self):
        return [Step("vae", self.loss, list(self.parameters()), lr=self.cfg.lr, betas=self.cfg.betas)]


@dataclass
class ConjointAVBConfig(ConjointVAEConfig):
    noise_dim: int = 64                 # mnist_variations_two: noise_dim=64
    noise_proj: str = "reference"       # 'add' mode: "reference" = fixed random Dense(64 -> 1);
                                        # "learned" = Linear(64, 784)
    disc_hidden: int = 512              # mnist_discriminator_simple: Dense(512, relu) ...
    disc_n_hidden: int = 4              # ... four per branch
    disc_linear_features: bool = True   # False: the reference's ReLU-ended branches (T >= 0)
    share_prior_draw: bool = True       # ConjointDiscriminator: one N(0, I) draw sliced for both T_i
    lr: float = 1e-3                    # 'encdec': {'lr': 0.001, 'beta_1': 0.5}
    lr_disc: float = 1e-3               # 'disc': {'lr': 0.001, 'beta_1': 0.5}
    disc_repetitions: int = 3           # schedule={'iter_disc': 3, 'iter_encdec': 1}


class ConjointAVB(_Conjoint):
    """The conjoint autoencoder with AVB's implicit encoders z = f(x0, x1, eps0, eps1) and one
    discriminator per dataset, T = T_0(x0, [z0; s]) + T_1(x1, [z1; s]) (module docstring)."""

    def __init__(self, cfg: ConjointAVBConfig = ConjointAVBConfig()):
        super().__init__()
        if cfg.noise_proj not in ("reference", "learned"):
            raise ValueError(f"noise_proj must be 'reference' or 'learned', got {cfg.noise_proj!r}")
        if cfg.disc_repetitions < 1:
            raise ValueError(f"disc_repetitions must be >= 1, got {cfg.disc_repetitions}")
        self.cfg = cfg
        p0, p1, s = cfg.latent_dims
        self._build(cfg)
        h = cfg.enc_hidden
        self.private = nn.ModuleList([nn.Linear(h, p) for p in (p0, p1)])  # enc_latent_private_i
        self.shared = nn.Linear(2 * h, s)                                  # enc_shared_latent
        if cfg.noise_proj == "learned":
            self.noise = nn.ModuleList([nn.Linear(cfg.noise_dim, IMAGE * IMAGE) for _ in range(2)])
        self.discs = nn.ModuleList([Discriminator(IMAGE * IMAGE, p + s, cfg.disc_hidden, cfg.disc_n_hidden,
                                                  cfg.disc_linear_features) for p in (p0, p1)])
        keras_init_all(self)
        if cfg.noise_proj == "reference":  # Glorot-uniform (64, 1) kernels, zero bias, never trained
            a = math.sqrt(6.0 / (cfg.noise_dim + 1))
            for i in range(2):
                self.register_buffer(f"noise_w{i}", torch.empty(cfg.noise_dim, 1).uniform_(-a, a))

    def add_noise(self, x, which: int, eps):
        """x (B, 1, 28, 28) plus the projected noise eps (B, noise_dim) of dataset ``which``."""
        if self.cfg.noise_proj == "reference":
            return x + (eps @ getattr(self, f"noise_w{which}")).view(-1, 1, 1, 1)  # one scalar per image
        return x + self.noise[which](eps).view(-1, 1, IMAGE, IMAGE)

    def encode_pair(self, x0, x1, sample: bool = True) -> dict:
        """One sample of the implicit posterior: ``{"private0", "private1", "shared"}`` (eps0, then eps1)."""
        if not sample:
            raise ValueError("the AVB posterior is implicit: it has no mean, only samples (sample=True)")
        f = []
        for i, x in enumerate((x0, x1)):
            eps = torch.randn(x.shape[0], self.cfg.noise_dim, device=x.device, dtype=x.dtype)
            f.append(self.features[i](self.add_noise(x, i, eps)))
        return {"private0": self.private[0](f[0]), "private1": self.private[1](f[1]),
                "shared": self.shared(torch.cat(f, -1))}

    def disc_logits(self, x0, x1, codes: dict):
        """T(x0, x1, z) = T_0(x0, [z0; s]) + T_1(x1, [z1; s]), (B,)."""
        return sum(self.discs[i](x.flatten(1), torch.cat([codes[f"private{i}"], codes["shared"]], -1))
                   for i, x in enumerate((x0, x1)))

    def prior_sample(self, n: int, like) -> dict:
        """z ~ N(0, I) for the discriminators: one draw c (n, max(p0, p1) + s) with z_i = c[:, :p_i]
        and s = c[:, p_i:p_i + s] (the reference's slicing; with equal private sizes both T_i see the
        same draw), or independent z0, z1, s when ``share_prior_draw`` is False. T_i reads
        [private_i; shared], so the returned dict holds per-discriminator vectors under
        ``"t_input0"`` / ``"t_input1"``."""
        p0, p1, s = self.cfg.latent_dims
        kw = {"device": like.device, "dtype": like.dtype}
        if self.cfg.share_prior_draw:
            c = torch.randn(n, max(p0, p1) + s, **kw)
            return {"t_input0": c[:, :p0 + s], "t_input1": c[:, :p1 + s]}
        z0, z1, sh = torch.randn(n, p0, **kw), torch.randn(n, p1, **kw), torch.randn(n, s, **kw)
        return {"t_input0": torch.cat([z0, sh], -1), "t_input1": torch.cat([z1, sh], -1)}

    def loss(self, batch: dict) -> dict:
        """The "encdec" step: -log p(x0 | z0, s) - log p(x1 | z1, s) + T(x0, x1, z), z from the encoders."""
        x0, x1 = batch["x0"], batch["x1"]
        z = self.encode_pair(x0, x1)
        recon0 = _recon(self.decode_logits(z["shared"], z["private0"], 0), x0)
        recon1 = _recon(self.decode_logits(z["shared"], z["private1"], 1), x1)
        kl = self.disc_logits(x0, x1, z).mean()
        return {"loss": recon0 + recon1 + kl, "recon0": recon0, "recon1": recon1, "kl": kl}

    def disc_loss(self, batch: dict) -> dict:
        """The "disc" step: logistic loss on (x, z ~ q) vs (x, z ~ N(0, I)), encoders frozen."""
        x0, x1 = batch["x0"], batch["x1"]
        with torch.no_grad():
            z = self.encode_pair(x0, x1)
        t_q = self.disc_logits(x0, x1, z)
        zp = self.prior_sample(x0.shape[0], x0)
        t_p = sum(self.discs[i](x.flatten(1), zp[f"t_input{i}"]) for i, x in enumerate((x0, x1)))
        return discriminator_loss(t_q, t_p)

    def steps(self):
        c = self.cfg
        disc = list(self.discs.parameters())
        encdec = [p for n, p in self.named_parameters() if not n.startswith("discs.")]
        return ([Step("encdec", self.loss, encdec, lr=c.lr, betas=c.betas)]
                + [Step("disc" if k == 0 else f"disc{k + 1}", self.disc_loss, disc, lr=c.lr_disc, betas=c.betas)
                   for k in range(c.disc_repetitions)])
