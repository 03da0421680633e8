"""ACAI (Berthelot, Raffel, Roy, Goodfellow, ICLR'19) and its six baselines on the synthetic lines benchmark
and on MNIST, with the latent-transformation AE and cross-augmentation beside them.

Runs (:func:`run`): **lines** (the paper's Table 1), every method of :data:`METHODS` in the official lines32
nets (code 2×2×16; VQ-VAE 4×4×16 as its script), one run per seed, on a fixed pool of rendered lines
(``Profile.lines_pool``; the official pipeline draws a fresh line per image); **MNIST** (Table 2), every
method of :data:`METHODS` and :data:`IDEAS` at the table's two latent sizes, 32 (4×4×2) and 256 (4×4×16).

Metrics (:func:`evaluate`), on held-out data:

* lines: ``distance_e3`` (the Mean Distance in units of 10⁻³, as the paper prints it) and ``smoothness``, the
  official metric (:func:`vaelab.metrics.interpolation.line_eval`) on ``Profile.n_interpolations``
  16-step interpolations between fresh test lines; ``recon_mse`` on the test lines;
* MNIST: ``probe_acc``, the test accuracy (%) of a linear softmax classifier trained after the AE on the
  frozen, standardised ``probe_code`` (what the official ``single_layer_classifier`` reads, which trains
  jointly with the AE: the code, the VAE's convolutional output before its dense heads, VQ-VAE's quantised
  code after its MLP; :func:`vaelab.metrics.probes.train_probe`, ``hidden=0``); ``recon_mse`` on the test
  digits (the VAE decodes μ, its official ``ae`` a sample); with ``Profile.joint_classifier``, ``joint_acc``,
  the official protocol itself: the accuracy (%) on the same test digits of that classifier trained alongside the
  AE from its first step (:meth:`vaelab.models.acai.ConvAE.attach_latent_classifier`), read at the end of training
  (the official scripts score all 10,000 test digits).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from ... import claims, report, runs
from ...data import lines, mnist
from ...metrics.interpolation import line_eval
from ...metrics.probes import nearest_angle_error, train_probe
from ...models import acai as acai_models
from ...models import ae_baselines as base
from ...models import ltae
from ...nets import channels_last

CHAPTER = "acai"

#: Table 1's seven methods: name -> (model class, config class, weights slug)
METHODS = {
    "Baseline AE": (base.AE, acai_models.ConvAEConfig, "ae"),
    "Dropout AE": (base.DropoutAE, base.DropoutAEConfig, "dropout"),
    "Denoising AE": (base.DenoisingAE, base.DenoisingAEConfig, "denoising"),
    "VAE": (base.VAE, base.VAEConfig, "vae"),
    "AAE": (base.AAE, base.AAEConfig, "aae"),
    "VQ-VAE": (base.VQVAE, base.VQVAEConfig, "vqvae"),
    "ACAI": (acai_models.ACAI, acai_models.ACAIConfig, "acai"),
}
#: the seeds' report's ideas, on MNIST only
IDEAS = {
    "LTAE-S": (ltae.LTAE, lambda **kw: ltae.LTAEConfig(target="standard", **kw), "ltae-s"),
    "LTAE-M": (ltae.LTAE, lambda **kw: ltae.LTAEConfig(target="minmax", **kw), "ltae-m"),
    "Cross-aug AE": (ltae.CrossAugAE, ltae.CrossAugConfig, "crossaug"),
}
ALL = {**METHODS, **IDEAS}
#: MNIST latent sizes of Table 2 -> the scripts' ``--latent`` (channels of the 4×4 code)
MNIST_LATENTS = {32: 2, 256: 16}


@dataclass(frozen=True)
class Profile:
    lines_iterations: int     # each lines run: iterations at batch 64
    mnist_iterations: int     # each MNIST run: iterations at batch 64
    lines_pool: int           # rendered training lines (uniform angles, seed 0)
    mnist_seeds: tuple        # seeds of the MNIST runs (lines: the chapter's ``seeds``)
    n_interpolations: int     # lines metric: interpolations of ``interp_steps`` steps
    probe_train: int          # MNIST training digits whose codes train the probe
    probe_test: int           # MNIST test digits it is scored on
    probe_steps: int = 500    # full-batch Adam steps of the linear probe
    interp_steps: int = 16    # the official evaluation's 16 images per interpolation
    batch_size: int = 64      # lib/train.py flag ``batch``
    joint_classifier: bool = False  # MNIST: train the official latent classifier alongside (``joint_acc``)


#: weights files hold float16, half the size of float32 (each model is rounded before it is evaluated)
STORAGE = "float16"

#: the official length: total_kimg = 2^14 at batch 64 -> 262,145 updates (ConvAEConfig.iterations)
PAPER_ITERATIONS = acai_models.ConvAEConfig().iterations
#: how the paper's tables score a run (brain-research/acai): every ``report_kimg`` = 2^6 kimg of training
#: (``lib/train.py``), i.e. every 1,024 updates at batch 64, and a run's number is the median of its last 20 scores
#: (``figures.ipynb``, ``get_final_value_median(N=20)``); a table cell is the mean ± population sd over the reruns
PAPER_EVAL_EVERY = ((1 << 6) << 10) // acai_models.ConvAEConfig().batch
PAPER_MEDIAN_OF = 20

PROFILES = {
    "smoke": Profile(lines_iterations=6, mnist_iterations=6, lines_pool=512, mnist_seeds=(0,),
                     n_interpolations=8, probe_train=400, probe_test=300, probe_steps=20, joint_classifier=True),
    "book": Profile(lines_iterations=3000, mnist_iterations=1000, lines_pool=65_536, mnist_seeds=(0,),
                    n_interpolations=256, probe_train=10_000, probe_test=5_000),
    "paper": Profile(lines_iterations=PAPER_ITERATIONS, mnist_iterations=PAPER_ITERATIONS, lines_pool=1 << 20,
                     mnist_seeds=(0, 1, 2), n_interpolations=256, probe_train=60_000, probe_test=10_000,
                     joint_classifier=True),
}


# --------------------------------------------------------------------------------------------- data
def lines_data(profile: Profile) -> dict:
    """``{"train": {"x"}, "test": {"x", "angle"}, "pairs": (x0, x1)}``: the training pool (seed 0), 1,000 test lines
    (seed 1) with their angles (radians) and the interpolation end points (seeds 2 and 3), all in [-1, 1],
    (N, 1, 32, 32)."""
    n = profile.n_interpolations
    test, _, test_angle = lines.sample(1000, seed=1)
    return {"train": {"x": lines.sample(profile.lines_pool, seed=0)[0]},
            "test": {"x": test, "angle": test_angle},
            "pairs": (lines.sample(n, seed=2)[0], lines.sample(n, seed=3)[0])}


def mnist_data(profile: Profile, root=None) -> dict:
    """``{"train": {"x", "y"}, "probe_train": {"x", "y"}, "probe_test": {"x", "y"}, "pairs"}``: all 60,000 training
    digits as the official pipeline feeds them (:func:`vaelab.models.acai.mnist32`: 32×32 in [-1, 1]), the
    first ``probe_train`` of them and the first ``probe_test`` test digits for the probe, and 8 test pairs
    with different digits for the interpolation strips."""
    x, y = mnist.load("train", root=root)
    xt, yt = mnist.load("test", root=root)
    if profile.probe_train > len(x) or profile.probe_test > len(xt):
        raise ValueError(f"probe_train={profile.probe_train} / probe_test={profile.probe_test} exceed the "
                         f"{len(x)} training / {len(xt)} test digits")
    x32, xt32 = acai_models.mnist32(x), acai_models.mnist32(xt)
    i0 = torch.arange(100, 108)
    i1 = torch.tensor([int(torch.nonzero(yt[200:] != yt[i]).flatten()[0]) + 200 for i in i0])
    return {"train": {"x": x32, "y": y}, "probe_train": {"x": x32[:profile.probe_train], "y": y[:profile.probe_train]},
            "probe_test": {"x": xt32[:profile.probe_test], "y": yt[:profile.probe_test]},
            "pairs": (xt32[i0], xt32[i1])}


def load_data(datasets, profile: Profile, data_root) -> dict:
    out = {}
    if "lines" in datasets:
        out["lines"] = lines_data(profile)
    if "mnist" in datasets:
        out["mnist"] = mnist_data(profile, root=data_root / "mnist")
    return out


# --------------------------------------------------------------------------------------------- runs
def build(method: str, dataset: str, latent_size: int | None = None, joint_classifier: bool = False, seed: int = 0):
    """The model of ``method`` with the official nets for ``dataset`` ("lines", or "mnist" at latent size
    32 or 256); on MNIST with ``joint_classifier``, the official latent classifier attached (its weights from
    ``seed``)."""
    if method not in ALL:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(ALL)}")
    cls, cfg_cls, _ = ALL[method]
    if dataset == "lines":
        if method in IDEAS:
            raise ValueError(f"{method} runs on MNIST only in this chapter")
        cfg = cfg_cls.lines() if hasattr(cfg_cls, "lines") else cfg_cls(depth=16, latent=16, latent_width=2)
    elif dataset == "mnist":
        if latent_size not in MNIST_LATENTS:
            raise ValueError(f"MNIST latent_size must be one of {sorted(MNIST_LATENTS)}, got {latent_size!r}")
        cfg = cfg_cls(depth=16, latent=MNIST_LATENTS[latent_size], latent_width=4)
    else:
        raise ValueError(f"dataset must be 'lines' or 'mnist', got {dataset!r}")
    model = cls(cfg)
    return model.attach_latent_classifier(10, seed) if joint_classifier and dataset == "mnist" else model


def run_name(method: str, dataset: str, latent_size: int | None, seed: int) -> str:
    slug = ALL[method][2]
    return runs.run_name(f"lines-{slug}" if dataset == "lines" else f"mnist{latent_size}-{slug}", seed)


def run_config(method, dataset, latent_size, model, profile_name: str, seed: int, n_train: int) -> dict:
    p = PROFILES[profile_name]
    its = p.lines_iterations if dataset == "lines" else p.mnist_iterations
    out = {"chapter": CHAPTER, "method": method, "dataset": dataset, "latent_size": latent_size,
           "model_config": asdict(model.cfg), "profile": profile_name, "iterations": its,
           "batch_size": p.batch_size, "n_train": n_train, "seed": seed, "storage": STORAGE}
    if model.latent_classifier is not None:  # only then: the configs of runs without it stay as they were
        out["latent_classifier"] = "single_layer_classifier, Adam at the AE's lr, trained alongside"
    return out


@torch.no_grad()
def _batched(fn, x: torch.Tensor, device, batch: int = 1000) -> torch.Tensor:
    return torch.cat([fn(x[i:i + batch].to(device)).cpu() for i in range(0, len(x), batch)])


def recon_spread(recon: torch.Tensor, x: torch.Tensor) -> float:
    """The share of the inputs' pixel variance that the reconstructions keep: Σ_pixels Var_n(x̂) / Σ_pixels
    Var_n(x) over the images n. 1 for perfect reconstructions, 0 for one image drawn for every input (the
    blank-image plateau every method of this chapter starts on), 0.25 for reconstructions halved about the
    mean."""
    return float(recon.flatten(1).var(0).sum() / x.flatten(1).var(0).sum())


def mean_image_mse(x: torch.Tensor) -> float:
    """The MSE of the best constant reconstruction (the mean image): the mean per-pixel variance."""
    return float(x.flatten(1).var(0, unbiased=False).mean())


def _passes(model, x: torch.Tensor, device, batch: int = 1000) -> dict:
    """``model.evaluation_pass`` over ``x`` in batches of ``batch``, concatenated on the CPU."""
    parts = [model.evaluation_pass(x[i:i + batch].to(device)) for i in range(0, len(x), batch)]
    return {k: torch.cat([p[k].cpu() for p in parts]) for k in parts[0]}


def codebook_use(model, x: torch.Tensor, batch: int = 1000) -> int:
    """VQ-VAE: how many distinct codebook vectors the codes of ``x`` are quantised to (of 2^z_log_size)."""
    return int(_passes(model, x, next(model.parameters()).device, batch)["codes"].unique().numel())


def code_angle_error(model, reference: tuple, queries: tuple, batch: int = 1000) -> float:
    """How much of a line's angle the encoder's code holds (:func:`~vaelab.metrics.probes.nearest_angle_error`,
    degrees: about 0 all of it, 90 nothing); ``reference`` and ``queries`` are ``(images, angles)`` of lines. The
    code is ``model.encode`` (the VAE's mean, the VQ-VAE's before quantisation): what the encoder hands on, apart
    from what the decoder makes of it."""
    device = next(model.parameters()).device
    with torch.no_grad(), channels_last(model.eval()):
        ref, qry = [_batched(lambda x: model.encode(x).flatten(1), images, device, batch)
                    for images, _ in (reference, queries)]
    return nearest_angle_error(ref, reference[1], qry, queries[1])


def evaluate(model, dataset: str, d: dict, profile: Profile, seed: int) -> dict:
    """The metrics of the module docstring for one trained model (on the device it is on), and two
    diagnostics of the blank-image plateau: ``recon_spread`` (:func:`recon_spread` on the test images) and,
    for VQ-VAE, ``codes_used`` (:func:`codebook_use`).

    The test images go through the model once (``evaluation_pass``: reconstructions, probe codes and VQ-VAE's
    codebook indices together), and the convolutions run channels-last (:func:`vaelab.nets.channels_last`:
    faster on the CPU for these nets; it changes only the rounding)."""
    with channels_last(model.eval()):
        return _evaluate(model, dataset, d, profile, seed)


def _evaluate(model, dataset: str, d: dict, profile: Profile, seed: int) -> dict:
    device = next(model.parameters()).device
    x_test = d["test" if dataset == "lines" else "probe_test"]["x"]
    te = _passes(model, x_test, device)
    recon = te["recon"]
    out = {"recon_mse": float(((recon - x_test) ** 2).mean()), "recon_spread": recon_spread(recon, x_test)}
    if "codes" in te:
        out["codes_used"] = int(te["codes"].unique().numel())
    if dataset == "lines":
        x0, x1 = d["pairs"]
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)  # the VAE interpolates sampled codes
            interp = model.interpolate(x0.to(device), x1.to(device), profile.interp_steps).cpu()
        dist, smooth = line_eval(interp)
        out["distance_e3"], out["smoothness"] = 1e3 * dist, smooth
    else:
        tr, te_set = d["probe_train"], d["probe_test"]
        ztr, zte = _batched(model.probe_code, tr["x"], device), te["probe"]
        with torch.random.fork_rng(devices=[]):
            r = train_probe(ztr.to(device), tr["y"].to(device), zte.to(device), te_set["y"].to(device), hidden=0,
                            steps=profile.probe_steps, seed=seed)
        out["probe_acc"], out["probe_train_acc"] = 100 * r.accuracy, 100 * r.train_accuracy
        if model.latent_classifier is not None:  # on the probe's test digits (the official: all 10,000)
            with torch.no_grad():
                pred = model.latent_classifier(zte.to(device)).argmax(1).cpu()
            out["joint_acc"] = 100 * float((pred == te_set["y"]).float().mean())
    return out


def runs_of(profile: Profile, seeds, methods=tuple(METHODS), ideas=tuple(IDEAS), datasets=("lines", "mnist")):
    """The (method, dataset, latent size, seed) of every run the chapter shows."""
    out = []
    if "lines" in datasets:
        out += [(m, "lines", None, s) for m in methods for s in seeds]
    if "mnist" in datasets:
        out += [(m, "mnist", k, s) for k in MNIST_LATENTS for m in (*methods, *ideas) for s in profile.mnist_seeds]
    return out


def key(method: str, dataset: str, latent_size: int | None) -> str:
    """The results' model name: "ACAI (lines)", "ACAI (MNIST 32)"."""
    return f"{method} (lines)" if dataset == "lines" else f"{method} (MNIST {latent_size})"


