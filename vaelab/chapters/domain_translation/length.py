"""Domain translation's convergence curves: seed 0 of each book domain trained past the book's 3,000 iterations,
with the chapter's own :func:`~vaelab.chapters.domain_translation.evaluate` at log-spaced points
(:mod:`vaelab.curves`).

The reference (oripress/ContentDisentanglement ``train.py``) trains 1,250,000 iterations; the book 3,000. The
headline is what the face judge sees: the attribute added to B faces and removed from A faces, beside the
reconstruction error and the domain probes on the two codes. Every point is evaluated on the model rounded to
float16, as the page loads it. ``make run M=vaelab.chapters.domain_translation.length`` trains into
``checkpoints/domain_translation_curves/`` (ignored by git), resuming an interrupted run; ``ARGS='--save'`` saves
the finished runs under ``weights/domain_translation/<domain>-<total>-s<seed>``, where :func:`load_all` finds them.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ... import REPO, curves, params, report
from .. import domain_translation as dt

CHAPTER = dt.CHAPTER
WORK = REPO / "checkpoints" / "domain_translation_curves"
BOOK = dt.PROFILES["book"].iterations
#: the curve runs (seed 0): domain -> length (five times the book's)
CURVES = {"glasses": 5 * BOOK, "beard": 5 * BOOK}
#: curve runs declared here but not committed yet: the page neither looks them up nor draws them
PENDING: set = set()
#: the curve's headline metrics, with their labels
PANELS = [("add_success", "added: the judge sees it %"), ("remove_success", "removed: the judge misses it %"),
          ("recon_mse", "reconstruction MSE"), ("probe_specific", "E2 (specific) → domain %"),
          ("probe_common", "E1 (common) → domain %")]


def points(total: int) -> tuple:
    """500, then about three points per decade from 1,000, with the book's length and ``total``."""
    return curves.log_points(total, start=1000, extra=(500, BOOK))


def key(domain: str, total: int, seed: int) -> str:
    return f"{domain}-{total}-s{seed}"


def _params():
    return params.validate(profile="book")


def run_config(domain: str, model, total: int, D: dict) -> dict:
    """The book run's config with the curve run's length (its points follow from it: :func:`points`)."""
    in_a, in_b = dt.split(domain, dt.attr_dict(D["train"]["attrs"], D["attributes"]))  # as domain_sets counts
    n_train = (int(in_a.sum()), int(in_b.sum()))
    return {**dt.run_config(domain, model, _params(), n_train, "toyfaces"), "iterations": total}


def setup(progress: bool = True) -> tuple[dict, dict]:
    """The book's ToyFaces and the committed face judge, as the page loads them."""
    D = dt.load_data(dt.PROFILES["book"], "toyfaces", progress=progress)
    return D, dt.judge(_params(), D, progress=progress)


def train_curve(domain: str, total: int, D: dict, J: dict, seed: int = 0, work: Path = WORK,
                progress: bool = True) -> dict:
    """Train ``domain`` for ``total`` iterations, evaluated at :func:`points`; the record lands in ``work``."""
    profile = dt.PROFILES["book"]
    S = dt.domain_sets(D, domain, profile)
    model = dt.build(seed)
    return curves.train(model, S["train"], lambda m: dt.evaluate(m, S, J["model"], domain, D["attributes"], profile,
                                                                 seed),
                        points(total), Path(work) / key(domain, total, seed), batch_size=profile.batch_size,
                        seed=seed, config=run_config(domain, model, total, D), progress=progress,
                        storage=dt.STORAGE)


def save(domain: str, total: int, D: dict, seed: int = 0, work: Path = WORK, overwrite: bool = False) -> Path:
    """Save the finished curve run under ``weights/domain_translation/`` (its last point as the record's metrics)."""
    model = dt.build(seed)
    return curves.save(Path(work) / key(domain, total, seed), model, run_config(domain, model, total, D),
                       CHAPTER, key(domain, total, seed), storage=dt.STORAGE, overwrite=overwrite)


