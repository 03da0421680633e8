"""ACAI's MNIST curves under both protocols: seed 0 of the plain AE and ACAI at latent size 32, trained ten times
the book's 1,000 iterations (about 4 % of the official 262,145), with the official latent classifier trained
alongside (:mod:`vaelab.curves`).

Table 2 of the paper reports the test accuracy of a single-layer classifier that trains with the autoencoder from
its first step, on the gradient-stopped code, with Adam at 1e-4 (``single_layer_classifier`` in the official
scripts): its number measures the classifier's own training as much as the code. The book's probe is trained
afterwards, to convergence, on the frozen standardised code. Each point of these curves measures both on the same
model (the classifier never changes the autoencoder: :meth:`vaelab.models.acai.ConvAE.attach_latent_classifier`),
so the page shows how far the two protocols lie apart and whether ACAI's lead over the plain AE depends on the
protocol or on the length. ``make run M=vaelab.chapters.acai.mnist_length`` trains into ``checkpoints/acai_curves/``
(ignored by git), resuming an interrupted run; ``ARGS='--save'`` saves the finished runs under
``weights/acai/mnist<size>-<slug>-joint-<total>-s<seed>``, where :func:`load_all` finds them.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from ... import REPO, curves, params, report
from .. import acai

CHAPTER = acai.CHAPTER
WORK = REPO / "checkpoints" / "acai_curves"
BOOK = acai.PROFILES["book"].mnist_iterations
TOTAL = 10 * BOOK
SIZE = 32  # the latent size where the book's probe reads the digit slightly better from the plain AE's code
#: the curve runs (seed 0): method -> length
CURVES = {m: TOTAL for m in ("Baseline AE", "ACAI")}
#: curve runs declared here but not committed yet: the page neither looks them up nor draws them
PENDING: set = set()
#: the curve's metrics, with their labels
PANELS = [("joint_acc", "official classifier (trained alongside) %"), ("probe_acc", "book's probe (trained after) %"),
          ("recon_mse", "recon MSE")]
#: a protocol's accuracy still moves when it changes by more than this many points over the last three points
FLAT = 1.0
#: one code reads the digit better than the other where its accuracy leads by more than this many points
MARGIN = 1.0


def points(total: int) -> tuple:
    """About three points per decade from 100, with the book's length and ``total``."""
    return curves.log_points(total, start=100, extra=(BOOK,))


def key(method: str, total: int, seed: int) -> str:
    return f"mnist{SIZE}-{acai.ALL[method][2]}-joint-{total}-s{seed}"


def _build(method: str, seed: int):
    torch.manual_seed(seed)  # as runs.obtain_all seeds a book run before building it
    return acai.build(method, "mnist", SIZE, joint_classifier=True, seed=seed)


def run_config(method: str, model, total: int, seed: int, D: dict) -> dict:
    """The book run's config with the classifier and the curve run's length (its points follow from it)."""
    return {**acai.run_config(method, "mnist", SIZE, model, "book", seed, len(D["train"]["x"])), "iterations": total}


def setup(progress: bool = True) -> tuple[dict]:
    """The book's MNIST data, as the page loads it."""
    return (acai.mnist_data(acai.PROFILES["book"], root=params.validate(profile="book").data_root / "mnist"),)


def train_curve(method: str, total: int, D: dict, seed: int = 0, work: Path = WORK, progress: bool = True) -> dict:
    """Train ``method`` on MNIST for ``total`` iterations with the classifier alongside, evaluated at
    :func:`points`; the record lands in ``work``."""
    profile = acai.PROFILES["book"]
    model = _build(method, seed)
    return curves.train(model, {"x": D["train"]["x"], "y": D["train"]["y"]},
                        lambda m: acai.evaluate(m, "mnist", D, profile, seed), points(total),
                        Path(work) / key(method, total, seed), batch_size=profile.batch_size, seed=seed,
                        config=run_config(method, model, total, seed, D), progress=progress, storage=acai.STORAGE)


def save(method: str, total: int, D: dict, seed: int = 0, work: Path = WORK, overwrite: bool = False) -> Path:
    """Save the finished curve run under ``weights/acai/`` (its last point as the record's metrics)."""
    model = _build(method, seed)
    return curves.save(Path(work) / key(method, total, seed), model, run_config(method, model, total, seed, D),
                       CHAPTER, key(method, total, seed), storage=acai.STORAGE, overwrite=overwrite)


