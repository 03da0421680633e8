"""The six baselines of ACAI's Table 1 (Berthelot, Raffel, Roy, Goodfellow, ICLR'19, arXiv 1807.07543).

Plain AE, Dropout AE, Denoising AE, VAE, AAE and VQ-VAE, each checked against its official script in
brain-research/acai at commit 6f26d685 (``baseline.py``, ``dropout.py``, ``denoising.py``, ``vae.py``,
``aae.py``, ``vqvae.py``, ``lib/discretization.py``, ``runs/*.sh``). All share ACAI's encoder and
decoder (:mod:`vaelab.models.acai`: architecture, initialisation, [-1, 1] data, Adam at 1e-4 with
β = (0.9, 0.999), batch 64) and its evaluation API: ``encode`` gives the code the official evaluation
interpolates (``AEOps.encode``), ``decode`` maps a code to an image (``AEOps.decode``) and
``interpolate(x0, x1, steps)`` decodes the official linear mixes of the two codes.

Reductions as the scripts: every "MSE" is ``tf.losses.mean_squared_error`` (mean over pixels, channels
and batch); binary cross-entropies are means over the batch. The latent linear probe that each script
trains on ``stop_gradient(encode)`` (``single_layer_classifier``) never changes the AE and is left out.
Models with an adversary run the AE step first and hand it their detached tensors (see ACAI).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from ..losses import gaussian_kl, reparameterize
from ..train import Step
from .acai import ADAM_BETAS, LEAK, ConvAE, ConvAEConfig, official_dense


class AE(ConvAE):
    """Plain autoencoder (``baseline.py``, class AEBaseline): loss = MSE(x, g(f(x))). No deviation."""

    def __init__(self, cfg: ConvAEConfig | None = None):
        super().__init__(cfg or ConvAEConfig())

    def loss(self, batch: dict) -> dict:
        recon = F.mse_loss(self.decode(self.encode(batch["x"])), batch["x"])
        return {"loss": recon, "recon": recon}

    def method_steps(self) -> list:
        return [Step("ae", self.loss, self.ae_params(), lr=self.cfg.lr, betas=ADAM_BETAS)]


# ----------------------------------------------------------------------------------------- dropout
@dataclass
class DropoutAEConfig(ConvAEConfig):
    keep: float = 0.5  # dropout.py flag ``dropout`` = tf.nn.dropout's keep_prob: half the code is zeroed


class DropoutAE(AE):
    """Dropout AE (``dropout.py``, class AEDropout): the training loss decodes the code after dropout
    (keep probability 0.5, survivors scaled by 1/0.5, over the flattened code);
    ``encode``/``decode``/``interpolate`` never drop, as the official ``encode``/``ae``. No deviation."""

    def __init__(self, cfg: DropoutAEConfig | None = None):
        super().__init__(cfg or DropoutAEConfig())

    def loss(self, batch: dict) -> dict:
        x = batch["x"]
        z = self.encode(x)
        z = F.dropout(z.flatten(1), p=1.0 - self.cfg.keep, training=True).view_as(z)
        recon = F.mse_loss(self.decode(z), x)
        return {"loss": recon, "recon": recon}


# --------------------------------------------------------------------------------------- denoising
@dataclass
class DenoisingAEConfig(ConvAEConfig):
    noise: float = 1.0  # denoising.py flag ``noise``: std of the Gaussian added to x in [-1, 1]


class DenoisingAE(AE):
    """Denoising AE (``denoising.py``, class AEDenoising): loss = MSE(x, g(f(x + ε))), ε ~ N(0, noise²);
    the evaluation code is f of the clean image. No deviation."""

    def __init__(self, cfg: DenoisingAEConfig | None = None):
        super().__init__(cfg or DenoisingAEConfig())

    def loss(self, batch: dict) -> dict:
        x = batch["x"]
        xn = x + self.cfg.noise * torch.randn_like(x)
        recon = F.mse_loss(self.decode(self.encode(xn)), x)
        return {"loss": recon, "recon": recon}


# --------------------------------------------------------------------------------------------- VAE
@dataclass
class VAEConfig(ConvAEConfig):
    beta: float = 1.0           # vae.py flag ``beta``: weight of the KL in -ELBO
    interp_sample: bool = True  # interpolate sampled codes, as the official ``AEOps.encode = q_z_sample``


class VAE(ConvAE):
    """VAE (``vae.py``, class VAE). The encoder's output, flattened (D dims), goes through two dense
    layers to μ and log σ² (D each); z = μ + σ ε is reshaped to the code's shape and decoded to Bernoulli
    logits ℓ of the pixels mapped to [0, 1]. Loss = −ELBO =
    ``[Σ BCE(ℓ, (x+1)/2) + β · ½ Σ (−log σ² − 1 + σ² + μ²)] / N`` (sums over pixels and latent dims,
    mean over the batch). Images are ``2 sigmoid(ℓ) − 1``.

    ``encode(x)`` returns μ (``sample=True``: a draw z); ``interpolate`` follows the official evaluation
    and mixes *sampled* codes unless ``cfg.interp_sample`` is False. Deviation: the flatten order is
    PyTorch's (C, H, W) instead of TF's (H, W, C), a fixed permutation absorbed by the dense layers.
    """

    def __init__(self, cfg: VAEConfig | None = None):
        cfg = cfg or VAEConfig()
        super().__init__(cfg)
        self.mu = official_dense(cfg.latent_dim, cfg.latent_dim)
        self.logvar = official_dense(cfg.latent_dim, cfg.latent_dim)

    def posterior(self, x: torch.Tensor):
        """(μ, log σ²), each (N, D)."""
        h = self.encoder(x).flatten(1)
        return self.mu(h), self.logvar(h)

    def encode(self, x: torch.Tensor, sample: bool = False) -> torch.Tensor:
        mu, logvar = self.posterior(x)
        z = reparameterize(mu, logvar) if sample else mu
        return z.view(len(x), *self.cfg.latent_shape)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return 2 * torch.sigmoid(self.decoder(z)) - 1

    def _codes_for_interpolation(self, x):
        return self.encode(x, sample=self.cfg.interp_sample)

    @torch.no_grad()
    def probe_code(self, x: torch.Tensor) -> torch.Tensor:
        """``vae.py`` probes the encoder's convolutional output, before the dense μ / log σ² layers."""
        return self.encoder(x).flatten(1)

    @torch.no_grad()
    def evaluation_pass(self, x: torch.Tensor) -> dict:
        """``reconstruct`` (decoding μ) and ``probe_code`` from one encoder pass."""
        h = self.encoder(x).flatten(1)
        return {"recon": self.decode(self.mu(h).view(len(x), *self.cfg.latent_shape)), "probe": h}

    @staticmethod
    def kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """KL(N(μ, σ²) ‖ N(0, I)) summed over dims, averaged over the batch (``loss_kl``)."""
        return gaussian_kl(mu, logvar).sum() / len(mu)

    def loss(self, batch: dict) -> dict:
        x = batch["x"]
        mu, logvar = self.posterior(x)
        z = reparameterize(mu, logvar)
        logits = self.decoder(z.view(len(x), *self.cfg.latent_shape))
        nll = F.binary_cross_entropy_with_logits(logits, 0.5 * (x + 1), reduction="sum") / len(x)  # -loss_ll
        kl = self.kl(mu, logvar)
        return {"loss": nll + self.cfg.beta * kl, "nll": nll, "kl": kl}

    def method_steps(self) -> list:
        return [Step("ae", self.loss, list(self.parameters()), lr=self.cfg.lr, betas=ADAM_BETAS)]

    @torch.no_grad()
    def latents(self, x, y=None) -> dict:
        return {"z": self.posterior(x)[0]}


