"""The faces' convergence curves: seed 0 of each model trained ten times the book's 1,000 iterations, with the
chapter's own :func:`~vaelab.chapters.celeba_csvae.evaluate` at log-spaced points (:mod:`vaelab.curves`).

The book trains each model 1,000 iterations from the convolutions of a VAE trained 2,400; the notebook it follows
trains 250 epochs of CelebA (318,000 iterations at batch 128). CondVAE, CondVAE-info and both CSVAEs start, as in
the book, from the committed seed-0 VAE and train 10,000 iterations; the VAE itself trains 12,400 from scratch (its
2,400 and the others' 10,000). The headline is what the face judge accepts: the mean success of the slides' four
edits and the glasses interpolation, beside the reconstruction error and how much each part of the latent carries
(KL(z), the CSVAE's KL(w)). Every point is measured on the model rounded to float16, as the page loads it, without
the disentanglement scores (MIG, DCI and SAP take most of an evaluation's time and are not the verdict's).

``make run M=vaelab.chapters.celeba_csvae.length ARGS='--names csvae_paper condvae'`` trains into
``checkpoints/celeba_csvae_curves/`` (ignored by git), resuming an interrupted run; ``ARGS='... --save'`` saves the
finished runs under ``weights/celeba_csvae/<model>-<total>-s<seed>``, where :func:`load_all` finds them.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from ... import REPO, curves, params, report, runs, weights
from ...models.conv_vae import copy_convolutions
from .. import celeba_csvae as cc
from .. import domain_translation as dt

CHAPTER = cc.CHAPTER
WORK = REPO / "checkpoints" / "celeba_csvae_curves"
BOOK = cc.PROFILES["book"].iterations          # each model after the VAE: 1,000
BOOK_VAE = cc.PROFILES["book"].vae_iterations  # the VAE: 2,400
TOTAL = 10 * BOOK
#: the curve runs (seed 0): model -> length; the VAE trains as many iterations as the others' whole training
CURVES = {m: BOOK_VAE + TOTAL if m == "VAE" else TOTAL for m in cc.MODELS}
#: curve runs declared here but not committed yet: the page neither looks them up nor draws them
PENDING: set = set(CURVES) - {"CSVAE-paper", "CondVAE", "CondVAE-info", "CSVAE"}
#: the curve's metrics, with their labels (KL(w): the CSVAEs only)
#: (the glasses path ends on the add-glasses edit, so its success is that edit's: the panel shows the hardest of the
#: four edits on its own)
PANELS = [("success_mean", "four edits: judged success %"), ("interp_success", "glasses path's end: judged success %"),
          ("recon_mse", "reconstruction MSE"), ("kl_z", "KL(z), nats"), ("kl_w", "KL(w), nats"),
          ("probe_z", "labels off z: probe accuracy %")]
#: a judged rate moves (its curve is not flat) by more than this many points
FLAT = 2.0
#: the reconstruction MSE moves by more than this fraction of its last value
MSE_FLAT = 0.05


def points(model: str, total: int) -> tuple:
    """100, 200, 500, then about three points per decade, with the book's length of ``model`` and ``total``."""
    return curves.log_points(total, start=100, extra=(BOOK_VAE if model == "VAE" else BOOK,))


def key(model: str, total: int, seed: int) -> str:
    return f"{cc.SLUG[model]}-{total}-s{seed}"


def book_length(model: str) -> int:
    return BOOK_VAE if model == "VAE" else BOOK


def _params(profile: str):
    return params.validate(profile=profile)


def _vae(profile: str, seed: int):
    """The committed VAE of ``seed`` that the book's other models start from, and its record; (None, None) when it
    is not committed."""
    vae = cc.build("VAE", seed, cc.PROFILES[profile])
    stem = runs.find(CHAPTER, runs.run_name(cc.SLUG["VAE"], seed, None),
                     cc.run_config("VAE", vae, _params(profile), "toyfaces", None))
    if stem is None:
        return None, None
    _, rec = weights.load(stem, vae)
    return vae.eval(), rec


