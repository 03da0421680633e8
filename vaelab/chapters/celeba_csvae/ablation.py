"""Why the paper-weighted CSVAE's edits fail on faces: an ablation of its adversary (Klys et al. NeurIPS'18, the
beta4 term of the encoder's objective, ``ConvCSVAEConfig.beta4``).

One candidate cause: with the paper's weights on this model's reductions
(:meth:`~vaelab.models.conv_csvae.ConvCSVAEConfig.paper`) the encoder's adversarial term, beta4 = 70 times a
negentropy of at most log 2 in magnitude per label, weighs a few tenths of a percent of the reconstruction term
(beta1 = 245,760 times the mean squared error), a linear probe reads the labels off z
(:func:`~vaelab.chapters.celeba_csvae.label_probes`), and a decoder that finds the labels in z need not read w. The
ablation retrains the page's CSVAE-paper, each seed from the same committed VAE, for the same 1,000 iterations, with
beta4 multiplied by each of :data:`FACTORS` and nothing else changed; factor 1 is the page's own run. Were the
adversary's weakness the cause, the edits would succeed more often as it grows stronger, and the probe would read
less of the labels off z.

``make run M=vaelab.chapters.celeba_csvae.ablation ARGS='--factors 0 100 1000 --seeds 0 1 2'`` trains the runs that
are not committed yet (and measures the committed ones) and saves them under
``weights/celeba_csvae/csvae_paper_adv<factor>-s<seed>``.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import torch

from ... import params, report, runs
from ...models.conv_csvae import ConvCSVAE, ConvCSVAEConfig
from ...models.conv_vae import copy_convolutions
from .. import celeba_csvae as cc
from . import length

CHAPTER = cc.CHAPTER
#: beta4 of each ablation run, as a multiple of the paper's (factor 1: the page's own CSVAE-paper runs)
FACTORS = (0, 100, 1000)
#: the metrics the ablation compares, with their table headers
COLUMNS = {"success_mean": "edits %", "success_male": "male edit %", "probe_z": "labels off z %",
           "probe_z_Male": "Male off z %", "recon_mse": "recon MSE", "kl_z": "KL(z)", "kl_w": "KL(w)"}
DIGITS = {"recon_mse": 4, "kl_z": 1, "kl_w": 1}


def beta4(factor: int, profile: str = "book") -> float:
    """The adversary's weight of an ablation run: ``factor`` times the paper's."""
    return factor * ConvCSVAEConfig.paper(width=cc.PROFILES[profile].width).beta4


def name(factor: int) -> str:
    """Its key in the results (the page's CSVAE-paper at factor 1)."""
    return cc.PAPER_CSVAE if factor == 1 else f"beta4 = {beta4(factor):,.0f}"


def slug(factor: int) -> str:
    return f"{cc.SLUG[cc.PAPER_CSVAE]}_adv{check(factor)}"


def check(factor) -> int:
    """``factor``, a whole non-negative number (it names the run's files), or a ValueError."""
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or factor < 0:
        raise ValueError(f"factor={factor!r}: the adversary's weight is a whole non-negative multiple of the paper's")
    return int(factor)


def build(factor: int, seed: int, profile: cc.Profile) -> ConvCSVAE:
    """The page's CSVAE-paper with beta4 multiplied by ``factor``, drawn from the same seed."""
    factor = check(factor)
    torch.manual_seed(seed)
    cfg = ConvCSVAEConfig.paper(width=profile.width)
    return ConvCSVAE(dataclasses.replace(cfg, beta4=factor * cfg.beta4))


def run(P, D: dict, J: dict, R: dict, factors=FACTORS, progress: bool = True, evaluate: bool = True) -> runs.Results:
    """Train (``P.train``) or load the ablation runs of every seed of ``P``: ``{(name(factor), seed): {"model",
    "record", "metrics"}}``. Each starts from the page's VAE of its seed, ``R[("VAE", seed)]`` (:func:`vaelab.
    chapters.celeba_csvae.run`), as the page's CSVAE-paper does. ``evaluate=False`` loads committed runs without
    measuring them (the census)."""
    if 1 in factors:
        raise ValueError("factor 1 is the page's own CSVAE-paper run; it is read from the page's results")
    profile = cc.PROFILES[P.profile]
    names = D["attributes"]
    data = {"x": D["train"]["x"], "y": cc.labels(D["train"], names)}
    scored = evaluate or P.train   # a trained run is always evaluated, so that its record holds its metrics
    S = getattr(R, "extra", {}).get("sets") or cc.eval_sets(D, profile)
    # what the curves' evaluation needs (vaelab.chapters.celeba_csvae.length.measure: the page's, without MIG/DCI/SAP)
    ctx = {"profile": P.profile, "D": D, "S": S, "judge": J["model"],
           "ref": cc.reference(S, J["model"], names) if scored else None}
    declared = []
    for seed in P.seeds:
        if ("VAE", seed) not in R:
            raise ValueError(f"seed {seed}: the page's results hold no VAE of that seed to start from")
        vae = R[("VAE", seed)]
        for factor in factors:
            def build_(factor=factor, seed=seed, vae=vae):
                model = build(factor, seed, profile)
                copy_convolutions(model, vae["model"])
                return model

            def config_(model, vae=vae):
                base = vae["record"].get("sha256", "untrained smoke run")
                return cc.run_config(cc.PAPER_CSVAE, model, P, D["dataset"], base)

            declared.append(runs.Run(
                key=name(factor), seed=seed, name=runs.run_name(slug(factor), seed,
                                                                None if D["dataset"] == "toyfaces" else D["dataset"]),
                build=build_, config=config_, data=data, iterations=profile.iterations,
                batch_size=profile.batch_size,
                evaluate=(lambda m: length.measure(m, ctx)) if scored else None,
                options={"storage": cc.STORAGE}))
    return runs.obtain_all(CHAPTER, declared, P, progress)


def combined(R: dict, A: dict, factors=FACTORS) -> dict:
    """The page's scored CSVAE-paper runs (factor 1) beside the ablation's."""
    out = {k: r for k, r in R.items() if k[0] == cc.PAPER_CSVAE and "success_mean" in r["metrics"]}
    out.update(A)
    return out


def order(factors=FACTORS) -> list:
    """The rows, weakest adversary first."""
    return [name(f) for f in sorted({*factors, 1})]


def table(C: dict, factors=FACTORS) -> pd.DataFrame:
    """One row per adversary weight: mean ± sd over seeds of :data:`COLUMNS`."""
    rows = [m for m in order(factors) if report.per_seed(C, m, "recon_mse")]
    t = report.table(C, rows, COLUMNS, {k: DIGITS.get(k, 1) for k in COLUMNS})
    t.index = [f"{m} (the paper's: beta4 = {beta4(1):,.0f})" if m == cc.PAPER_CSVAE else m for m in rows]
    return t


def findings(C: dict, factors=FACTORS) -> str:
    """The verdict in one sentence (does a stronger adversary than the paper's make the judge accept more of the
    edits, by Welch's test over seeds, and what does a probe read off z then), then each weight's numbers."""
    rows = [m for m in order(factors) if report.per_seed(C, m, "success_mean")]
    stronger = rows[rows.index(cc.PAPER_CSVAE) + 1:] if cc.PAPER_CSVAE in rows else []
    if not stronger:
        return "The ablation's runs are not committed yet."
    mean = lambda m, k: float(np.nanmean(report.per_seed(C, m, k)))  # noqa: E731
    base = report.per_seed(C, cc.PAPER_CSVAE, "success_mean")
    tests = {m: report.welch_p(report.per_seed(C, m, "success_mean"), base) for m in rows if m != cc.PAPER_CSVAE}
    up = [m for m in stronger if mean(m, "success_mean") > np.mean(base) and report.significant(tests[m])]
    best = max(up or stronger, key=lambda m: mean(m, "success_mean"))
    probe = (f"a probe reads Male off its z on {mean(best, 'probe_z_Male'):.1f} % against "
             f"{mean(cc.PAPER_CSVAE, 'probe_z_Male'):.1f} % with the paper's")
    if up:
        lead = (f"A stronger adversary makes the judge accept more of the CSVAE's edits: with {best} it accepts "
                f"{mean(best, 'success_mean'):.1f} % of them against {np.mean(base):.1f} % with the paper's beta4 = "
                f"{beta4(1):g} ({_p(tests[best])}), and {probe}")
    elif not any(np.isfinite(p) for p in tests.values()):
        lead = (f"With one seed per weight there is no test: the judge accepts {mean(best, 'success_mean'):.1f} % of "
                f"the edits with {best} against {np.mean(base):.1f} % with the paper's beta4 = {beta4(1):g}")
    else:
        lead = (f"No stronger adversary makes the judge accept significantly more of the CSVAE's edits than the "
                f"paper's beta4 = {beta4(1):g} ({np.mean(base):.1f} %; {mean(best, 'success_mean'):.1f} % with {best}, "
                f"{_p(tests[best])}), while {probe}")
    parts = []
    for m in rows:
        s = (f"{m}: edits {report.cell(report.per_seed(C, m, 'success_mean'), 1)} %, the male edit "
             f"{report.cell(report.per_seed(C, m, 'success_male'), 1)} %, a probe reads Male off z on "
             f"{report.cell(report.per_seed(C, m, 'probe_z_Male'), 1)} % and the seven labels on "
             f"{report.cell(report.per_seed(C, m, 'probe_z'), 1)} %, reconstruction MSE "
             f"{report.cell(report.per_seed(C, m, 'recon_mse'), 4)}")
        if m != cc.PAPER_CSVAE:
            s += f" (edits against the paper's weight: Welch's test, {_p(tests[m])})"
        parts.append(s)
    majority = mean(cc.PAPER_CSVAE, "probe_z_majority")
    male = report.per_seed(C, cc.PAPER_CSVAE, "probe_z_majority_Male")
    guess = (f"Male on {np.mean(male):.1f} % and " if male else "") + f"the seven labels on {majority:.1f} %"
    return f"{lead}. " + "; ".join(parts) + f"; guessing each label's commoner value reads {guess}."


def evidence(C: dict, factors=FACTORS) -> str:
    """The ablation in one clause for the claims (:func:`vaelab.chapters.results.celeba_csvae_claims`): the edits'
    mean judged success at each adversary weight, each tested against the paper's; "" without ablation runs."""
    rows = [m for m in order(factors) if report.per_seed(C, m, "success_mean")]
    if cc.PAPER_CSVAE not in rows or len(rows) < 2:
        return ""
    base = report.per_seed(C, cc.PAPER_CSVAE, "success_mean")
    said = []
    for m in rows:
        vals = report.per_seed(C, m, "success_mean")
        said.append(f"{report.cell(vals, 1, one_seed_sd=False)} % with "
                    + (f"the paper's beta4 = {beta4(1):g}" if m == cc.PAPER_CSVAE else
                       f"{m} (Welch's test against the paper's weight, {_p(report.welch_p(vals, base))})"))
    n = min(len(report.per_seed(C, m, "success_mean")) for m in rows)
    return (f"the CSVAE-paper retrained with only its adversary's weight changed ({n} seed{'s' if n != 1 else ''}) "
            f"has its edits judged successful on {report.series(said)}")


def _p(p: float) -> str:
    return f"p = {p:.2g}" if np.isfinite(p) else report.NO_TEST


def main(argv=None) -> None:
    import argparse
    import sys

    from ... import cpu
    from .. import domain_translation as dt

    module = "vaelab.chapters.celeba_csvae.ablation"
    ap = argparse.ArgumentParser(prog=f"python -m {module}", description=__doc__.splitlines()[0])
    ap.add_argument("--factors", type=int, nargs="+", default=list(FACTORS))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    cpu.require_pins(module, " ".join(sys.argv[1:] if argv is None else argv))
    torch.set_num_threads(args.threads)
    factors = [check(f) for f in args.factors]
    P = params.validate(profile="book", seeds=args.seeds)
    profile = cc.PROFILES["book"]
    D = dt.load_data(profile, "toyfaces")
    J = dt.judge(P, D)
    R = cc.run(P, D, J, models=("VAE",), evaluate_loaded=False)
    # the page's train-or-load loop: a committed run is loaded and measured, a missing one trained and saved
    for (key, seed), r in run(P, D, J, R, factors).items():
        print(f"{key}, seed {seed}: " + ", ".join(f"{k} {r['metrics'][k]:.3f}" for k in COLUMNS), flush=True)


if __name__ == "__main__":
    main()