# --------------------------------------------------------------------------------------------- AAE
@dataclass
class AAEConfig(ConvAEConfig):
    adversary_lr: float = 1e-4            # aae.py flag ``adversary_lr`` (the AE keeps ``lr``)
    disc_layer_sizes: tuple = (100, 100)  # aae.py flag ``disc_layer_sizes`` '100,100'


class AAE(ConvAE):
    """Adversarial AE (``aae.py``, class AAE). A discriminator MLP on the flattened code
    (dense layers of ``disc_layer_sizes`` with LeakyReLU(0.2), then 1 logit) tells codes (label 0)
    from N(0, I) samples of the same shape (label 1). AE step "ae": MSE + BCE(D(f(x)), 1) at ``lr``;
    step "disc": BCE(D(f(x)), 0) + BCE(D(p), 1) at ``adversary_lr``, on the AE step's detached codes
    (the official steps run in one ``tf.group``). No deviation besides the flatten order (see VAE)."""

    def __init__(self, cfg: AAEConfig | None = None):
        cfg = cfg or AAEConfig()
        super().__init__(cfg)
        layers, d = [], cfg.latent_dim
        for size in cfg.disc_layer_sizes:
            layers += [official_dense(d, size), nn.LeakyReLU(LEAK)]
            d = size
        self.disc = nn.Sequential(*layers, official_dense(d, 1))

    def discriminate(self, z: torch.Tensor) -> torch.Tensor:
        return self.disc(z.flatten(1))

    def ae_loss(self, batch: dict) -> dict:
        x = batch["x"]
        z = self.encode(x)
        recon = F.mse_loss(self.decode(z), x)
        logit = self.discriminate(z)
        fool = F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))
        self._stash(batch, z=z)
        return {"loss": recon + fool, "recon": recon, "ae_latent": fool}

    loss = ae_loss

    def disc_loss(self, batch: dict) -> dict:
        s = self._stashed(batch)
        if s is None:
            with torch.no_grad():
                s = {"z": self.encode(batch["x"])}
        z = s["z"]
        lz, lp = self.discriminate(z), self.discriminate(torch.randn_like(z))
        adv_latent = F.binary_cross_entropy_with_logits(lz, torch.zeros_like(lz))
        adv_prior = F.binary_cross_entropy_with_logits(lp, torch.ones_like(lp))
        return {"loss": adv_latent + adv_prior, "adv_latent": adv_latent, "adv_prior": adv_prior}

    def method_steps(self) -> list:
        c = self.cfg
        return [Step("ae", self.ae_loss, self.ae_params(), lr=c.lr, betas=ADAM_BETAS),
                Step("disc", self.disc_loss, list(self.disc.parameters()), lr=c.adversary_lr, betas=ADAM_BETAS)]