def run_config(model: str, net, total: int, base_sha: str | None, profile: str = "book") -> dict:
    """The book run's config with the curve run's length (its points follow from it: :func:`points`); ``base_sha``:
    the sha256 of the VAE it starts from (None for the VAE)."""
    return {**cc.run_config(model, net, _params(profile), "toyfaces", base_sha), "iterations": total}


def setup(progress: bool = True, profile: str = "book", seed: int = 0) -> tuple[dict]:
    """What training and measuring a curve need, as the page loads it: the book's ToyFaces, the committed face
    judge, the evaluation sets and the judge's readings of them (:func:`~vaelab.chapters.celeba_csvae.reference`),
    and the committed VAE of ``seed``."""
    prof = cc.PROFILES[profile]
    D = dt.load_data(prof, "toyfaces", progress=progress)
    J = dt.judge(_params(profile), D, progress=progress)
    return (context(D, J["model"], profile, seed),)


def context(D: dict, judge, profile: str = "book", seed: int = 0, vae=None) -> dict:
    """The setup from data and a judge; ``vae``: ``(model, record)`` of the VAE the others start from (default: the
    committed one)."""
    S = cc.eval_sets(D, cc.PROFILES[profile])
    vae, vae_rec = _vae(profile, seed) if vae is None else vae
    return {"D": D, "judge": judge, "S": S, "ref": cc.reference(S, judge, D["attributes"]), "profile": profile,
            "vae": vae, "seed": seed, "base_sha": _base_sha(vae_rec)}


def _base_sha(vae_rec: dict | None) -> str | None:
    """What a run config records of the VAE it starts from, as :func:`~vaelab.chapters.celeba_csvae.run` does."""
    return None if vae_rec is None else vae_rec.get("sha256", "untrained smoke run")


def measure(net, ctx: dict) -> dict:
    """The page's evaluation without the disentanglement scores (its ``success_mean``, the mean of the four edits'
    judged success, is the curves' headline)."""
    prof, D = cc.PROFILES[ctx["profile"]], ctx["D"]
    return cc.evaluate(net, ctx["S"], ctx["judge"], D["attributes"], cc.directions_for(net, D, prof), ctx["ref"],
                       disentangle=False)


def _build(model: str, seed: int, ctx: dict):
    if model != "VAE" and ctx["seed"] != seed:
        raise ValueError(f"seed {seed}: the setup holds the VAE of seed {ctx['seed']}; set it up for seed {seed}")
    torch.manual_seed(seed)   # as runs.obtain_all seeds a book run before building it
    net = cc.build(model, seed, cc.PROFILES[ctx["profile"]])
    if model != "VAE":
        if ctx["vae"] is None:
            raise FileNotFoundError(f"{model} starts from the committed seed-{seed} VAE of weights/{CHAPTER}/, "
                                    "which is not there: train the page's VAE first")
        copy_convolutions(net, ctx["vae"])
    return net


def _config(model: str, net, total: int, ctx: dict) -> dict:
    return run_config(model, net, total, None if model == "VAE" else ctx["base_sha"], ctx["profile"])


def train_curve(model: str, total: int, ctx: dict, seed: int = 0, work: Path = WORK, progress: bool = True) -> dict:
    """Train ``model`` for ``total`` iterations as the page trains it, measured at :func:`points`; the record lands
    in ``work``."""
    prof, D = cc.PROFILES[ctx["profile"]], ctx["D"]
    net = _build(model, seed, ctx)
    data = {"x": D["train"]["x"], "y": cc.labels(D["train"], D["attributes"])}
    return curves.train(net, data, lambda m: measure(m, ctx), points(model, total),
                        Path(work) / key(model, total, seed), batch_size=prof.batch_size, seed=seed,
                        config=_config(model, net, total, ctx), progress=progress, storage=cc.STORAGE)


