"""The toy chapter's convergence curves: seed 0 of each model trained past the book's 20,000 iterations, with the
chapter's own :func:`~vaelab.chapters.toy_csvae.evaluate` at log-spaced points along the way.

The reference (alexlyzhov/latent-subspaces, csvae_toy) trains 2,300 epochs of 10,000 points at batch 32
(719,900 iterations); the book trains 20,000. A curve run trains the book's model, data, seed and batch (the same
:class:`~vaelab.train.Trainer` as the page; the evaluations along the way leave the batches' RNG alone, so its
first 20,000 iterations are what the chapter's ``run`` trains) and records the metrics at each point, so that the
page can show where each metric stops moving.

``make run M=vaelab.chapters.toy_csvae.length ARGS='--total 200000 --names CSVAE CondVAE'`` (the Makefile's CPU
pins: the page recomputes the last point) trains into
``checkpoints/toy_curves/`` (ignored by git), resuming from the checkpoint an interrupted run left there;
``--save`` then saves each finished run under ``weights/toy_csvae/<model>-<total>-s<seed>`` with its curve in the
record, where :func:`load` finds it for the page.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ... import REPO, curves, runs, weights
from ...data import swissroll
from ...metrics.mi import ba_lower_bound
from ...report import per_seed, sd
from ...train import Trainer
from .. import toy_csvae as toy

#: where curve runs train (ignored by git)
WORK = REPO / "checkpoints" / "toy_curves"
#: the book's and the reference's lengths (iterations)
BOOK = toy.PROFILES["book"].iterations
REFERENCE = toy.PROFILES["paper"].iterations
#: the committed curve runs (seed 0): the reference's length for the CSVAE, its ablation without adversary and
#: CondVAE, the models the verdicts compare; 200,000 for the other three, whose curves are flat well before
CURVES = {"VAE": 200_000, "CondVAE": REFERENCE, "CondVAE-info": 200_000, "CSVAE": REFERENCE,
          "CSVAE-noadv": REFERENCE, "CSVAE-strongadv": 200_000}


def curve_points(total: int) -> tuple:
    """About three points per decade from 1,000 up to ``total``, with the book's 20,000."""
    return curves.log_points(total, start=1000, extra=(BOOK,))


def key(name: str, total: int, seed: int) -> str:
    return f"{toy.SLUG[name]}-{total}-s{seed}"


def run_config(name: str, model, total: int, seed: int) -> dict:
    """The book run's config (its ``schedule`` the book's) with the curve run's length (its points follow from it:
    :func:`curve_points`)."""
    return {**toy.run_config(name, model, "book", seed), "iterations": total}