def run(params, D: dict, todo=None, progress: bool = True) -> dict:
    """Train or load every run of :func:`runs_of` (or of ``todo``): ``{(key, seed): {"model", "record",
    "metrics"}}`` with :func:`key` names."""
    profile = PROFILES[params.profile]
    todo = todo if todo is not None else runs_of(profile, params.seeds, datasets=tuple(D))
    joint = profile.joint_classifier
    # one copy on the device each; MNIST's labels only for the classifier trained alongside
    declared, train = [], {dataset: {k: v for k, v in d["train"].items() if k == "x" or joint}
                           for dataset, d in D.items()}
    for method, dataset, k, seed in todo:
        d = D[dataset]
        its = profile.lines_iterations if dataset == "lines" else profile.mnist_iterations
        declared.append(runs.Run(
            key=key(method, dataset, k), seed=seed, name=run_name(method, dataset, k, seed),
            build=lambda method=method, dataset=dataset, k=k, seed=seed: build(method, dataset, k, joint, seed),
            config=lambda m, method=method, dataset=dataset, k=k, seed=seed, n=len(d["train"]["x"]):
                run_config(method, dataset, k, m, params.profile, seed, n),
            data=train[dataset], iterations=its, batch_size=profile.batch_size,
            evaluate=lambda m, ds=dataset, d=d, s=seed: evaluate(m, ds, d, profile, s),
            options={"storage": STORAGE}))
    return runs.obtain_all(CHAPTER, declared, params, progress)