def save(model: str, total: int, ctx: dict, seed: int = 0, work: Path = WORK, overwrite: bool = False) -> Path:
    """Save the finished curve run under ``weights/celeba_csvae/`` (its last point as the record's metrics)."""
    net = cc.build(model, seed, cc.PROFILES[ctx["profile"]])
    return curves.save(Path(work) / key(model, total, seed), net, _config(model, net, total, ctx), CHAPTER,
                       key(model, total, seed), storage=cc.STORAGE, overwrite=overwrite)


def load_all(ctx: dict, evaluate: bool = True, seed: int = 0, runs_: dict = CURVES) -> dict:
    """Every committed curve run (not :data:`PENDING`): ``{model: {"model", "record", "metrics"}}``, the metrics
    recomputed from its weights (none when ``evaluate`` is false; the page never trains a curve run). ``ctx`` needs
    only ``"profile"`` and ``"base_sha"`` when ``evaluate`` is false (:func:`census_context`)."""
    out = {}
    for model, total in runs_.items():
        if model in PENDING:
            continue
        net = cc.build(model, seed, cc.PROFILES[ctx["profile"]])
        r = curves.load(CHAPTER, key(model, total, seed), net, _config(model, net, total, ctx),
                        (lambda m: measure(m, ctx)) if evaluate else None)
        if r is not None:
            out[model] = r
    return out


def committed(D: dict, judge, seed: int = 0) -> dict:
    """:func:`load_all` for the page, measured with its data and judge; nothing is set up while every curve is
    :data:`PENDING`."""
    return load_all(context(D, judge, seed=seed), seed=seed) if set(CURVES) - PENDING else {}


def census_context(seed: int = 0) -> dict:
    """What :func:`load_all` needs to find the committed curve runs without measuring them (nothing is read while
    every curve is :data:`PENDING`)."""
    if not set(CURVES) - PENDING:
        return {"profile": "book", "base_sha": None}
    return {"profile": "book", "base_sha": _base_sha(_vae("book", seed)[1])}


#: the table's columns: the panels under short names, so that the table fits the page's text column
TABLE = [("success_mean", "edits %"), ("interp_success", "glasses path's end %"), ("recon_mse", "recon MSE"),
         ("kl_z", "KL(z)"), ("kl_w", "KL(w)"), ("probe_z", "labels off z %")]


def table(loaded: dict, digits: int = 3) -> pd.DataFrame:
    """The curve points of every committed curve run and the last point recomputed (:func:`vaelab.curves.table`)."""
    return curves.table(loaded, TABLE, digits)


def _change(before: float, after: float) -> str:
    return "rises" if after - before > FLAT else "falls" if before - after > FLAT else "barely changes"


def _lead(loaded: dict) -> str:
    """The length verdict in words: whether training longer makes the judge accept more of each model's edits (the
    four slide edits' mean success, by more than :data:`FLAT` points), whose edits it accepts most at the curves'
    end, and whose success still moves."""
    pending = [m for m in CURVES if m not in loaded]
    if not loaded:
        return "No faces curve is committed yet, so every verdict on this page stands on the book's length."
    groups = {}
    for m in (m for m in CURVES if m in loaded):
        c = loaded[m]["record"]["curve"]
        groups.setdefault(_change(curves.at(c, book_length(m))["success_mean"], c[-1]["success_mean"]), []).append(m)
    said = []
    for change, words in (("rises", "more of"), ("falls", "fewer of"), ("barely changes", "about as many of")):
        if groups.get(change):
            said.append(f"{words} {'the edits of' if not said else 'those of'} {report.series(groups[change])}")
    end = {m: loaded[m]["record"]["curve"][-1]["success_mean"] for m in CURVES if m in loaded}
    best = max(end, key=end.get)
    moving = [m for m in end if curves.last_range(loaded[m]["record"]["curve"], "success_mean") > FLAT]
    vae = f" (the VAE to {CURVES['VAE']:,}: its {BOOK_VAE:,} and the others' together)" if "VAE" in loaded else ""
    text = (f"Trained ten times the book's {BOOK:,} iterations{vae}, the judge accepts {report.series(said)} (the "
            f"four slide edits' mean success, a change of more than {FLAT:g} points counted)")
    if len(loaded) > 1:
        text += f"; at the curves' end it accepts {best}'s edits most often ({end[best]:.1f} % on average)"
    else:
        text += f"; at the curve's end it accepts {end[best]:.1f} % of them on average"
    text += (f", and the success of {report.series(moving)} still moves by more than {FLAT:g} points over the last "
             "three points." if moving else ", and no success rate moves by more than "
             f"{FLAT:g} points over the last three points.")
    if pending:
        text += (f" The curve of {pending[0]} is not committed yet." if len(pending) == 1 else
                 f" The curves of {report.series(pending)} are not committed yet.")
    return text


