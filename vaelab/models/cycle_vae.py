"""Cycle-consistent VAE: Jha, Anand, Singh, Veeravasarapu, "Disentangling Factors of Variation with
Cycle-Consistent Variational Auto-Encoders", ECCV'18 (arXiv 1804.10469). The latent splits into a specified code
s (the class; deterministic) and an unspecified style z ~ q(z | x) = N(mu(x), diag e^logvar(x)); the only
supervision is pairs (x1, x2) known to share the class.

Forward cycle (step ``"autoencoder"``, encoder + decoder): swap the class codes and reconstruct each image from
its own style sample and the other image's s::

    L_fwd = a_r [mse(D(z1, s2), x1) + mse(D(z2, s1), x2)]
          + a_kl [KL(q(z|x1) || N(0, I)) + KL(q(z|x2) || N(0, I))] / (B*C*H*W)

Reverse cycle (step ``"reverse"``, encoder only): one z ~ N(0, I) decoded with the (detached) class codes of two
different images; re-encoded, the style means must agree, so s cannot leak into z::

    L_rev = a_rev * mean_{b, k} | mu(D(z, s(xa)))_bk - mu(D(z, s(xb)))_bk |

Reference: ananyahjha93/cycle-consistent-vae (PyTorch 0.4). ``networks.py`` (module names kept, so the authors'
released ``checkpoints/encoder`` and ``decoder`` load: :func:`load_reference_checkpoint`), ``utils.py``'s
``weights_init`` (:func:`reference_init`), ``main.py``'s defaults (:class:`CycleVAEConfig`) and ``training.py``'s
two Adam optimisers, KL divisor and ``StepLR`` (:func:`lr_schedule`). InstanceNorm keeps running statistics but
the reference never calls ``eval()``, so ``encode``/``decode``/``swap`` run in train mode under ``no_grad`` by
default (``instance_stats=False`` uses the running averages). ``encode_sampled`` returns one posterior sample
of z, the code the paper's Table 1 probes.

Deviations: the reverse cycle's two images are ``x1[b]`` and ``x2[b-1]`` of the forward step's batch, not two
fresh batches (the trainer gives every step of an iteration the same batch); the pairs are a fixed table, not
re-drawn each epoch (the data's business); the KL divisor is the batch's actual B*C*H*W; ``arch="sprites"``
(3x64x64, one stage deeper with k4/s2/p1 layers) is ours, as the reference has no sprites network.
"""
from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
import torch.nn.functional as F

from .. import REPO
from ..weights import sha256
from ..losses import gaussian_kl, reparameterize
from ..train import Step


@dataclass
class CycleVAEConfig:
    arch: str = "mnist"          # "mnist" (1x28x28, the reference's nets) or "sprites" (3x64x64, ours)
    z_dim: int = 16              # style_dim (main.py)
    s_dim: int = 16              # class_dim (main.py)
    recon_coef: float = 2.0      # reconstruction_coef (main.py)
    kl_coef: float = 3.0         # kl_divergence_coef (main.py)
    reverse_coef: float = 10.0   # reverse_cycle_coef (main.py)
    lr: float = 1e-4             # initial_learning_rate (main.py), both optimisers
    betas: tuple = (0.9, 0.999)  # beta_1, beta_2 (main.py), both optimisers
    reverse_cycle: bool = True   # False: the ablation without the reverse cycle (one optimiser)
    track_running_stats: bool = True  # InstanceNorm2d(track_running_stats=True), as networks.py


# (in channels, image size, conv channels, conv kernel, conv padding, features,
#  decoder embedding per code, decoder start (C, H), deconvs (out ch, kernel, padding))
ARCHS = {
    "mnist": dict(in_ch=1, size=28, convs=(16, 32, 64), k=5, p=1, feat=256,
                  embed=256, start=(128, 2), deconvs=((32, 4, 0), (16, 4, 0), (1, 4, 1))),
    "sprites": dict(in_ch=3, size=64, convs=(16, 32, 64, 128), k=4, p=1, feat=2048,
                    embed=1024, start=(128, 4), deconvs=((64, 4, 1), (32, 4, 1), (16, 4, 1), (3, 4, 1))),
}