# ------------------------------------------------------------------------------------------ tables
LINES_COLUMNS = {"distance_e3": "Mean Distance (×10⁻³)", "smoothness": "Smoothness", "recon_mse": "recon MSE",
                 "recon_spread": "recon spread"}


def lines_table(results: dict, methods=tuple(METHODS)):
    """Table 1: mean ± sd over seeds, one row per method. (The paper's values are not shown: no source
    available to the project holds its tables.)"""
    out = report.table(results, [key(m, "lines", None) for m in methods], LINES_COLUMNS,
                       digits={"distance_e3": 2, "smoothness": 3, "recon_mse": 4, "recon_spread": 2})
    out.index = list(methods)
    return out


def mnist_table(results: dict, methods=tuple(ALL)):
    """Table 2 for MNIST: the book's probe accuracy (%) at both latent sizes, and where the runs trained the
    official classifier alongside, its accuracy (the official protocol) too (mean ± sd over several seeds)."""
    import pandas as pd

    metrics = {"probe_acc": "probe"}
    if any("joint_acc" in e["metrics"] for e in results.values()):
        metrics["joint_acc"] = "official classifier"
    rows = {}
    for m in methods:
        row = {}
        for metric, label in metrics.items():
            for size in MNIST_LATENTS:
                vals = report.per_seed(results, key(m, "mnist", size), metric)
                row[f"{label} % ({size})"] = (f"{np.mean(vals):.2f}" + (f" ± {report.sd(vals):.2f}" if len(vals) > 1
                                                                         else "") if vals else "—")
        rows[m] = row
    return pd.DataFrame.from_dict(rows, orient="index")