def train_curve(name: str, total: int, seed: int = 0, work: Path = WORK, progress: bool = True) -> dict:
    """Train ``name`` for ``total`` iterations, evaluating at :func:`curve_points`; returns the record written to
    ``work/<key>.json`` (the curve) beside ``work/<key>.pt`` (the final weights)."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    stem = work / key(name, total, seed)
    profile = toy.PROFILES["book"]
    D = toy.data(profile, seed)
    torch.manual_seed(seed)  # as the chapter's run(): the initial weights come from the seed
    model = toy.build(name)
    points = curve_points(total)
    partial = stem.with_suffix(".curve.json")  # the points measured so far (kept across a resume)
    curve = json.loads(partial.read_text()) if partial.exists() else []

    def callback(it, trainer):
        if it in points and all(p["iter"] != it for p in curve):
            t = time.perf_counter()
            with torch.random.fork_rng(devices=[]):  # the probes seed the global RNG; the batches must not see it
                m = toy.evaluate(trainer.model, D, profile, seed)
            trainer.model.train()
            curve.append({"iter": it, **m, "eval_s": round(time.perf_counter() - t, 2)})
            tmp = partial.with_name(partial.name + ".tmp")
            tmp.write_text(json.dumps(curve, indent=1) + "\n")
            os.replace(tmp, partial)

    trainer = Trainer(model, model.steps(), {"x": D["train"]["x"], "y": D["train"]["y"]},
                      batch_size=profile.batch_size, iterations=total, seed=seed, capture=False,
                      ckpt_path=stem.with_suffix(".ckpt"), ckpt_every=10_000, log_every=500,
                      progress=progress, desc=key(name, total, seed), callback=callback)
    result = trainer.fit()
    record = {"model": name, "seed": seed, "iterations": result.iterations, "wall_s": result.wall_s,
              "config": run_config(name, model, total, seed),
              "curve": sorted(curve, key=lambda p: p["iter"]), "history": result.history,
              "device": weights.device_name("cpu"), "torch": torch.__version__}
    torch.save(model.state_dict(), stem.with_suffix(".pt"))
    stem.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    stem.with_suffix(".ckpt").unlink(missing_ok=True)
    return record


def save(name: str, total: int, seed: int = 0, work: Path = WORK, overwrite: bool = False) -> Path:
    """Save the finished curve run under ``weights/toy_csvae/`` (its last curve point as the record's metrics)."""
    stem = Path(work) / key(name, total, seed)
    rec = json.loads(stem.with_suffix(".json").read_text())
    torch.manual_seed(seed)
    model = toy.build(name)
    model.load_state_dict(torch.load(stem.with_suffix(".pt"), weights_only=True))
    config = run_config(name, model, total, seed)
    if rec["config"] != weights.config_dict(config):
        raise ValueError(f"{stem}.json: trained with another config than the one declared now "
                         f"({'; '.join(weights.config_diff(rec['config'], config))})")
    last = {k: v for k, v in rec["curve"][-1].items() if k not in ("iter", "eval_s")}
    target = runs.ROOT / "weights" / toy.CHAPTER / key(name, total, seed)
    weights.save(target, model.eval(), config=config, metrics=last, seed=seed, device="cpu", wall_s=rec["wall_s"],
                 replace=overwrite, extra={"curve": rec["curve"], "history": rec["history"],
                                           "iterations": rec["iterations"], "device": rec["device"]})
    return target


def load(name: str, total: int, D: dict | None = None, seed: int = 0) -> dict | None:
    """The committed curve run: ``{"model", "record", "metrics"}`` with the metrics recomputed from its weights on
    ``D`` (the page's data of ``seed``), or None when it is not committed (the page never trains it)."""
    torch.manual_seed(seed)
    model = toy.build(name)
    return curves.load(toy.CHAPTER, key(name, total, seed), model, run_config(name, model, total, seed),
                       None if D is None else lambda m: toy.evaluate(m, D, toy.PROFILES["book"], seed))


def load_all(D: dict | None, seed: int = 0, curves: dict = CURVES) -> dict:
    """:func:`load` for every committed curve run: ``{model: {"model", "record", "metrics"}}`` (no metrics when
    ``D`` is None)."""
    out = {name: load(name, total, D, seed) for name, total in curves.items()}
    return {name: r for name, r in out.items() if r is not None}


@torch.no_grad()
def adversary_split(model, D: dict, threshold: float = 0.9) -> dict:
    """What a CSVAE's own adversary reads off the test points' z (posterior means, the z the flip keeps), and
    how the flip fares where the adversary gives the point's own (source) class at least ``threshold``.

    ``adversary_bits``: H(y) - CE of the adversary (Barber-Agakov, bits); ``sure``: share of the points it is
    that sure about; ``flip_sure`` / ``flip_rest``: share of those (of the others) whose flip lands on the new
    label's side; ``failures_sure``: share of all failed flips that are among the sure points."""
    te = D["test"]
    x, y = te["x"].cpu(), te["y"].cpu()
    model = model.cpu().eval()
    mz, _ = model.enc_z(x)
    logit = model.adversary(mz)
    bits = ba_lower_bound(torch.cat([torch.zeros_like(logit), logit], 1), y[:, 0].long())
    p1 = torch.sigmoid(logit[:, 0])
    source = torch.where(y[:, 0] == 1, p1, 1 - p1)
    hit = swissroll.label(model.transfer(x, y, 1 - y)) == (1 - y[:, 0])
    sure = source >= threshold
    fails = ~hit
    return {"adversary_bits": bits, "sure": float(sure.float().mean()),
            "flip_sure": float(hit[sure].float().mean()), "flip_rest": float(hit[~sure].float().mean()),
            "failures_sure": float((fails & sure).sum() / fails.sum().clamp_min(1))}


#: a curve's point at an iteration, and how much a metric moved over its last points (:mod:`vaelab.curves`)
at, last_points_range = curves.at, curves.last_range


def adversary_effect(with_adv: list, without: list, key: str = "mi_z") -> dict:
    """Along two curves with the same points: at how many points ``key`` is lower with the adversary than
    without it, and the largest such reduction (0 when there is none)."""
    b = {p["iter"]: p[key] for p in without}
    diffs = [b[p["iter"]] - p[key] for p in with_adv if p["iter"] in b]
    return {"points": len(diffs), "lower": sum(d > 0 for d in diffs), "largest": max([0.0] + diffs)}


TABLE_COLUMNS = {"recon_mse": "recon MSE", "mi_z": "I(y;z) bits", "mi_w": "I(y;w) bits",
                 "flip": "flip success (balanced)"}


def table(loaded: dict, digits: int = 3) -> pd.DataFrame:
    """One row per committed curve run: its length, the metrics recomputed from its weights, how much flip and
    I(y;z) moved over its curve's last three points, and whether the recomputed metrics equal the curve's last
    point (to 1e-6)."""
    rows = {}
    for name, r in loaded.items():
        curve, m = r["record"]["curve"], r["metrics"]
        row = {"iterations": f"{curve[-1]['iter']:,}"}
        row.update({label: (f"{m[k]:.{digits}f}" if k in m else "") for k, label in TABLE_COLUMNS.items()})
        row["flip range, last 3 points"] = f"{last_points_range(curve, 'flip'):.{digits}f}" if "flip" in m else ""
        row["I(y;z) range, last 3 points"] = f"{last_points_range(curve, 'mi_z'):.{digits}f}"
        same = all(abs(curve[-1][k] - v) <= 1e-6 for k, v in m.items())
        row["= last curve point"] = "yes" if same else "no"
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def findings(loaded: dict, book: dict, D: dict, seed: int = 0) -> str:
    """The length verdict, worded from the curves, the recomputed end points and the adversary's reading;
    ``book`` is the page's ``toy.run`` results (for the committed book weights of ``seed``)."""
    cs, cd, na = loaded["CSVAE"], loaded["CondVAE"], loaded.get("CSVAE-noadv")
    end_cs, end_cd = cs["metrics"], cd["metrics"]
    n_cs, n_cd = cs["record"]["curve"][-1]["iter"], cd["record"]["curve"][-1]["iter"]
    b_cs, b_cd = at(cs["record"]["curve"], BOOK), at(cd["record"]["curve"], BOOK)
    gap_book, gap_end = b_cd["flip"] - b_cs["flip"], end_cd["flip"] - end_cs["flip"]
    closes = ("leaves CondVAE's flip no better than CSVAE's" if gap_book <= 0 else
              "closes the flip gap to CondVAE" if gap_end <= 0 else
              f"closes {1 - gap_end / gap_book:.0%} of the flip gap to CondVAE")
    label = ("but does not remove the label left in z" if end_cs["mi_z"] >= toy.NO_LABEL_BITS
             else "and leaves z all but free of the label")
    parts = [f"Training {n_cs / BOOK:.0f} times longer {closes} {label}. "
             f"CSVAE's flip succeeds on {end_cs['flip']:.1%} at "
             f"{n_cs:,} iterations against {b_cs['flip']:.1%} at the book's {BOOK:,} (CondVAE "
             f"{end_cd['flip']:.1%} at {n_cd:,}, {b_cd['flip']:.1%} at {BOOK:,}); "
             f"over the curve's last three points it moves within "
             f"{last_points_range(cs['record']['curve'], 'flip'):.3f}."]
    if na is not None:
        e = adversary_effect(cs["record"]["curve"], na["record"]["curve"])
        head = (f"At {n_cs:,} z holds {end_cs['mi_z']:.3f} bits with the adversary and {na['metrics']['mi_z']:.3f} "
                f"without it ({b_cs['mi_z']:.3f} and {at(na['record']['curve'], BOOK)['mi_z']:.3f} at {BOOK:,}); "
                f"along the curves z holds less with the adversary than without at {e['lower']} of {e['points']} "
                f"points")
        parts.append(f"{head}, by at most {e['largest']:.3f} bits: at no length up to the reference's does the "
                     f"adversary remove a measurable part of the label." if e["largest"] < 0.01 else
                     f"{head}, by up to {e['largest']:.3f} bits.")
    a = adversary_split(cs["model"], D)
    parts.append(f"The encoder does not win its game: the adversary itself reads {a['adversary_bits']:.3f} "
                 f"bits off the test points' z. That residual label is where the flips fail: "
                 f"{a['failures_sure']:.0%} of CSVAE's failed flips are among the {a['sure']:.0%} of points "
                 f"whose z the adversary gives to their own class with probability 0.9 or more; there "
                 f"{a['flip_sure']:.1%} of the flips land, elsewhere {a['flip_rest']:.1%}.")
    if ("CSVAE", seed) in book:
        bm = book[("CSVAE", seed)]["metrics"]
        flips = per_seed(book, "CSVAE", "flip")
        if abs(bm["flip"] - b_cs["flip"]) > 1e-6:
            parts.append(f"(The curve's {BOOK:,}-iteration point is today's trainer on the book's data and seed; "
                         f"the committed book weights of seed {seed}, trained by an earlier commit, give "
                         f"{bm['flip']:.1%}; over the book's {len(flips)} seeds {np.mean(flips):.1%} ± "
                         f"{sd(flips):.1%}.)")
    return " ".join(parts)


def figure(loaded: dict):
    """Flip success, I(y;z), I(y;w) and recon MSE against iterations, the book's and the reference's lengths
    marked."""
    from ... import plots
    curves = {name: r["record"]["curve"] for name, r in loaded.items()}
    return plots.convergence(curves, [("flip", "flip success (balanced)"), ("mi_z", "I(y; z), bits"),
                                      ("mi_w", "I(y; w), bits"), ("recon_mse", "recon MSE (test)")],
                             marks={f"book ({BOOK:,})": BOOK, f"reference ({REFERENCE:,})": REFERENCE})


def main(argv=None):
    curves.command(argv, module=__name__, description=__doc__.splitlines()[0], names=list(toy.MODELS),
                   total=200_000, threads=1, folder="toy_csvae", work=WORK, key=key,
                   train_one=lambda name, total, seed: train_curve(name, total, seed),
                   save_one=lambda name, total, seed: save(name, total, seed))


if __name__ == "__main__":
    main()