def reference_init(module: nn.Module) -> None:
    """``utils.weights_init``: Conv2d and Linear weights ~ N(0, 0.05^2), biases 0. ConvTranspose2d
    and the norms keep PyTorch's defaults (the reference tests ``isinstance(layer, nn.Conv2d)``)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.05)
            nn.init.zeros_(m.bias)


class Encoder(nn.Module):
    """x -> (style mu, style logvar, class code s)."""

    def __init__(self, arch: str, z_dim: int, s_dim: int, track_running_stats: bool = True):
        super().__init__()
        a = ARCHS[arch]
        layers, c_in = [], a["in_ch"]
        for i, c in enumerate(a["convs"], 1):
            layers += [(f"convolution_{i}", nn.Conv2d(c_in, c, a["k"], stride=2, padding=a["p"])),
                       (f"convolution_{i}_in", nn.InstanceNorm2d(c, track_running_stats=track_running_stats)),
                       (f"ReLU_{i}", nn.ReLU())]
            c_in = c
        self.conv_model = nn.Sequential(OrderedDict(layers))
        self.style_mu = nn.Linear(a["feat"], z_dim)
        self.style_logvar = nn.Linear(a["feat"], z_dim)
        self.class_output = nn.Linear(a["feat"], s_dim)

    def forward(self, x):
        h = self.conv_model(x).flatten(1)
        return self.style_mu(h), self.style_logvar(h), self.class_output(h)


class Decoder(nn.Module):
    """(z, s) -> image in [0, 1]."""

    def __init__(self, arch: str, z_dim: int, s_dim: int, track_running_stats: bool = True):
        super().__init__()
        a = ARCHS[arch]
        self.start = a["start"]
        self.style_input = nn.Linear(z_dim, a["embed"])
        self.class_input = nn.Linear(s_dim, a["embed"])
        layers, c_in, n = [], a["start"][0], len(a["deconvs"])
        for i, (c, k, p) in enumerate(a["deconvs"], 1):
            layers.append((f"deconvolution_{i}", nn.ConvTranspose2d(c_in, c, k, stride=2, padding=p)))
            if i < n:
                layers += [(f"deconvolution_{i}_in", nn.InstanceNorm2d(c, track_running_stats=track_running_stats)),
                           (f"LeakyReLU_{i}", nn.LeakyReLU(0.2))]
            c_in = c
        layers.append(("sigmoid_final", nn.Sigmoid()))
        self.deconv_model = nn.Sequential(OrderedDict(layers))

    def forward(self, z, s):
        h = torch.cat([F.leaky_relu(self.style_input(z), 0.2), F.leaky_relu(self.class_input(s), 0.2)], 1)
        c, hw = self.start
        return self.deconv_model(h.view(-1, c, hw, hw))


def _sample(mu, logvar, eps=None):
    return reparameterize(mu, logvar) if eps is None else mu + torch.exp(0.5 * logvar) * eps


class CycleVAE(nn.Module):
    def __init__(self, cfg: CycleVAEConfig = CycleVAEConfig()):
        super().__init__()
        if cfg.arch not in ARCHS:
            raise ValueError(f"arch must be one of {sorted(ARCHS)}, got {cfg.arch!r}")
        self.cfg = cfg
        self.encoder = Encoder(cfg.arch, cfg.z_dim, cfg.s_dim, cfg.track_running_stats)
        self.decoder = Decoder(cfg.arch, cfg.z_dim, cfg.s_dim, cfg.track_running_stats)
        reference_init(self)

    # ----------------------------------------------------------------- losses
    def forward_cycle(self, x1, x2, eps=None) -> dict:
        """The forward cycle on a same-class pair; ``eps = (eps1, eps2)`` fixes the style noise.

        ``recon`` (sum of the two element-mean MSEs) and ``kl`` (sum of the two KLs, each summed
        over batch and latent dims, divided by B*C*H*W) are logged unweighted, as the reference."""
        c = self.cfg
        e1, e2 = eps if eps is not None else (None, None)
        mu1, lv1, s1 = self.encoder(x1)
        z1 = _sample(mu1, lv1, e1)
        mu2, lv2, s2 = self.encoder(x2)
        z2 = _sample(mu2, lv2, e2)
        recon = F.mse_loss(self.decoder(z1, s2), x1) + F.mse_loss(self.decoder(z2, s1), x2)
        kl = (gaussian_kl(mu1, lv1).sum() + gaussian_kl(mu2, lv2).sum()) / x1.numel()
        return {"loss": c.recon_coef * recon + c.kl_coef * kl, "recon": recon, "kl": kl}

    def reverse_cycle(self, xa, xb, z=None) -> dict:
        """The reverse cycle: one z ~ N(0, I) per row (or the given ``z``) decoded with the detached
        class codes of ``xa`` and ``xb``, re-encoded; L1 (element mean) between the style means."""
        with torch.no_grad():  # the reference detaches the class codes
            sa = self.encoder(xa)[2]
            sb = self.encoder(xb)[2]
        if z is None:
            z = torch.randn(len(xa), self.cfg.z_dim, device=xa.device, dtype=sa.dtype)
        mu_a = self.encoder(self.decoder(z, sa))[0]
        mu_b = self.encoder(self.decoder(z, sb))[0]
        l1 = (mu_a - mu_b).abs().mean()
        return {"loss": self.cfg.reverse_coef * l1, "reverse": l1}

    def loss(self, batch: dict) -> dict:
        return self.forward_cycle(batch["x1"], batch["x2"])

    def reverse_loss(self, batch: dict) -> dict:
        # two different images per row: x1[b] and x2[b-1] (rows are i.i.d. draws)
        return self.reverse_cycle(batch["x1"], batch["x2"].roll(1, 0))

    def steps(self):
        c = self.cfg
        enc = list(self.encoder.parameters())
        steps = [Step("autoencoder", self.loss, enc + list(self.decoder.parameters()), lr=c.lr, betas=c.betas)]
        if c.reverse_cycle:  # after the auto-encoder update, as training.py
            steps.append(Step("reverse", self.reverse_loss, enc, lr=c.lr, betas=c.betas))
        return steps

    # -------------------------------------------------------------- inference
    @contextmanager
    def _mode(self, instance_stats: bool):
        was = self.training
        self.train(instance_stats)
        try:
            with torch.no_grad():
                yield
        finally:
            self.train(was)

    def encode(self, x, instance_stats: bool = True):
        """(style mean, class code s)."""
        with self._mode(instance_stats):
            mu, _, s = self.encoder(x)
        return mu, s

    def encode_sampled(self, x, generator: torch.Generator, instance_stats: bool = True):
        """(one posterior sample z = mu + e^(logvar/2) eps, class code s): the code the decoder sees in
        training. eps ~ N(0, I) is drawn on ``generator``'s device (a CPU generator: the same samples on any
        device) from ``generator`` alone; the global RNG is untouched. Modes as :meth:`encode`."""
        with self._mode(instance_stats):
            mu, logvar, s = self.encoder(x)
            eps = torch.randn(mu.shape, generator=generator, device=generator.device, dtype=mu.dtype)
            return _sample(mu, logvar, eps.to(mu.device)), s

    def decode(self, z, s, instance_stats: bool = True):
        with self._mode(instance_stats):
            return self.decoder(z, s)

    def swap(self, x_style, x_class, grid: bool = False, instance_stats: bool = True):
        """Style (mean) of ``x_style``, class of ``x_class``: row by row, or with ``grid=True`` every
        combination, shaped (len(x_style), len(x_class), C, H, W)."""
        mu, _ = self.encode(x_style, instance_stats)
        _, s = self.encode(x_class, instance_stats)
        if grid:
            n, m = len(mu), len(s)
            out = self.decode(mu.repeat_interleave(m, 0), s.repeat(n, 1), instance_stats)
            return out.view(n, m, *out.shape[1:])
        return self.decode(mu, s, instance_stats)

    def latents(self, x, y=None) -> dict:
        mu, s = self.encode(x)
        return {"z": mu, "s": s}


def lr_schedule(total_iterations: int, drop_at: float = 0.8, factor: float = 0.1):
    """The reference's StepLR (x0.1 after epoch 80 of 100) as a trainer schedule: 1 for the first
    ``drop_at`` of the iterations, ``factor`` after."""
    boundary = int(round(drop_at * total_iterations))
    return lambda it: 1.0 if it < boundary else factor


def reference_iterations(n_train: int = 60000, batch_size: int = 64, epochs: int = 100) -> int:
    """Iterations of the reference run (``drop_last=True``): 100 * 937 = 93,700 on MNIST."""
    return epochs * (n_train // batch_size)


_OLD_NAMES = {  # the names in the repository's checkpoints/ files -> networks.py's
    "encoder": {"varying_factor_mu.": "style_mu.", "varying_factor_logvar.": "style_logvar.",
                "common_factor.": "class_output."},
    "decoder": {"varying_factor.": "style_input.", "common_factor.": "class_input."},
}


def load_reference_state_dicts(model: CycleVAE, encoder_sd: dict, decoder_sd: dict) -> None:
    """Load the reference's ``Encoder``/``Decoder`` state dicts (current or old head names; PyTorch
    0.4 files lack ``num_batches_tracked``, which is then left as is)."""
    for part, sd in (("encoder", encoder_sd), ("decoder", decoder_sd)):
        renamed = {}
        for k, v in sd.items():
            for old, new in _OLD_NAMES[part].items():
                if k.startswith(old):
                    k = new + k[len(old):]
            renamed[k] = v
        missing, unexpected = getattr(model, part).load_state_dict(renamed, strict=False)
        missing = [k for k in missing if not k.endswith("num_batches_tracked")]
        if missing or unexpected:
            raise KeyError(f"{part}: missing {missing}, unexpected {unexpected}")


#: the authors' released MNIST checkpoint (z 16, s 16), committed with its licence and sha256 sums
REFERENCE_DIR = REPO / "data" / "reference" / "cycle_consistent_vae"
REFERENCE_FILES = ("encoder", "decoder")


def verify_reference(root=None) -> dict:
    """Check ``encoder`` and ``decoder`` under ``root`` (default :data:`REFERENCE_DIR`) against its
    ``SHA256SUMS``; return ``{name: path}``. Raises FileNotFoundError for a missing file and ValueError for
    a file whose sha256 differs (or is not listed), naming the file."""
    root = Path(REFERENCE_DIR if root is None else root)
    sums_path = root / "SHA256SUMS"
    if not sums_path.is_file():
        raise FileNotFoundError(f"{sums_path} is missing: the reference checkpoint cannot be verified")
    sums = {}
    for line in sums_path.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.strip().lstrip("*")] = digest.lower()
    out = {}
    for name in REFERENCE_FILES:
        path = root / name
        if name not in sums:
            raise ValueError(f"{path}: not listed in {sums_path}")
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing (listed in {sums_path})")
        got = sha256(path)
        if got != sums[name]:
            raise ValueError(f"{path}: sha256 {got} differs from {sums[name]} in {sums_path}")
        out[name] = path
    return out


def load_reference_checkpoint(root=None) -> CycleVAE:
    """The authors' released MNIST model (ananyahjha93/cycle-consistent-vae ``checkpoints/``, MIT; z = s = 16)
    as a :class:`CycleVAE` in eval mode (``encode``/``decode`` set their own mode), after checking each file's
    sha256 (:func:`verify_reference`). The global RNG is untouched."""
    paths = verify_reference(root)
    sds = {k: torch.load(p, map_location="cpu", weights_only=True) for k, p in paths.items()}
    with torch.random.fork_rng(devices=[]):  # the initialisation draws weights that are then overwritten
        model = CycleVAE(CycleVAEConfig(arch="mnist", z_dim=16, s_dim=16))
    load_reference_state_dicts(model, sds["encoder"], sds["decoder"])
    return model.eval()