# ----------------------------------------------------------------------------------------- verdicts
NO_TEST = report.NO_TEST


def _ms(vals, digits: int) -> str:
    return (f"{np.mean(vals):.{digits}f} ± {report.sd(vals):.{digits}f}" if len(vals) > 1
            else f"{np.mean(vals):.{digits}f}")


def _compare(a: list, b: list) -> str:
    p = report.welch_p(a, b)
    return f"Welch p = {p:.2g}" if np.isfinite(p) else NO_TEST


def _the(b: str) -> str:
    """How a verdict's lead names the method compared with: the baseline AE is "the plain AE"."""
    return "the plain AE" if b == "Baseline AE" else f"the {b}"


def _words(n: int) -> str:
    """A small count in words, as a lead sentence says it."""
    return {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
            10: "ten"}.get(n, str(n))


def lines_findings(results: dict, a: str = "ACAI", b: str = "Baseline AE") -> str:
    """Table 1's verdict: one plain sentence first (is ``a`` below ``b`` on both metrics, as the paper reports,
    and is that significant), then the per-metric numbers with Welch's test over seeds and the runs whose
    smoothness is undefined. Every branch of the lead is computed from the same per-seed numbers."""
    out, verdicts, weak, reasons, pairwise = [], [], [], [], True
    for k, what, digits in (("distance_e3", "Mean Distance (×10⁻³)", 2), ("smoothness", "Smoothness", 3)):
        short = what.split(" (")[0]
        x, y = report.per_seed(results, key(a, "lines", None), k), report.per_seed(results, key(b, "lines", None), k)
        if not x or not y:
            reasons.append(f"{short} is missing from their results")
            continue
        bad = [f"{n} of {len(v)} seeds of {m}" for m, v in ((a, x), (b, y))
               if (n := sum(not np.isfinite(u) for u in v))]
        if bad:
            out.append(f"{what}: undefined in {' and '.join(bad)}; not compared.")
            verdicts.append(None)
            reasons.append(f"{short} is undefined in some of their seeds")
            continue
        p = report.welch_p(x, y)
        below = bool(np.mean(x) < np.mean(y))
        pairwise = pairwise and max(x) < min(y)
        if not np.isfinite(p):
            verdicts.append(None)
            reasons.append("there is only one seed of each" if max(len(x), len(y)) < 2 else
                           "one of them has a single seed" if min(len(x), len(y)) < 2 else
                           f"their seeds show no spread in {short}")
        elif not below:
            verdicts.append("reversed")
        else:
            verdicts.append("significant" if report.significant(p) else "direction")
            if not report.significant(p):
                weak.append(what)
        out.append(f"{what}: {a} {_ms(x, digits)}, {b} {_ms(y, digits)} ({a} {'lower' if below else 'not lower'}; "
                   f"{_compare(x, y)}).")
    other, paper = _the(b), "the ordering the paper reports"
    if not verdicts:
        missing = [name for m, name in ((a, a), (b, other)) if not any(
            report.per_seed(results, key(m, "lines", None), k) for k in ("distance_e3", "smoothness"))]
        lead = (f"There are no lines results for {' or '.join(missing)}, so {paper} is not tested here." if missing
                else f"{a} and {other} share no lines metric, so {paper} is not tested here.")
    elif any(v is None for v in verdicts) or len(verdicts) < 2:
        because = " and ".join(dict.fromkeys(reasons))
        lead = (f"Whether {a}'s interpolations score lower than {other}'s cannot be tested on these runs, "
                f"because {because}.")
    elif "reversed" in verdicts:
        where = [w for w, v in zip(("Mean Distance", "Smoothness"), verdicts) if v == "reversed"]
        lead = (f"{a}'s interpolations do not score lower than {other}'s on "
                f"{'either metric' if len(where) == 2 else where[0]}, so {paper} does not hold at this training "
                "length.")
    else:
        every = " in every seed" if pairwise else ""
        if not weak:
            lead = (f"{a}'s interpolations score lower than {other}'s on both metrics{every}, as the paper reports, "
                    "and the difference is significant on both.")
            out.append(f"Welch's test gives p < {report.ALPHA:g} on both, so the ordering holds at this training "
                       "length.")
        else:
            on = "" if len(weak) == 2 else f" in {weak[0].split(' (')[0]}"
            n = len(report.per_seed(results, key(a, "lines", None), "distance_e3"))
            lead = (f"{a}'s interpolations score lower than {other}'s on both metrics{every}, as the paper reports, "
                    f"but with {_words(n)} seeds the difference{on} is not significant.")
            out.append(f"With {n} seeds Welch's test does not reach p < {report.ALPHA:g} on {' or '.join(weak)}, so "
                       f"{paper} is not established at this training length.")
    nan = []
    for m in METHODS:
        v = report.per_seed(results, key(m, "lines", None), "smoothness")
        if n := sum(not np.isfinite(u) for u in v):
            nan.append(f"{m} ({n} of {len(v)})")
    if nan:
        out.append(f"Smoothness is undefined (NaN) in some seeds of {', '.join(nan)}: by the official rule, none "
                   "of those runs' interpolations ends on a different matched line than it starts on.")
    return " ".join([lead, *out])