# ------------------------------------------------------------------------------------------ VQ-VAE
@dataclass
class VQVAEConfig(ConvAEConfig):
    latent_width: int = 4    # runs/vqvae.sh lines32 uses --latent_width=4 (the other lines32 runs: 2)
    z_log_size: int = 14     # vqvae.py flag: codebook of 2^14 = 16384 vectors
    beta: float = 10.0       # vqvae.py flag ``beta``: weight of the commitment loss
    num_latents: int = 10    # vqvae.py flag: discrete codes per image
    decay: float = 0.999     # AEVQVAE.hparams.decay: EMA of the codebook
    epsilon: float = 1e-5    # AEVQVAE.hparams.epsilon: Laplace smoothing of the EMA counts
    filter_size: int = 512   # AEVQVAE.hparams.filter_size: hidden width of the post-quantisation MLP

    @classmethod
    def lines(cls, **kw):
        """``vqvae.py --dataset=lines32 --latent=16 --latent_width=4 --depth=16`` (runs/vqvae.sh)."""
        return cls(**{**dict(depth=16, latent=16, latent_width=4), **kw})


class VQVAE(ConvAE):
    """VQ-VAE (``vqvae.py`` class AEVQVAE with ``lib/discretization.py`` DiscreteBottleneck, one block,
    one residual, EMA on, ``random_top_k=1``, no soft EM). With D = code size (``hidden_size``):

    code f(x) (D) → dense to ``num_latents``·D → cut into ``num_latents`` vectors e of D dims → each
    replaced by its nearest codebook vector q (squared Euclidean, first index on ties) with the
    straight-through estimator e + sg(q − e) → ReLU → dense(512) → ReLU → dense(D) → decoder.
    Loss = MSE(x, x̂) + β · mean((e − sg(q))²). The codebook (2^14 × D, TF ``uniform_unit_scaling``:
    U(±√(3/2^14))) gets no gradient; each training forward (``self.training``) updates it after use by
    EMA: counts c ← λc + (1−λ)n_k, sums s ← λs + (1−λ)Σ_{e→k} e, codebook = s / ((c+ε)/(Σc + Kε)·Σc).

    ``encode`` is the continuous code and ``decode`` runs dense + quantisation + MLP + decoder, as the
    official ``AEOps``: interpolations mix continuous codes and are quantised when decoded.
    Deviation: the flatten order (see VAE).
    """

    #: the EMA sums only continue training (the checkpoint keeps them); saved weights leave them out
    TRAINING_ONLY = ("ema_count", "ema_means")

    def __init__(self, cfg: VQVAEConfig | None = None):
        cfg = cfg or VQVAEConfig()
        super().__init__(cfg)
        d, n = cfg.latent_dim, cfg.num_latents
        self.pre = official_dense(d, d * n)
        self.post = nn.Sequential(nn.ReLU(), official_dense(d * n, cfg.filter_size), nn.ReLU(),
                                  official_dense(cfg.filter_size, d))
        k = 2 ** cfg.z_log_size
        bound = (3.0 / k) ** 0.5  # uniform_unit_scaling: input size = prod(shape[:-1]) = 1·1·k
        means = torch.empty(k, d).uniform_(-bound, bound)
        self.register_buffer("codebook", means)
        self.register_buffer("ema_count", torch.zeros(k))
        self.register_buffer("ema_means", means.clone())

    def quantize(self, e: torch.Tensor, chunk: int = 2048):
        """(index, codebook vector) of the nearest codebook vector to each row of e (N, D): the first minimum
        of ``|e|² + |m|² − 2 e·m``, as the official ``DiscreteBottleneck``.

        On the CPU the product e·mᵀ (16,384 codebook rows: most of an evaluation's arithmetic) is NumPy's
        (OpenBLAS, pinned to its Haswell kernels by :mod:`vaelab.cpu`), ``chunk`` rows at a time: faster than
        PyTorch's under MKL's reproducible branch, the same bits on every x86-64 CPU
        (``benchmarks/cross_cpu.py``) and whatever ``chunk``; on a GPU it is PyTorch's."""
        m = self.codebook
        m2 = m.pow(2).sum(1)
        if e.device.type != "cpu" or e.dtype != torch.float32 or e.requires_grad:
            dist = e.pow(2).sum(1, keepdim=True) + m2 - 2 * e @ m.T
            idx = dist.argmin(1)
            return idx, m[idx]
        mt = m.numpy().T
        idx = torch.empty(len(e), dtype=torch.long)
        for i in range(0, len(e), chunk):
            ei = e[i:i + chunk]
            dist = torch.add(ei.pow(2).sum(1, keepdim=True), m2)
            # (|e|² + |m|²) − 2·e·m: 2·e·m is exact, so the fused a − 2b rounds as the two steps above
            dist.sub_(torch.from_numpy(ei.numpy() @ mt), alpha=2)
            idx[i:i + chunk] = dist.argmin(1)
        return idx, m[idx]

    @torch.no_grad()
    def ema_update(self, e: torch.Tensor, idx: torch.Tensor):
        c, k = self.cfg, self.codebook.shape[0]
        e = e.to(self.ema_means.dtype)
        counts = torch.zeros_like(self.ema_count).index_add_(0, idx, torch.ones_like(e[:, 0]))
        sums = torch.zeros_like(self.ema_means).index_add_(0, idx, e)
        self.ema_count.mul_(c.decay).add_(counts, alpha=1 - c.decay)
        self.ema_means.mul_(c.decay).add_(sums, alpha=1 - c.decay)
        n = self.ema_count.sum()
        smoothed = (self.ema_count + c.epsilon) / (n + k * c.epsilon) * n
        self.codebook.copy_(self.ema_means / smoothed[:, None])

    def vq(self, h: torch.Tensor, update: bool = False):
        """Quantise h (N, num_latents·D): (straight-through output, indices (N·num_latents,), commitment)."""
        e = h.reshape(-1, self.cfg.latent_dim)
        idx, q = self.quantize(e.detach())
        commit = F.mse_loss(e, q)  # q carries no gradient: mean((e - sg(q))²)
        if update:
            self.ema_update(e.detach(), idx)  # after q was read, as the official control dependencies
        q = q.view_as(h)
        return h + (q - h).detach(), idx, commit

    def bottleneck(self, z: torch.Tensor, update: bool = False):
        st, idx, commit = self.vq(self.pre(z.flatten(1)), update)
        return self.post(st).view(len(z), *self.cfg.latent_shape), idx, commit

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.bottleneck(z)[0])

    @torch.no_grad()
    def probe_code(self, x: torch.Tensor) -> torch.Tensor:
        """``vqvae.py`` probes ``d['dense']``: the quantised code after the MLP, what the decoder reads."""
        return self.bottleneck(self.encode(x))[0].flatten(1)

    @torch.no_grad()
    def evaluation_pass(self, x: torch.Tensor) -> dict:
        """``reconstruct``, ``probe_code`` and the codebook indices (``codes``) from one pass."""
        d, idx, _ = self.bottleneck(self.encode(x))
        return {"recon": self.decoder(d), "probe": d.flatten(1), "codes": idx}

    def loss(self, batch: dict) -> dict:
        x = batch["x"]
        d, _, commit = self.bottleneck(self.encode(x), update=self.training)
        recon = F.mse_loss(self.decoder(d), x)
        return {"loss": recon + self.cfg.beta * commit, "recon": recon, "commit": commit}

    def method_steps(self) -> list:
        return [Step("ae", self.loss, list(self.parameters()), lr=self.cfg.lr, betas=ADAM_BETAS)]


BASELINES = {"AE": AE, "DropoutAE": DropoutAE, "DenoisingAE": DenoisingAE, "VAE": VAE, "AAE": AAE, "VQVAE": VQVAE}
CONFIGS = {AE: ConvAEConfig, DropoutAE: DropoutAEConfig, DenoisingAE: DenoisingAEConfig, VAE: VAEConfig,
           AAE: AAEConfig, VQVAE: VQVAEConfig}
