"""The VAE playground's second part: conjoint (siamese) autoencoders on two MNIST-with-backgrounds datasets.

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

from ... import report, runs
from ...data import backgrounds
from ...metrics.image_classifier import ImageClassifier, ImageClassifierConfig
from ...metrics.probes import train_probe
from ...models.bernoulli_vae import bernoulli_log_prob
from ...models.conjoint import (DATASET_STYLES, ConjointAVB, ConjointAVBConfig, ConjointVAE, ConjointVAEConfig,
                               paired_data)
from . import CHAPTER, PROFILES, Profile

CONJOINT_MODELS = ("Conjoint VAE", "Conjoint AVB")
SLUG = {"Conjoint VAE": "conjoint_vae", "Conjoint AVB": "conjoint_avb"}
#: the background judge's classes: dataset 0's styles, then dataset 1's (dataset 1's style i is class N0 + i)
BACKGROUNDS = DATASET_STYLES[0] + DATASET_STYLES[1]
N0 = len(DATASET_STYLES[0])
#: "small": the book's narrower nets (a quarter of the conv filters, 200 instead of 800 hidden units,
#: discriminator branches of two 256-unit layers instead of four 512-unit ones); "reference": the defaults
NETS = {"reference": {}, "small": {"conv_filters": (16, 32, 64), "enc_hidden": 200}}
AVB_NETS = {"reference": {}, "small": {"disc_hidden": 256, "disc_n_hidden": 2}}
#: hidden units of each latent probe; batch size of the judges' training
PROBE_HIDDEN, JUDGE_BATCH = 32, 128
#: the probes: (code, label) pairs
PROBES = (("shared", "digit"), ("shared", "background0"), ("shared", "background1"),
          ("private0", "digit"), ("private0", "background0"), ("private1", "digit"), ("private1", "background1"))


def nets_text(nets: str) -> str:
    """The widths of ``nets`` in words, read from the configs (for the chapter's prose)."""
    v, a = ConjointVAEConfig(**NETS[nets]), ConjointAVBConfig(**NETS[nets], **AVB_NETS[nets])
    return (f"conv filters {'/'.join(map(str, v.conv_filters))}, {v.enc_hidden} hidden units in the encoder, "
            f"AVB discriminator branches of {a.disc_n_hidden} layers of {a.disc_hidden} units")


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
    n = profile.conjoint_n_train or None
    return {"train": paired_data("train", n, root=root),
            "test": paired_data("test", profile.conjoint_n_test, root=root)}


def judge_data(D: dict, split: str) -> dict:
    """Both datasets' images of ``split`` stacked: ``{"x", "digit", "background"}`` (background indexes
    :data:`BACKGROUNDS`)."""
    d = D[split]
    return {"x": torch.cat([d["x0"], d["x1"]]), "digit": torch.cat([d["digit"], d["digit"]]),
            "background": torch.cat([d["background0"], d["background1"] + N0])}


def judges(params, D: dict, progress: bool = True) -> dict:
    """Train or load the digit and the background judge (seed 0, whatever the chapter's seeds), scored on
    the test images: ``{"digit": model, "background": model, "metrics": {"digit_acc", "background_acc"},
    "runs": {("judge: digit", 0): {"record", ...}, ...}}`` (``runs`` for the provenance table)."""
    profile = PROFILES[params.profile]
    tr, te = judge_data(D, "train"), judge_data(D, "test")
    declared = [runs.Run(
        key=f"judge: {kind}", seed=0, name=f"judge_{kind}",
        build=lambda n=n_classes: ImageClassifier(ImageClassifierConfig(n_classes=n)),
        config=lambda m, kind=kind: {"chapter": CHAPTER, "part": "judge", "model": kind,
                                     "model_config": asdict(m.cfg), "profile": params.profile,
                                     "iterations": profile.judge_iterations, "n_train": len(tr["x"]), "seed": 0},
        data={"x": tr["x"], "y": tr[kind]}, iterations=profile.judge_iterations, batch_size=JUDGE_BATCH,
        evaluate=lambda c, k=kind: {"test_acc": c.cpu().accuracy(te["x"], te[k])},
        options={"log_every": max(profile.judge_iterations // 10, 1)})
        for kind, n_classes in (("digit", 10), ("background", len(BACKGROUNDS)))]
    recs = runs.obtain_all(CHAPTER, declared, params, progress)
    kinds = ("digit", "background")
    out = {kind: recs[(f"judge: {kind}", 0)]["model"] for kind in kinds}
    # no test accuracy in the census (vaelab.check_weights)
    metrics = {f"{kind}_acc": recs[(f"judge: {kind}", 0)]["metrics"].get("test_acc") for kind in kinds}
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
    return {"x": xs, "source_digit": d["digit"][:n], "target_background": idx + N0}


def pixel_entropy(x: torch.Tensor) -> torch.Tensor:
    """Per image, the Bernoulli entropy of its pixels summed (nats), (N,): the smallest -log p(x | .) any
    decoder can reach on continuous pixels (the cross-entropy is minimal at p = x), e.g. > 0 on grey mosaic."""
    x = x.flatten(1).double()
    h = -(torch.xlogy(x, x) + torch.xlogy(1 - x, 1 - x))
    return h.sum(-1)


@torch.no_grad()
def transfer_floor(J: dict, d: dict, n: int) -> dict:
    """What the judges say about the bare targets themselves (no digit drawn): how often an output that
    ignored the source digit would still count as a success -- the floor of the transfer scores."""
    idx, style = transfer_targets(n)
    dig = J["digit"].predict(style) == d["digit"][:n]
    bg = J["background"].predict(style) == idx + N0
    return {"floor_digit": float(dig.float().mean()), "floor_both": float((dig & bg).float().mean())}


@torch.no_grad()
def evaluate(model, D: dict, J: dict, profile: Profile, seed: int) -> dict:
    model = model.cpu().eval()
    te = D["test"]
    out = {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        c = model.encode_pair(te["x0"], te["x1"])  # one posterior sample per pair, as ``reconstruct``
    recs = []
    for i, x in enumerate((te["x0"], te["x1"])):
        logits = model.decode_logits(c["shared"], c[f"private{i}"], i)
        nll = -bernoulli_log_prob(logits.flatten(1), x.flatten(1))  # -log p(x | code), summed over pixels
        out[f"nll{i}"] = float(nll.mean())
        out[f"excess{i}"] = float((nll.double() - pixel_entropy(x)).mean())
        recs.append(torch.sigmoid(logits))
    r0, r1 = recs
    out["recon_digit"] = 0.5 * (J["digit"].accuracy(r0, te["digit"]) + J["digit"].accuracy(r1, te["digit"]))
    out["recon_background"] = 0.5 * (J["background"].accuracy(r0, te["background0"])
                                     + J["background"].accuracy(r1, te["background1"] + N0))
    # probes: train on codes of training pairs (as many as test pairs), score on the test pairs
    n = len(te["x0"])
    tr = {k: v[:n] for k, v in D["train"].items()}
    ctr, cte = _codes(model, tr, seed), _codes(model, te, seed + 1)
    for code, label in PROBES:
        p = train_probe(ctr[code], tr[label], cte[code], te[label], hidden=PROBE_HIDDEN, steps=profile.probe_steps,
                        seed=seed)
        out[f"probe_{code}_{label}"] = p.accuracy
        if label == "digit":
            out["majority_digit"] = p.majority  # test accuracy of always answering the commonest training digit
    t = transfer(model, te, profile, seed)
    for k, xk in enumerate(t["x"]):
        dig = J["digit"].predict(xk) == t["source_digit"]
        bg = J["background"].predict(xk) == t["target_background"]
        out[f"transfer{k}_digit"], out[f"transfer{k}_background"] = float(dig.float().mean()), float(bg.float().mean())
        out[f"transfer{k}_both"] = float((dig & bg).float().mean())
    out.update(transfer_floor(J, te, n))
    return out


def run_config(name: str, model, profile_name: str, seed: int) -> dict:
    p = PROFILES[profile_name]
    return {"chapter": CHAPTER, "part": "conjoint", "model": name, "model_config": asdict(model.cfg),
            "profile": profile_name, "iterations": p.conjoint_iterations, "batch_size": p.conjoint_batch,
            "n_train": p.conjoint_n_train, "seed": seed}


def run(params, D: dict, J: dict, models=CONJOINT_MODELS, progress: bool = True) -> dict:
    """Train or load every (model, seed): ``{(model, seed): {"model", "record", "metrics"}}``."""
    profile = PROFILES[params.profile]
    train = {k: D["train"][k] for k in ("x0", "x1")}
    declared = [runs.Run(key=name, seed=seed, name=runs.run_name(SLUG[name], seed),
                         build=lambda name=name: build(name, profile.conjoint_nets),
                         config=lambda m, name=name, seed=seed: run_config(name, m, params.profile, seed),
                         data=train, iterations=profile.conjoint_iterations, batch_size=profile.conjoint_batch,
                         evaluate=lambda m, seed=seed: evaluate(m, D, J, profile, seed))
                for seed in params.seeds for name in models]
    return runs.obtain_all(CHAPTER, declared, params, progress)


COLUMNS = {"excess0": "NLL - H(x0)", "excess1": "NLL - H(x1)", "recon_digit": "digit kept",
           "recon_background": "background kept"}
PROBE_COLUMNS = {f"probe_{c}_{l}": f"{c} → {l}" for c, l in PROBES}


def transfer_columns(profile: Profile) -> dict:
    return {**{f"transfer{k}_both": f"pass {k}" for k in range(profile.transfer_iterations + 1)},
            "floor_both": "bare target (floor)"}


def table(results: dict, columns: dict, digits: int = 3):
    return report.table(results, CONJOINT_MODELS, columns, digits)


def latent_panels(results: dict, D: dict, seed: int, n: int = 2000) -> list:
    """(title, codes, labels) panels for :func:`vaelab.plots.planes`: each model's shared and private
    codes of the first n test pairs, each coloured by digit and by the background(s) it could hold."""
    te = {k: v[:n] for k, v in D["test"].items()}
    panels = []
    for name in CONJOINT_MODELS:
        if (name, seed) not in results:
            continue
        c = _codes(results[(name, seed)]["model"], te, seed + 1)
        short = name.replace("Conjoint ", "")
        both = te["background0"] * len(DATASET_STYLES[1]) + te["background1"]  # 4 combinations
        combos = [f"{a}+{b}" for a in DATASET_STYLES[0] for b in DATASET_STYLES[1]]
        digits = [str(k) for k in range(10)]
        panels += [(f"{short}: shared s, by digit", c["shared"], te["digit"], digits),
                   (f"{short}: shared s, by both backgrounds", c["shared"], both, combos),
                   (f"{short}: private z0, by digit", c["private0"], te["digit"], digits),
                   (f"{short}: private z0, by background 0", c["private0"], te["background0"], BACKGROUNDS),
                   (f"{short}: private z1, by digit", c["private1"], te["digit"], digits),
                   (f"{short}: private z1, by background 1", c["private1"], te["background1"] + N0, BACKGROUNDS)]
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


def transfer_curves(results: dict, profile: Profile, size=(11, 3)):
    """Per model, mean ± sd over seeds of the judged digit, the judged background and both (success)
    after each pass, with the bare targets' floor as a dotted line on the success panel."""
    import matplotlib.pyplot as plt

    passes = range(profile.transfer_iterations + 1)
    fig, axes = plt.subplots(1, 3, figsize=size, sharey=True)
    for ax, what in zip(axes, ("digit", "background", "both")):
        for name in CONJOINT_MODELS:
            vals = [report.per_seed(results, name, f"transfer{k}_{what}") for k in passes]
            if not vals[0]:
                continue
            ax.errorbar(list(passes), [np.mean(v) for v in vals], yerr=[report.sd(v) for v in vals], marker="o",
                        capsize=3, label=name)
        ax.set_title("success: digit and background" if what == "both" else f"judged {what}")
        ax.set_xlabel("pass k")
    floor = [v for name in CONJOINT_MODELS for v in report.per_seed(results, name, "floor_both")]
    if floor:
        axes[2].axhline(np.mean(floor), color="k", ls=":", lw=1, label="bare target (floor)")
    axes[0].set_ylabel("fraction of test digits")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    return fig


#: a transfer counts as better than the bare targets only this far above their score (the floor)
FLOOR_MARGIN = 0.05


def beats_floor(success: float, floor: float) -> bool:
    """Whether a transfer success rate is better than leaving the target background as it is."""
    return success >= floor + FLOOR_MARGIN


def _background_level(acc: float) -> str:
    """How much of dataset 0's background a probe reads off z0, in words: "all" from 90 % accuracy, "most" from
    halfway between chance (one in N0 styles) and certainty, "little" below."""
    return "all" if acc >= 0.9 else "most" if acc >= (1 + 1 / N0) / 2 else "little"


def _lead(results: dict, profile: Profile) -> str:
    """One plain sentence without numbers: whether each model's private code holds the background and whether
    its last transfer pass beats the bare targets (:func:`beats_floor`), the models with the same verdict
    named together."""
    s = report.summary(results, CONJOINT_MODELS)
    names = [m for m in CONJOINT_MODELS if f"{m}.recon_digit" in s]
    if not names:
        return ""
    K = profile.transfer_iterations
    level = {m: _background_level(s[f"{m}.probe_private0_background0"]) for m in names}
    works = {m: beats_floor(s[f"{m}.transfer{K}_both"], s[f"{m}.floor_both"]) for m in names}
    good, bad = [m for m in names if works[m]], [m for m in names if not works[m]]
    verb = {"all": ("holds the background", "holds it"), "most": ("mostly holds the background", "mostly holds it"),
            "little": ("holds little of the background", "holds little of it")}
    groups = [(lv, [m for m in names if level[m] == lv]) for lv in verb if any(level[m] == lv for m in names)]
    uniform = len(groups) == 1 and not (good and bad)  # one verdict for all: the models are named once, up front

    def where(group):
        return "" if uniform else "in both models" if len(group) == 2 else f"in the {group[0]}"

    code = " and ".join(f"{verb[lv][i > 0]} {where(g)}".strip() for i, (lv, g) in enumerate(groups))
    same = "leaving the target background as it is"
    transfer = (f"{where(bad)} background transfer does no better than {same}" if not good else
                f"{where(good)} background transfer beats {same}" if not bad else
                f"background transfer beats {same} only {where(good)}").strip()
    holds_all, holds_none = all(level[m] != "little" for m in names), all(level[m] == "little" for m in names)
    conj = "but" if (holds_all and not good) or (holds_none and not bad) else "and"
    intro = ("At this training length the private code" if not uniform else
             f"At this training length the {names[0]}'s private code" if len(names) == 1 else
             "In both models, at this training length, the private code")
    return f"{intro} {code}, {conj} {transfer}."


def findings(results: dict, J: dict, profile: Profile) -> str:
    """The conjoint verdict: :func:`_lead`, then the per-seed numbers. The transfer is read against its floor
    (the judges' verdict on the bare targets) and its ceiling (how often the digit survives plain
    reconstruction); the change from the first to the last pass uses a paired t-test over seeds."""
    s = report.summary(results, CONJOINT_MODELS)
    K = profile.transfer_iterations
    parts = [_lead(results, profile),
             f"On real test images the digit judge is right {J['metrics']['digit_acc']:.1%} of the time and "
             f"the background judge {J['metrics']['background_acc']:.1%}."]
    for name in CONJOINT_MODELS:
        if f"{name}.recon_digit" not in s:
            continue
        g = lambda key: s[f"{name}.{key}"]  # noqa: E731
        parts.append(
            f"{name}: the judges find the right digit in {g('recon_digit'):.1%} of its plain reconstructions and "
            f"the right background in {g('recon_background'):.1%}. A probe reads the digit off the shared code "
            f"with {g('probe_shared_digit'):.1%} accuracy (majority class: {g('majority_digit'):.1%}) and off "
            f"the private code z0 with {g('probe_private0_digit'):.1%}; it reads z0's background with "
            f"{g('probe_private0_background0'):.1%}.")
        first, last = (report.per_seed(results, name, "transfer0_both"),
                       report.per_seed(results, name, f"transfer{K}_both"))
        p = report.paired_p(first, last)
        trend = ("no distinguishable change" if not report.significant(p) else
                 ("an improvement" if np.mean(last) > np.mean(first) else "a decline"))
        parts.append(
            f"Background transfer counts as a success (the source digit on the target background) for "
            f"{np.mean(first):.1%} of the test digits after the first pass and {np.mean(last):.1%} after pass {K}: "
            f"{trend} (paired t-test over seeds, p = {p:.2f}). The target background is reached "
            f"{g(f'transfer{K}_background'):.1%} of the time, so the failures are digits: the judge reads the "
            f"source digit on {g(f'transfer{K}_digit'):.1%} of the results. For scale, the bare targets "
            f"themselves, with no digit drawn, would score {g('floor_both'):.1%}, and the digit survives plain "
            f"reconstruction {g('recon_digit'):.1%} of the time.")
    return " ".join(t for t in parts if t)