def mnist_findings(results: dict, a: str = "ACAI", b: str = "Baseline AE") -> str:
    """Table 2's verdict: one plain sentence first (is ``a``'s probe accuracy more than a point above or below
    ``b``'s, or level, at each latent size, and can a test over seeds tell), then ``a`` against ``b`` at each
    latent size with the best method there. Level is :func:`vaelab.claims.level`, the claims table's rule."""
    out, side, p_of, one_seed = [], {}, {}, True
    for size in MNIST_LATENTS:
        x = report.per_seed(results, key(a, "mnist", size), "probe_acc")
        y = report.per_seed(results, key(b, "mnist", size), "probe_acc")
        if not x or not y:
            continue
        side[size] = ("within a point of" if claims.level(np.mean(x), np.mean(y)) else
                      "more than a point above" if np.mean(x) > np.mean(y) else "more than a point below")
        p_of[size] = report.welch_p(x, y)
        one_seed = one_seed and len(x) == len(y) == 1
        means = {m: np.mean(v) for m in ALL if (v := report.per_seed(results, key(m, "mnist", size), "probe_acc"))}
        best = max(means, key=means.get)
        out.append(f"Latent size {size}: {a} {_ms(x, 2)} % against the {b}'s {_ms(y, 2)} % "
                   f"({'above' if np.mean(x) > np.mean(y) else 'not above'}; {_compare(x, y)}); "
                   f"the highest is {best} at {means[best]:.2f} %.")
    other = _the(b)
    if not side:
        return f"There are no MNIST probe accuracies of both {a} and {other} to compare."
    sizes, two = list(side), len(side) > 1
    if len(set(side.values())) == 1:
        where = f"at {'both latent sizes' if len(sizes) == 2 else 'every latent size'}" if two else \
            f"at latent size {sizes[0]}"
        paper = ", as the paper reports" if side[sizes[0]] == "more than a point above" else ""
        lead = f"{a}'s linear-probe accuracy is {side[sizes[0]]} {other}'s {where}{paper}"
    else:
        first, *rest = sizes
        lead = (f"{a}'s linear-probe accuracy is {side[first]} {other}'s at latent size {first} and "
                + " and ".join(f"{side[s].removesuffix(' of')} at {s}" for s in rest))
    tested = [s for s in sizes if np.isfinite(p_of[s])]
    sig = [s for s in tested if report.significant(p_of[s])]
    if not tested:
        how = "with one seed per run " if one_seed else "on these seeds "
        lead += f", and {how}{'neither difference can' if two else 'the difference cannot'} be tested."
    elif len(sig) == len(sizes):
        lead += f", and {'both differences are' if two else 'the difference is'} significant."
    elif not sig:
        lead += f", and {'neither difference is' if two else 'the difference is not'} significant."
    else:
        lead += f", and only the difference at latent size {' and '.join(map(str, sig))} is significant."
    return " ".join([lead, *out])