def load_all(D: dict, evaluate: bool = True, seed: int = 0, runs_: dict = CURVES) -> dict:
    """Every committed curve run (not :data:`PENDING`): ``{method: {"model", "record", "metrics"}}``, the metrics
    recomputed from its weights (none when ``evaluate`` is false; the page never trains a curve run)."""
    profile, out = acai.PROFILES["book"], {}
    for method, total in runs_.items():
        if method in PENDING:
            continue
        model = _build(method, seed)
        r = curves.load(CHAPTER, key(method, total, seed), model, run_config(method, model, total, seed, D),
                        (lambda m: acai.evaluate(m, "mnist", D, profile, seed)) if evaluate else None)
        if r is not None:
            out[method] = r
    return out


def table(loaded: dict, digits: int = 2) -> pd.DataFrame:
    """The curve points of every committed curve run and the last point recomputed (:func:`vaelab.curves.table`)."""
    return curves.table(loaded, PANELS, digits)


def _better(name: str, a: float, b: float) -> str:
    """Which code ``name`` reads better, ACAI's (``a``) or the plain AE's (``b``), with both accuracies."""
    if a == b:
        return f"{name} reads the digit equally well from both codes ({a:.1f} %)"
    who = "ACAI's" if a > b else "the plain AE's"
    return f"{name} reads the digit better from {who} code ({max(a, b):.1f} against {min(a, b):.1f} %)"


def _lead(loaded: dict) -> str:
    """The verdict in words: under each protocol, whose code a classifier reads better at the curves' end, and
    whether either protocol's accuracy still moves."""
    missing = [m for m in CURVES if m not in loaded]
    if missing:
        return (f"The MNIST curve{'s' if len(missing) > 1 else ''} of {report.series(missing)} "
                f"{'are' if len(missing) > 1 else 'is'} not committed yet, so the two codes are not compared under "
                "the official protocol on this page.")
    end = {m: loaded[m]["record"]["curve"][-1] for m in CURVES}
    said = [_better(name, end["ACAI"][metric], end["Baseline AE"][metric])
            for metric, name in (("joint_acc", "the official classifier"), ("probe_acc", "the book's probe"))]
    moving = [f"{m}'s {label}" for m in CURVES for metric, label in (("joint_acc", "official accuracy"),
                                                                     ("probe_acc", "probe accuracy"))
              if curves.last_range(loaded[m]["record"]["curve"], metric) > FLAT]
    text = f"Trained to {end['ACAI']['iter']:,} iterations at latent size {SIZE}, {said[0]}, and {said[1]}"
    verb = "moves" if len(moving) == 1 else "move"
    if len(moving) == 2 * len(CURVES):
        moving = [f"all {report.count(len(moving))} accuracies"]
    text += (f"; {report.series(moving)} still {verb} by more than {FLAT:g} point over the last three points."
             if moving else f"; neither protocol's accuracy moves by more than {FLAT:g} point "
             "over the last three points.")
    return text


def findings(loaded: dict) -> str:
    """The verdict in one plain sentence (:func:`_lead`), then each method's accuracy under both protocols at the
    book's length and at the curve's end, and the gap between the protocols."""
    out = [_lead(loaded)]
    for method in (m for m in CURVES if m in loaded):
        c = loaded[method]["record"]["curve"]
        b, e = curves.at(c, BOOK), c[-1]
        out.append(f"{method}: from {BOOK:,} to {e['iter']:,} iterations, the official classifier "
                   f"{b['joint_acc']:.2f} → {e['joint_acc']:.2f} %, the book's probe {b['probe_acc']:.2f} → "
                   f"{e['probe_acc']:.2f} % (at the end the probe minus the official classifier: "
                   f"{e['probe_acc'] - e['joint_acc']:+.2f} points), recon MSE {b['recon_mse']:.4f} → "
                   f"{e['recon_mse']:.4f}.")
    return " ".join(out)


def figure(loaded: dict):
    return curves.figure(loaded, PANELS, {f"book ({BOOK:,})": BOOK})


#: the command line names a curve by its method's weights slug (``--names ae acai``)
SLUGS = {acai.ALL[m][2]: m for m in CURVES}


def main(argv=None):
    curves.command(argv, module=__name__, description=__doc__.splitlines()[0], names=list(SLUGS),
                   total=TOTAL, threads=2, folder=CHAPTER, work=WORK, key=lambda s, t, seed: key(SLUGS[s], t, seed),
                   setup=setup, train_one=lambda slug, total, seed, D: train_curve(SLUGS[slug], total, D, seed),
                   save_one=lambda slug, total, seed, D: save(SLUGS[slug], total, D, seed))


if __name__ == "__main__":
    main()
