"""The VAE playground: a Gaussian VAE against Adversarial Variational Bayes on AVB's four points, and
conjoint (siamese) autoencoders with shared and private latents on MNIST with backgrounds.

After the seeds' gdikov/vae-playground and Mescheder, Nowozin, Geiger, "Adversarial Variational Bayes"
(ICML'17, arXiv 1701.04722), Section 6.1. This module holds the profiles and the four-point part;
:mod:`vaelab.chapters.vae_playground.conjoint` holds the conjoint part.

Four-point metrics (:func:`points_evaluate`), all in nats per data point, averaged over the four points:

* ``log_px``: log p(x) = log E_p(z) p(x|z) by importance sampling with the prior as proposal (tight in a 2-D
  latent). The data are uniform over four points, so no model can beat E log p(x) = -log 4 = -1.386 (Gibbs'
  inequality): the reference line of the table.
* ``recon_acc``: the fraction of draws z ~ q(z|x) whose most probable decoding (each coordinate thresholded
  at p = 1/2) is exactly x.
* ``kl_model``: each model's own KL estimate, closed form for the VAE, E_q T(x, z) for AVB;
  ``elbo_model`` = E_q log p(x|z) - ``kl_model``, the objective each trained on.
* ``kl_knn``: KL(q(z|x) || p(z)) from samples of q (Kozachenko–Leonenko, :mod:`vaelab.metrics.divergence`),
  the same estimator for both models; ``elbo_knn``, the ELBO with it, and ``gap`` = log p(x) - ``elbo_knn``
  = KL(q(z|x) || p(z|x)), how far each posterior is from the true one.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from ... import report, runs
from ...metrics.divergence import kl_to_standard_normal
from ...models.avb import AVB, AVBConfig
from ...models.bernoulli_vae import BernoulliVAE, BernoulliVAEConfig, bernoulli_log_prob

CHAPTER = "vae_playground"
POINT_MODELS = ("VAE", "AVB")
SLUG = {"VAE": "points_vae", "AVB": "points_avb"}
#: the best any model can do on four equally likely points: E log p(x) = -log 4
LOG_PX_OPTIMUM = -math.log(4)


@dataclass(frozen=True)
class Profile:
    points_iterations: int      # four-point runs: optimiser iterations at batch points_batch
    points_samples: int         # draws of q(z|x) per point for recon_acc and the kNN KL
    points_prior_samples: int   # draws of p(z) for log p(x)
    conjoint_n_train: int       # MNIST training digits (0: all 60,000)
    conjoint_n_test: int        # test pairs scored
    conjoint_iterations: int    # conjoint runs: iterations at batch 100
    conjoint_nets: str          # "reference": the reference's widths; "small": narrower (see the chapter)
    judge_iterations: int       # digit / background classifiers, batch 128
    probe_steps: int            # full-batch Adam steps of each latent probe
    points_batch: int = 400     # launcher.py: batch_size=400
    conjoint_batch: int = 100   # conjoint_experiments.py: batch_size=100
    transfer_iterations: int = 4  # n_iter = 5 passes: x^(0) .. x^(4)


PROFILES = {
    "smoke": Profile(points_iterations=60, points_samples=400, points_prior_samples=4000, conjoint_n_train=600,
                     conjoint_n_test=200, conjoint_iterations=6, conjoint_nets="small", judge_iterations=20,
                     probe_steps=30),
    # the published pages: the four points 10x longer than the reference's launcher; the conjoint models
    # with narrower nets for 2.5 epochs (the reference: full widths, 1000 epochs) -- see the chapter
    "book": Profile(points_iterations=2000, points_samples=4000, points_prior_samples=100_000,
                    conjoint_n_train=0, conjoint_n_test=2000, conjoint_iterations=1500, conjoint_nets="small",
                    judge_iterations=1500, probe_steps=300),
    # the reference's lengths: launcher.py (200 epochs of one batch of 400) and conjoint_experiments.py
    # (1000 epochs of batches of 100 pairs over its 49,900 training pairs: 499 batches per epoch; its
    # digits are the 50,000 images of Larochelle et al.'s MNIST-variations file, here MNIST's 60,000)
    "paper": Profile(points_iterations=200, points_samples=4000, points_prior_samples=100_000,
                     conjoint_n_train=0, conjoint_n_test=10_000, conjoint_iterations=1000 * 499,
                     conjoint_nets="reference", judge_iterations=3000, probe_steps=300),
}


# ------------------------------------------------------------------------------- the four points
def build_points(name: str) -> torch.nn.Module:
    if name == "VAE":
        return BernoulliVAE(BernoulliVAEConfig())
    if name == "AVB":  # launcher.py at ba9f806: both optimisers Adam(8e-4, beta_1 0.5)
        return AVB(AVBConfig(lr_encdec=8e-4, lr_disc=8e-4))
    raise ValueError(f"unknown four-point model {name!r}; choose one of {', '.join(POINT_MODELS)}")


def posterior_samples(model, x: torch.Tensor, n: int) -> torch.Tensor:
    """``n`` draws of q(z|x) for each row of x: (len(x), n, z_dim)."""
    return model.posterior_samples(x, n).transpose(0, 1)


@torch.no_grad()
def log_px(model, x: torch.Tensor, n: int, chunk: int = 20_000) -> torch.Tensor:
    """log p(x) per row of x, (len(x),): log mean_m p(x | z_m), z_m ~ N(0, I)."""
    lps = []
    for i in range(0, n, chunk):
        m = min(chunk, n - i)
        z = torch.randn(m, 1, model.cfg.z_dim)
        logits = model.decode_logits(z).expand(m, *x.shape)
        lps.append(bernoulli_log_prob(logits, x.expand(m, *x.shape)))
    return torch.logsumexp(torch.cat(lps), 0) - math.log(n)


@torch.no_grad()
def points_evaluate(model, profile: Profile, seed: int) -> dict:
    model = model.cpu().eval()
    x = torch.eye(4)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        z = posterior_samples(model, x, profile.points_samples)             # (4, n, 2)
        logits = model.decode_logits(z)                                      # (4, n, 4)
        rec_ll = bernoulli_log_prob(logits, x[:, None, :]).mean(1)           # E_q log p(x|z), (4,)
        exact = ((logits > 0).float() == x[:, None, :]).all(-1).float().mean()
        kl_model = model.kl_estimate(x, profile.points_samples)  # VAE: closed form; AVB: E_q T(x, z)
        kl_knn = kl_to_standard_normal(z).float()
        lp = log_px(model, x, profile.points_prior_samples)
    out = {"log_px": lp.mean(), "recon_acc": exact, "rec_ll": rec_ll.mean(), "kl_model": kl_model.mean(),
           "elbo_model": (rec_ll - kl_model).mean(), "kl_knn": kl_knn.mean(), "elbo_knn": (rec_ll - kl_knn).mean(),
           "gap": (lp - rec_ll + kl_knn).mean()}
    return {k: float(v) for k, v in out.items()}


def points_config(name: str, model, profile_name: str, seed: int) -> dict:
    p = PROFILES[profile_name]
    return {"chapter": CHAPTER, "part": "points", "model": name, "model_config": asdict(model.cfg),
            "profile": profile_name, "iterations": p.points_iterations, "batch_size": p.points_batch, "seed": seed}


def run_points(params, models=POINT_MODELS, progress: bool = True) -> dict:
    """Train or load every (model, seed) on the four points: ``{(model, seed): {"model", "record", "metrics"}}``.
    Batches are drawn with replacement from the four one-hot points (the reference pads the four points
    to 400 random copies and shuffles them: the same distribution of batches up to the counts)."""
    profile = PROFILES[params.profile]
    points = {"x": torch.eye(4)}
    declared = [runs.Run(key=name, seed=seed, name=runs.run_name(SLUG[name], seed),
                         build=lambda name=name: build_points(name),
                         config=lambda m, name=name, seed=seed: points_config(name, m, params.profile, seed),
                         data=points, iterations=profile.points_iterations, batch_size=profile.points_batch,
                         evaluate=lambda m, seed=seed: points_evaluate(m, profile, seed))
                for seed in params.seeds for name in models]
    return runs.obtain_all(CHAPTER, declared, params, progress)


POINT_COLUMNS = {"log_px": "log p(x)", "elbo_knn": "ELBO (kNN KL)", "elbo_model": "ELBO (own KL)",
                 "kl_knn": "KL (kNN)", "kl_model": "KL (own)", "gap": "KL(q || p(z|x))", "recon_acc": "recon acc"}


def points_table(results: dict, digits: int = 3):
    return report.table(results, POINT_MODELS, POINT_COLUMNS, digits)


@torch.no_grad()
def posterior_regions(results: dict, seed: int, n: int = 1500, lim: float = 3.5, grid: int = 200, size=3.6):
    """The AVB paper's first figure: draws of q(z|x) for each of the four points (colour = point) over the
    decoder's map of latent space (shade = the point the decoder is most likely to produce there)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    names = [m for m in POINT_MODELS if (m, seed) in results]
    fig, axes = plt.subplots(1, len(names), figsize=(size * len(names), size), squeeze=False)
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    g = torch.linspace(-lim, lim, grid)
    zz = torch.stack(torch.meshgrid(g, g, indexing="xy"), -1)                 # (grid, grid, 2)
    x = torch.eye(4)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for ax, name in zip(axes[0], names):
            model = results[(name, seed)]["model"]
            logits = model.decode_logits(zz.reshape(-1, 2))
            lp = bernoulli_log_prob(logits[:, None, :].expand(-1, 4, -1), x).reshape(grid, grid, 4)
            ax.imshow(lp.argmax(-1).numpy(), origin="lower", extent=(-lim, lim, -lim, lim),
                      cmap=ListedColormap(colours), alpha=0.18, interpolation="nearest")
            z = posterior_samples(model, x, n)
            for i in range(4):
                ax.scatter(z[i, :, 0], z[i, :, 1], s=2, color=colours[i], alpha=0.5, label=f"x = e{i + 1}")
            t = np.linspace(0, 2 * np.pi, 200)
            for r in (1, 2):
                ax.plot(r * np.cos(t), r * np.sin(t), color="k", lw=0.6, ls=":")
            ax.set_xlim(-lim, lim), ax.set_ylim(-lim, lim), ax.set_aspect("equal")
            ax.set_title(f"{name}: q(z|x) and the decoder's regions", fontsize=9)
    axes[0][0].legend(markerscale=5, fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def points_findings(results: dict) -> str:
    """The four-point verdict: one plain sentence first (which model fits better, Welch's t-test on log p(x);
    whether AVB's own ELBO is biased, paired t-test of its KL against the kNN one; both at the 5 % level),
    then the per-seed numbers behind it."""
    s = report.summary(results, POINT_MODELS)
    n = len(report.per_seed(results, "VAE", "log_px"))
    p_fit = report.welch_p(report.per_seed(results, "VAE", "log_px"), report.per_seed(results, "AVB", "log_px"))
    own, knn = report.per_seed(results, "AVB", "kl_model"), report.per_seed(results, "AVB", "kl_knn")
    d = float(np.mean(np.subtract(own, knn)))
    p_kl = report.paired_p(own, knn)
    avb_better = report.significant(p_fit) and s["AVB.log_px"] > s["VAE.log_px"]
    fit = ("AVB fits the four points better than the Gaussian VAE" if avb_better else
           "The Gaussian VAE fits the four points better than AVB" if report.significant(p_fit) else
           "Neither AVB nor the Gaussian VAE fits the four points measurably better at this number of seeds")
    own_elbo = "its own ELBO" if avb_better else "AVB's own ELBO"
    if not report.significant(p_kl):
        bias = f"{own_elbo} shows no measurable bias"
    else:
        bias = f"{own_elbo} {'understates' if d > 0 else 'overstates'} {'how well' if avb_better else 'its fit'}"
    conj = "though" if avb_better and report.significant(p_kl) and d < 0 else "and"
    parts = [f"{fit}, {conj} {bias}.",
             f"The best possible log-likelihood is -log 4 = {LOG_PX_OPTIMUM:.3f} nats. The VAE reaches "
             f"{s['VAE.log_px']:.3f} ± {s['VAE.log_px.std']:.3f}, AVB {s['AVB.log_px']:.3f} ± "
             f"{s['AVB.log_px.std']:.3f} ({n} seeds; Welch p = {p_fit:.{3 if report.significant(p_fit) else 2}f})."]
    parts.append(f"Measured with one estimator for both, the posterior's distance from the true posterior, "
                 f"KL(q || p(z|x)) = log p(x) - ELBO, is {s['VAE.gap']:.3f} nats for the VAE and "
                 f"{s['AVB.gap']:.3f} for AVB.")
    head = (f"AVB's discriminator puts its own KL at {s['AVB.kl_model']:.3f} ± {s['AVB.kl_model.std']:.3f} nats "
            f"against the sample-based {s['AVB.kl_knn']:.3f} ± {s['AVB.kl_knn.std']:.3f}")
    if report.significant(p_kl):
        parts.append(f"{head}: {abs(d):.3f} {'higher' if d > 0 else 'lower'} (paired t-test over seeds, p = "
                     f"{p_kl:.3f}), so the ELBO AVB reports for itself is {'pessimistic' if d > 0 else 'optimistic'} "
                     f"by about that much.")
    else:
        parts.append(f"{head}: not distinguishable over the seeds (paired t-test, p = {p_kl:.2f}); the "
                     f"discriminator's estimate differs from the sample-based one by {d:+.3f} nats on average.")
    return " ".join(parts)