#: below this recon spread a run draws (nearly) one image for every input: the blank-image plateau
PLATEAU_SPREAD = 0.1


def plateau_findings(results: dict, mean_mse: dict, threshold: float = PLATEAU_SPREAD) -> str:
    """Which models are still on the blank-image plateau: one plain sentence first (how many of the models
    draw one image for every input in some seed, so their rows describe that rather than the method), then each
    with ``recon_spread`` below ``threshold`` in k of n seeds beside the best constant image's MSE on its own
    dataset (``mean_mse``: ``{"lines": …, "mnist": …}``; a dataset left out gets no reference), and how many
    codebook vectors each VQ-VAE reaches of the codebook size in its run's config."""
    names = sorted({name for name, _ in results}, key=lambda n: (" (lines)" not in n, n))
    stuck, vq = [], []
    for name in names:
        spread = report.per_seed(results, name, "recon_spread")
        if n := sum(v < threshold for v in spread):
            mse = report.per_seed(results, name, "recon_mse")
            ref = mean_mse.get("lines" if " (lines)" in name else "mnist")
            vs = f" vs the mean image's {ref:.4f}" if ref is not None else ""
            stuck.append(f"{name} ({n} of {len(spread)} seeds; recon MSE {np.mean(mse):.4f}{vs})")
        if used := report.per_seed(results, name, "codes_used"):
            sizes = {2 ** r["record"]["config"]["model_config"]["z_log_size"] if "record" in r
                     else 2 ** base.VQVAEConfig().z_log_size for (m, _), r in results.items() if m == name}
            of = "/".join(f"{k:,}" for k in sorted(sizes))
            vq.append(f"{name} {'/'.join(str(int(u)) for u in used)} of {of}")
    if stuck:
        who = "Every model trained here still draws" if len(stuck) == len(names) else \
            f"{_words(len(stuck)).capitalize()} of the {len(names)} models trained here still draw"
        out = [f"{who} one image for every input in at least one seed, so their rows of the tables describe that "
               "failure rather than the method.",
               f"Recon spread is below {threshold:g} in these, each set beside the recon MSE of the mean image, the "
               "best single image to draw: " + "; ".join(stuck) + ". Their interpolations are not interpolations of "
               "the data."]
    else:
        out = ["No model trained here is stuck drawing one image for every input.",
               f"Every recon spread is at least {threshold:g}, the edge of the blank-image plateau."]
    if vq:
        out.append(f"Codebook vectors the test codes are quantised to (per seed): {'; '.join(vq)}.")
    return " ".join(out)
