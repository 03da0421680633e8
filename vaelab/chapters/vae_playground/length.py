"""The conjoint models' convergence curve: seed 0 trained past the book's 1,500 iterations, with the chapter's own
:func:`~vaelab.chapters.vae_playground.conjoint.evaluate` at log-spaced points (:mod:`vaelab.curves`).

The reference (conjoint_experiments.py) trains 499,000 iterations; the book 1,500. The headline is the iterative
background transfer (the source digit on the target background, as the two judges see it) and the probes on the
private codes. ``make run M=vaelab.chapters.vae_playground.length`` trains into
``checkpoints/vae_playground_curves/`` (ignored by git), resuming an interrupted run; ``--save`` saves it under
``weights/vae_playground/<model>-<total>-s<seed>`` with its curve in the record, where :func:`load` finds it.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from ... import REPO, curves, params
from . import conjoint as vc
from . import CHAPTER, PROFILES

WORK = REPO / "checkpoints" / "vae_playground_curves"
BOOK = PROFILES["book"].conjoint_iterations
REFERENCE = PROFILES["paper"].conjoint_iterations
#: the committed curve runs (seed 0): model -> length (five times the book's)
CURVES = {"Conjoint VAE": 5 * BOOK}
#: the curve's headline metrics, with their labels
PANELS = [("transfer4_both", "background transfer, pass 4"), ("probe_private0_background0", "private z0 → background"),
          ("probe_private0_digit", "private z0 → digit"), ("probe_shared_digit", "shared s → digit"),
          ("excess0", "NLL − H(x0), nats")]


def points(total: int) -> tuple:
    """500, then about three points per decade from 1,000, with the book's length and ``total``."""
    return curves.log_points(total, start=1000, extra=(500, BOOK))


def key(name: str, total: int, seed: int) -> str:
    return f"{vc.SLUG[name]}-{total}-s{seed}"


def run_config(name: str, model, total: int, seed: int) -> dict:
    """The book run's config with the curve run's length (its points follow from it: :func:`points`)."""
    return {**vc.run_config(name, model, "book", seed), "iterations": total}


def _build(name: str, seed: int):
    torch.manual_seed(seed)  # as the chapter's run(): the initial weights come from the seed
    return vc.build(name, PROFILES["book"].conjoint_nets)


def _setup(data_root="data", progress: bool = True):
    P = params.validate(profile="book", data_root=data_root)
    D = vc.data(PROFILES["book"], root=P.data_root / "mnist")
    return D, vc.judges(P, D, progress=progress)


def train_curve(name: str, total: int, seed: int = 0, work: Path = WORK, progress: bool = True) -> dict:
    """Train ``name`` for ``total`` iterations, evaluated at :func:`points`; the record lands in ``work``."""
    D, J = _setup(progress=progress)
    profile = PROFILES["book"]
    model = _build(name, seed)
    return curves.train(model, {k: D["train"][k] for k in ("x0", "x1")},
                        lambda m: vc.evaluate(m, D, J, profile, seed), points(total),
                        Path(work) / key(name, total, seed),
                        batch_size=profile.conjoint_batch, seed=seed, config=run_config(name, model, total, seed),
                        progress=progress)


def save(name: str, total: int, seed: int = 0, work: Path = WORK, overwrite: bool = False) -> Path:
    """Save the finished curve run under ``weights/vae_playground/`` (its last point as the record's metrics)."""
    model = _build(name, seed)
    return curves.save(Path(work) / key(name, total, seed), model, run_config(name, model, total, seed), CHAPTER,
                       key(name, total, seed), overwrite=overwrite)


def load_all(D: dict | None, J: dict | None, seed: int = 0, runs_: dict = CURVES) -> dict:
    """Every committed curve run: ``{model: {"model", "record", "metrics"}}``, the metrics recomputed from its
    weights on the page's data and judges (none when ``D`` is None; the page never trains a curve run)."""
    out = {}
    for name, total in runs_.items():
        model = _build(name, seed)
        r = curves.load(CHAPTER, key(name, total, seed), model, run_config(name, model, total, seed),
                        None if D is None else lambda m: vc.evaluate(m, D, J, PROFILES["book"], seed))
        if r is not None:
            out[name] = r
    return out


def table(loaded: dict, digits: int = 3) -> pd.DataFrame:
    """The curve points of every committed curve run and the last point recomputed (:func:`vaelab.curves.table`)."""
    return curves.table(loaded, PANELS, digits)


#: the transfer counts as still moving when its last three curve points spread over more than this
SETTLED = 0.01


def findings(loaded: dict) -> str:
    """Per curve run, one plain sentence first: whether training longer lifts the last transfer pass above the
    bare targets (:func:`~vaelab.chapters.vae_playground.conjoint.beats_floor`) and whether it still moves over
    the curve's last three points (:data:`SETTLED`); then the curve's numbers."""
    out = []
    for name, r in loaded.items():
        c = r["record"]["curve"]
        b, e = curves.at(c, BOOK), c[-1]
        was, now = (vc.beats_floor(p["transfer4_both"], p["floor_both"]) for p in (b, e))
        same = "leaving the target background as it is"
        effect = {(False, False): f"does not lift the {name}'s background transfer above {same}",
                  (False, True): f"lifts the {name}'s background transfer above {same}",
                  (True, False): f"drops the {name}'s background transfer to no better than {same}",
                  (True, True): f"keeps the {name}'s background transfer above {same}"}[was, now]
        moving = curves.last_range(c, "transfer4_both") > SETTLED
        out.append(
            f"Training {e['iter'] / BOOK:.0f} times longer {effect}, and the transfer "
            f"{'has not settled' if moving else 'has levelled off'}. From the book's {BOOK:,} iterations to "
            f"{e['iter']:,}, the fourth transfer pass succeeds on "
            f"{b['transfer4_both']:.1%} → {e['transfer4_both']:.1%} (the bare targets alone {e['floor_both']:.1%}), "
            f"the private code z0 reads the background at {b['probe_private0_background0']:.1%} → "
            f"{e['probe_private0_background0']:.1%} and the digit at {b['probe_private0_digit']:.1%} → "
            f"{e['probe_private0_digit']:.1%}; over the last three points the transfer moves within "
            f"{curves.last_range(c, 'transfer4_both'):.3f}.")
    return " ".join(out)


def figure(loaded: dict):
    return curves.figure(loaded, PANELS, {f"book ({BOOK:,})": BOOK})


def main(argv=None):
    curves.command(argv, module=__name__, description=__doc__.splitlines()[0], names=list(CURVES),
                   total=5 * BOOK, threads=2, folder=CHAPTER, work=WORK, key=key, choices=vc.CONJOINT_MODELS,
                   train_one=lambda name, total, seed: train_curve(name, total, seed),
                   save_one=lambda name, total, seed: save(name, total, seed))


if __name__ == "__main__":
    main()