def load_all(D: dict, J: dict | None, seed: int = 0, runs_: dict = CURVES) -> dict:
    """Every committed curve run (not :data:`PENDING`): ``{domain: {"model", "record", "metrics"}}``, the metrics
    recomputed from its weights with the page's judge (none when ``J`` is None; the page never trains a curve
    run)."""
    profile, out = dt.PROFILES["book"], {}
    for domain, total in runs_.items():
        if domain in PENDING:
            continue
        model = dt.build(seed)
        evaluate = None if J is None else lambda m, domain=domain: dt.evaluate(
            m, dt.domain_sets(D, domain, profile), J["model"], domain, D["attributes"], profile, seed)
        r = curves.load(CHAPTER, key(domain, total, seed), model, run_config(domain, model, total, D), evaluate)
        if r is not None:
            out[domain] = r
    return out


def table(loaded: dict, digits: int = 3) -> pd.DataFrame:
    """The curve points of every committed curve run and the last point recomputed (:func:`vaelab.curves.table`)."""
    return curves.table(loaded, PANELS, digits)


#: a judged rate moves (and its curve is not flat) by more than this many points: the page's words and the claims
#: (:func:`vaelab.chapters.results.domain_translation_claims`) use this one rule
FLAT = 2.0


def _lead(loaded: dict) -> str:
    """The length verdict in words: for each committed curve, whether the longer run moves how often the judge sees
    the attribute added and removed (by more than :data:`FLAT` points) and which of the two rates has settled."""
    clauses, pending = [], [dt.DOMAINS[d].noun for d in CURVES if d not in loaded]
    for domain in (d for d in CURVES if d in loaded):
        c, noun = loaded[domain]["record"]["curve"], dt.DOMAINS[domain].noun
        b, e = curves.at(c, BOOK), c[-1]
        add, rem = (("raises" if e[k] - b[k] > FLAT else "lowers" if b[k] - e[k] > FLAT else "barely changes")
                    for k in ("add_success", "remove_success"))
        flat = [w for k, w in (("add_success", "addition"), ("remove_success", "removal"))
                if curves.last_range(c, k) <= FLAT]
        settled = ("both rates have settled" if len(flat) == 2 else f"only the {flat[0]} rate has settled" if flat
                   else "neither rate has settled")
        moved = (f"{add} how often the judge sees {noun} added and removed" if add == rem else
                 f"{add} how often the judge sees {noun} added and {rem} how often it sees {noun} removed")
        clauses.append(f"{moved}, and {settled}")
    text = ""
    if clauses:
        times = {round(loaded[d]["record"]["curve"][-1]["iter"] / BOOK) for d in loaded}
        text = (f"Training {times.pop()} times longer " if len(times) == 1 else "Training longer ") \
            + "; it ".join(clauses) + "."
    if pending:
        text += (" " if text else "") + (f"The curve for {report.series(pending)} is not committed yet, so its "
                                         "verdicts stand on the book's length.")
    return text


def findings(loaded: dict) -> str:
    """The verdict in one plain sentence (:func:`_lead`), then what the judge sees at the book's length and at the
    curve's end, and how much it still moves."""
    out = [_lead(loaded)]
    for domain in CURVES:
        if domain not in loaded:
            continue
        c = loaded[domain]["record"]["curve"]
        b, e = curves.at(c, BOOK), c[-1]
        moves = max(curves.last_range(c, "add_success"), curves.last_range(c, "remove_success"))
        out.append(
            f"{domain.capitalize()}: from the book's {BOOK:,} iterations to {e['iter']:,}, the judge sees the "
            f"attribute added on {b['add_success']:.1f} → {e['add_success']:.1f} % of faces and removed on "
            f"{b['remove_success']:.1f} → {e['remove_success']:.1f} %; the reconstruction MSE goes "
            f"{b['recon_mse']:.4f} → {e['recon_mse']:.4f}; over the last three points the two success rates move "
            f"within {moves:.1f} points.")
    return " ".join(out)


def figure(loaded: dict):
    return curves.figure(loaded, PANELS, {f"book ({BOOK:,})": BOOK})


def main(argv=None):
    curves.command(argv, module=__name__, description=__doc__.splitlines()[0], names=list(CURVES),
                   total=5 * BOOK, threads=2, folder=CHAPTER, work=WORK, key=key, setup=setup,
                   train_one=lambda domain, total, seed, D, J: train_curve(domain, total, D, J, seed),
                   save_one=lambda domain, total, seed, D, J: save(domain, total, D, seed))


if __name__ == "__main__":
    main()
