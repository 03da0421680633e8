"""Chapter 6, second part: conjoint (siamese) autoencoders on two MNIST-with-backgrounds datasets.

Dataset 0 draws every digit on horizontal stripes or the mosaic, dataset 1 the same digit on vertical
stripes or a blank background (the reference's ``mnist_variations_two``); see
:mod:`vaelab.models.conjoint` for the models. Everything here is measured on the MNIST test digits:

* reconstruction: Bernoulli negative log-likelihood per image, and whether the two judges (below)
  still read the right digit and background off the reconstructions;
* latent probes: an MLP probe on each 2-D code (shared s, private z0, z1) predicting the digit and the
  backgrounds: the seed's claim is that the private codes hold the background, not the digit;
* iterative background transfer (:meth:`ConjointVAE.background_transfer`): a test digit of dataset 0
  and a bare background of dataset 1 (no digit); success of pass k = the digit judge reads the source
  digit AND the background judge reads the target background on x^(k).

The judges are two small CNNs (:mod:`vaelab.metrics.image_classifier`) trained on the real training
images of both datasets: one for the digit, one for the background among the four styles.
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import torch

from .. import report, runs
from ..data import backgrounds
from ..metrics.image_classifier import ImageClassifier, ImageClassifierConfig
from ..metrics.probes import train_probe
from ..models.bernoulli_vae import bernoulli_log_prob
from ..models.conjoint import DATASET_STYLES, ConjointAVB, ConjointAVBConfig, ConjointVAE, ConjointVAEConfig
from .vae_playground import CHAPTER, PROFILES, Profile

CONJOINT_MODELS = ("Conjoint VAE", "Conjoint AVB")
SLUG = {"Conjoint VAE": "conjoint_vae", "Conjoint AVB": "conjoint_avb"}
#: the background judge's classes: dataset 0's styles, then dataset 1's
BACKGROUNDS = DATASET_STYLES[0] + DATASET_STYLES[1]
#: "small": the book's narrower nets (a quarter of the conv filters, 200 instead of 800 hidden units,
#: discriminator branches of two 256-unit layers instead of four 512-unit ones); "reference": the defaults
NETS = {"reference": {}, "small": {"conv_filters": (16, 32, 64), "enc_hidden": 200}}
AVB_NETS = {"reference": {}, "small": {"disc_hidden": 256, "disc_n_hidden": 2}}
#: the probes: (code, label) pairs
PROBES = (("shared", "digit"), ("shared", "background0"), ("shared", "background1"),
          ("private0", "digit"), ("private0", "background0"), ("private1", "digit"), ("private1", "background1"))


def build(name: str, nets: str) -> torch.nn.Module:
    if nets not in NETS:
        raise ValueError(f"nets={nets!r} is not valid; choose one of {', '.join(NETS)}")
    if name == "Conjoint VAE":
        return ConjointVAE(ConjointVAEConfig(**NETS[nets]))
    if name == "Conjoint AVB":
        return ConjointAVB(ConjointAVBConfig(**NETS[nets], **AVB_NETS[nets]))
    raise ValueError(f"unknown conjoint model {name!r}; choose one of {', '.join(CONJOINT_MODELS)}")


def data(profile: Profile, root=None) -> dict:
    """``{"train", "test"}`` of :func:`vaelab.models.conjoint.paired_data` (dataset seeds 0 and 1, as the
    reference draws each dataset's backgrounds once)."""
    from ..models.conjoint import paired_data

    n = profile.conjoint_n_train or None
    return {"train": paired_data("train", n, root=root), "test": paired_data("test", profile.conjoint_n_test, root=root)}


def judge_data(D: dict, split: str) -> dict:
    """Both datasets' images of ``split`` stacked: ``{"x", "digit", "background"}`` (background indexes
    :data:`BACKGROUNDS`)."""
    d = D[split]
    n0 = len(DATASET_STYLES[0])
    return {"x": torch.cat([d["x0"], d["x1"]]), "digit": torch.cat([d["digit"], d["digit"]]),
            "background": torch.cat([d["background0"], d["background1"] + n0])}


def judges(params, D: dict, progress: bool = True) -> dict:
    """Train or load the digit and the background judge (seed 0, whatever the chapter's seeds), scored on
    the test images: ``{"digit": model, "background": model, "metrics": {"digit_acc", "background_acc"},
    "runs": {("judge: digit", 0): {"record", ...}, ...}}`` (``runs`` for the provenance table)."""
    profile = PROFILES[params.profile]
    tr, te = judge_data(D, "train"), judge_data(D, "test")
    out, metrics, recs = {}, {}, {}
    for kind, n_classes in (("digit", 10), ("background", len(BACKGROUNDS))):
        torch.manual_seed(0)
        model = ImageClassifier(ImageClassifierConfig(n_classes=n_classes))
        cfg = {"chapter": CHAPTER, "part": "judge", "model": kind, "model_config": asdict(model.cfg),
               "profile": params.profile, "iterations": profile.judge_iterations, "n_train": len(tr["x"]), "seed": 0}
        model, rec, m = runs.obtain(
            CHAPTER, f"judge_{kind}", model, cfg,
            {"x": tr["x"].to(params.device), "y": tr[kind].to(params.device)}, batch_size=128,
            iterations=profile.judge_iterations, seed=0, device=params.device, train=params.train,
            save=params.profile != "smoke", evaluate=lambda c, k=kind: {"test_acc": c.cpu().accuracy(te["x"], te[k])},
            progress=progress, log_every=max(profile.judge_iterations // 10, 1))
        out[kind] = model.cpu().eval()
        metrics[f"{kind}_acc"] = m["test_acc"]
        recs[(f"judge: {kind}", 0)] = {"model": out[kind], "record": rec, "metrics": m}
    out["metrics"], out["runs"] = metrics, recs
    return out


def _codes(model, d: dict, seed: int, batch: int = 1000) -> dict:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        parts = [model.latents(d["x0"][i:i + batch], d["x1"][i:i + batch]) for i in range(0, len(d["x0"]), batch)]
    return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}


def transfer_targets(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For n sources: the target background index of dataset 1 (alternating its styles) and the bare
    background images (n, 1, 28, 28)."""
    styles = DATASET_STYLES[1]
    idx = torch.arange(n) % len(styles)
    pats = torch.stack([torch.from_numpy(backgrounds.pattern(s)) for s in styles])[:, None]
    return idx, pats[idx]


@torch.no_grad()
def transfer(model, d: dict, profile: Profile, seed: int, n: int | None = None) -> dict:
    """Iterative background transfer of the first ``n`` test digits of dataset 0 into dataset 1:
    ``{"x": (K + 1, n, 1, 28, 28), "source_digit", "target_background" (index into BACKGROUNDS)}``."""
    n = n or len(d["x0"])
    idx, style = transfer_targets(n)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        xs = model.background_transfer(d["x0"][:n], style, which_target=1,
                                       iterations=profile.transfer_iterations, return_all=True)
    return {"x": xs, "source_digit": d["digit"][:n], "target_background": idx + len(DATASET_STYLES[0])}


@torch.no_grad()
def evaluate(model, D: dict, J: dict, profile: Profile, seed: int) -> dict:
    model = model.cpu().eval()
    te = D["test"]
    out = {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        r0, r1 = model.reconstruct(te["x0"], te["x1"])
    for i, (r, x) in enumerate(((r0, te["x0"]), (r1, te["x1"]))):  # -log p(x | code), summed over pixels
        logits = torch.logit(r.clamp(1e-6, 1 - 1e-6)).flatten(1)
        out[f"nll{i}"] = float(-bernoulli_log_prob(logits, x.flatten(1)).mean())
    out["recon_digit"] = 0.5 * (J["digit"].accuracy(r0, te["digit"]) + J["digit"].accuracy(r1, te["digit"]))
    n0 = len(DATASET_STYLES[0])
    out["recon_background"] = 0.5 * (J["background"].accuracy(r0, te["background0"])
                                     + J["background"].accuracy(r1, te["background1"] + n0))
    # probes: train on codes of training pairs (as many as test pairs), score on the test pairs
    n = len(te["x0"])
    tr = {k: v[:n] for k, v in D["train"].items()}
    ctr, cte = _codes(model, tr, seed), _codes(model, te, seed + 1)
    for code, label in PROBES:
        p = train_probe(ctr[code], tr[label], cte[code], te[label], hidden=32, steps=profile.probe_steps, seed=seed)
        out[f"probe_{code}_{label}"] = p.accuracy
    t = transfer(model, te, profile, seed)
    for k, xk in enumerate(t["x"]):
        dig = J["digit"].predict(xk) == t["source_digit"]
        bg = J["background"].predict(xk) == t["target_background"]
        out[f"transfer{k}_digit"], out[f"transfer{k}_background"] = float(dig.float().mean()), float(bg.float().mean())
        out[f"transfer{k}_both"] = float((dig & bg).float().mean())
    return out


def run_config(name: str, model, profile_name: str, seed: int) -> dict:
    p = PROFILES[profile_name]
    return {"chapter": CHAPTER, "part": "conjoint", "model": name, "model_config": asdict(model.cfg),
            "profile": profile_name, "iterations": p.conjoint_iterations, "batch_size": p.conjoint_batch,
            "n_train": p.conjoint_n_train, "seed": seed}


def run(params, D: dict, J: dict, models=CONJOINT_MODELS, progress: bool = True) -> dict:
    """Train or load every (model, seed): ``{(model, seed): {"model", "record", "metrics"}}``."""
    profile = PROFILES[params.profile]
    tr = {k: D["train"][k].to(params.device) for k in ("x0", "x1")}
    out = {}
    for seed in params.seeds:
        for name in models:
            torch.manual_seed(seed)
            model = build(name, profile.conjoint_nets)
            model, rec, metrics = runs.obtain(
                CHAPTER, f"{SLUG[name]}-s{seed}", model, run_config(name, model, params.profile, seed), tr,
                batch_size=profile.conjoint_batch, iterations=profile.conjoint_iterations, seed=seed,
                device=params.device, train=params.train, save=params.profile != "smoke",
                evaluate=lambda m: evaluate(m, D, J, profile, seed), progress=progress,
                log_every=max(profile.conjoint_iterations // 20, 1))
            out[(name, seed)] = {"model": model.cpu().eval(), "record": rec, "metrics": metrics}
    return out


COLUMNS = {"nll0": "NLL x0 (nats)", "nll1": "NLL x1 (nats)", "recon_digit": "digit kept", "recon_background":
           "background kept"}
PROBE_COLUMNS = {f"probe_{c}_{l}": f"{c} → {l}" for c, l in PROBES}


def transfer_columns(profile: Profile) -> dict:
    return {f"transfer{k}_both": f"pass {k}" for k in range(profile.transfer_iterations + 1)}


def table(results: dict, columns: dict, digits: int = 3):
    return report.table(results, CONJOINT_MODELS, columns, digits)


def latent_panels(results: dict, D: dict, seed: int, n: int = 2000) -> list:
    """(title, codes, labels) panels for :func:`vaelab.plots.planes`: each model's shared and private
    codes of the first n test pairs, coloured by digit and by background."""
    te = {k: v[:n] for k, v in D["test"].items()}
    panels = []
    for name in CONJOINT_MODELS:
        if (name, seed) not in results:
            continue
        c = _codes(results[(name, seed)]["model"], te, seed + 1)
        short = name.replace("Conjoint ", "")
        panels += [(f"{short}: shared s, by digit", c["shared"], te["digit"]),
                   (f"{short}: private z0, by digit", c["private0"], te["digit"]),
                   (f"{short}: private z0, by background", c["private0"], te["background0"]),
                   (f"{short}: private z1, by background", c["private1"], te["background1"])]
    return panels


def transfer_strips(results: dict, D: dict, profile: Profile, seed: int, n: int = 8) -> dict:
    """Per model, images for :func:`vaelab.plots.image_grid` with ``nrow=n``: the first row holds n source
    digits of dataset 0, the next the bare target backgrounds, then one row per pass x^(0) .. x^(K)."""
    out = {}
    for name in CONJOINT_MODELS:
        if (name, seed) not in results:
            continue
        t = transfer(results[(name, seed)]["model"], D["test"], profile, seed, n)
        _, style = transfer_targets(n)
        out[name] = torch.cat([D["test"]["x0"][:n][None], style[None], t["x"]]).reshape(-1, 1, 28, 28)
    return out


def success_summary(results: dict) -> dict:
    return report.summary(results, CONJOINT_MODELS)


def mean_curve(results: dict, name: str, what: str = "both") -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd over seeds of transfer success per pass."""
    keys = sorted((k for k in next(r for (m, _), r in results.items() if m == name)["metrics"]
                   if k.startswith("transfer") and k.endswith(f"_{what}")), key=lambda k: int(k[8:].split("_")[0]))
    vals = np.array([[r["metrics"][k] for k in keys] for (m, _), r in results.items() if m == name])
    return vals.mean(0), (vals.std(0, ddof=1) if len(vals) > 1 else np.zeros(len(keys)))


def findings(results: dict, J: dict, profile: Profile) -> str:
    """The conjoint verdict, worded from the per-seed numbers (Welch's t-test at the 5 % level)."""
    s = report.summary(results, CONJOINT_MODELS)
    K = profile.transfer_iterations
    parts = [f"On real test images the digit judge is right {J['metrics']['digit_acc']:.1%} of the time and "
             f"the background judge {J['metrics']['background_acc']:.1%}."]
    for name in CONJOINT_MODELS:
        if f"{name}.recon_digit" not in s:
            continue
        digit_gap = s[f"{name}.probe_private0_digit"], s[f"{name}.probe_private0_background0"]
        parts.append(
            f"{name}: the judges find the digit in {s[f'{name}.recon_digit']:.1%} of its reconstructions and "
            f"the background in {s[f'{name}.recon_background']:.1%}. A probe reads the digit off the private "
            f"code z0 with {digit_gap[0]:.1%} accuracy and the background with {digit_gap[1]:.1%}; off the "
            f"shared code it reads the digit with {s[f'{name}.probe_shared_digit']:.1%}.")
        first, last = report.per_seed(results, name, "transfer0_both"), report.per_seed(results, name, f"transfer{K}_both")
        p = report.welch_p(first, last)
        trend = ("no distinguishable change" if not p < 0.05 else
                 ("an improvement" if np.mean(last) > np.mean(first) else "a decline"))
        parts.append(
            f"Background transfer succeeds (right digit and right background) in {np.mean(first):.1%} of the "
            f"test digits after the first pass and {np.mean(last):.1%} after pass {K}: {trend} "
            f"(Welch p = {p:.2f}). The digit survives {s[f'{name}.transfer{K}_digit']:.1%} of the time, the "
            f"target background is reached {s[f'{name}.transfer{K}_background']:.1%} of the time.")
    return " ".join(parts)