def findings(loaded: dict) -> str:
    """The verdict in one plain sentence (:func:`_lead`), then each model's judged success, reconstruction MSE and
    KL terms at the book's length and at the curve's end."""
    out = [_lead(loaded)]
    for model in (m for m in CURVES if m in loaded):
        c = loaded[model]["record"]["curve"]
        b, e = curves.at(c, book_length(model)), c[-1]
        kl = f"KL(z) {b['kl_z']:.1f} → {e['kl_z']:.1f}" + (f", KL(w) {b['kl_w']:.1f} → {e['kl_w']:.1f}"
                                                            if "kl_w" in e else "")
        probe = (f"; a linear probe per label reads a label off z on {b['probe_z']:.1f} → {e['probe_z']:.1f} % of the "
                 f"test faces (Male {b['probe_z_Male']:.1f} → {e['probe_z_Male']:.1f} %, the gender edit's judged "
                 f"success {b['success_male']:.1f} → {e['success_male']:.1f} %)" if "probe_z" in e else "")
        out.append(f"{model}: from {book_length(model):,} to {e['iter']:,} iterations, the four edits' judged "
                   f"success {b['success_mean']:.1f} → {e['success_mean']:.1f} % (it moves "
                   f"{curves.last_range(c, 'success_mean'):.1f} points over the last three points), the glasses "
                   f"path's end (the add-glasses edit) {b['interp_success']:.1f} → {e['interp_success']:.1f} %, "
                   f"reconstruction MSE {b['recon_mse']:.4f} → {e['recon_mse']:.4f}, {kl} nats{probe}.")
    return " ".join(out)


def figure(loaded: dict):
    return curves.figure(loaded, PANELS, {f"book ({BOOK:,})": BOOK, f"book's VAE ({BOOK_VAE:,})": BOOK_VAE})


def main(argv=None):
    curves.command(argv, module=__name__, description=__doc__.splitlines()[0], names=[cc.SLUG[m] for m in CURVES],
                   total=TOTAL, threads=2, folder=CHAPTER, work=WORK,
                   key=lambda slug, total, seed: key(SLUGS[slug], _total(slug, total), seed), setup=setup,
                   train_one=lambda slug, total, seed, ctx: train_curve(SLUGS[slug], _total(slug, total), ctx, seed),
                   save_one=lambda slug, total, seed, ctx: save(SLUGS[slug], _total(slug, total), ctx, seed))


#: the command line names a curve by its model's weights slug (``--names vae csvae_paper``)
SLUGS = {cc.SLUG[m]: m for m in CURVES}


def _total(slug: str, total: int) -> int:
    """``--total`` is the length after the VAE; the VAE's own curve adds its book length."""
    return total + BOOK_VAE if SLUGS[slug] == "VAE" else total


if __name__ == "__main__":
    main()
