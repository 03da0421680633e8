"""Convergence curves: one run trained past its book length, evaluated by its chapter at log-spaced points.

A curve run trains the page's model, data, seed and batch with the same :class:`~vaelab.train.Trainer` (the
evaluations run inside ``torch.random.fork_rng``, so the batches are those of a run without them) and writes the
points measured so far beside its checkpoint, so an interrupted run resumes with its curve. The page shows the
curve from the run's record and recomputes the last point from the committed weights.
"""
from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path

import torch

from . import runs, weights
from .train import Trainer


def log_points(total: int, start: int = 1000, extra=()) -> tuple:
    """About three points per decade (1, 2, 5 × 10^k) from ``start`` up to ``total``, with ``extra`` and
    ``total``."""
    if total < 1:
        raise ValueError(f"a curve needs total >= 1 iterations, got {total}")
    pts, decade = set(), start
    while decade <= total:
        pts.update(p for p in (decade, 2 * decade, 5 * decade) if p <= total)
        decade *= 10
    return tuple(sorted(pts | {p for p in (*extra, total) if 0 < p <= total}))


def train(model, data: dict, evaluate, points, stem: Path, *, batch_size: int, seed: int, config: dict,
          ckpt_every: int = 1000, progress: bool = True, storage: str = "float32") -> dict:
    """Train ``model`` to ``max(points)`` iterations, ``evaluate(model) -> metrics`` at each of ``points``; write
    ``stem.pt`` (the final weights) and ``stem.json`` (the record: config, curve, history) and return the record.
    ``stem.curve.json`` keeps the points measured so far and ``stem.ckpt`` the training state until the end.
    ``storage="float16"`` evaluates every point on a copy rounded to float16, as the page loads such a run."""
    if storage not in ("float32", "float16"):
        raise ValueError(f"storage must be 'float32' or 'float16', got {storage!r}")
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    points = tuple(sorted(set(points)))
    partial = stem.with_name(stem.name + ".curve.json")
    curve = json.loads(partial.read_text()) if partial.exists() else []

    def callback(it, trainer):
        if it in points and all(p["iter"] != it for p in curve):
            t = time.perf_counter()
            model_at = trainer.model
            if storage == "float16":
                model_at = weights.half_storage_(copy.deepcopy(trainer.model).eval())
            with torch.random.fork_rng(devices=[]):
                m = evaluate(model_at)
            trainer.model.train()
            curve.append({"iter": it, **m, "eval_s": round(time.perf_counter() - t, 2)})
            tmp = partial.with_name(partial.name + ".tmp")
            tmp.write_text(json.dumps(curve, indent=1) + "\n")
            os.replace(tmp, partial)

    trainer = Trainer(model, model.steps(), data, batch_size=batch_size, iterations=points[-1], seed=seed,
                      capture=False, ckpt_path=stem.with_name(stem.name + ".ckpt"), ckpt_every=ckpt_every,
                      log_every=max(points[-1] // 20, 1), progress=progress, desc=stem.name, callback=callback)
    result = trainer.fit()
    record = {"seed": seed, "iterations": result.iterations, "wall_s": result.wall_s,
              "config": weights.config_dict(config), "curve": sorted(curve, key=lambda p: p["iter"]),
              "history": result.history, "device": weights.device_name("cpu"), "torch": torch.__version__}
    torch.save(model.state_dict(), stem.with_name(stem.name + ".pt"))
    stem.with_name(stem.name + ".json").write_text(json.dumps(record, indent=1) + "\n")
    stem.with_name(stem.name + ".ckpt").unlink(missing_ok=True)
    return record


def save(stem: Path, model, config: dict, chapter: str, name: str, *, storage: str = "float32",
         overwrite: bool = False) -> Path:
    """Save the finished curve run ``stem`` (its ``.pt`` loaded into ``model``) as ``weights/<chapter>/<name>``,
    with the curve, history and length in the record and its last point as the record's metrics. A run trained
    with another config than ``config`` (the one declared now) is refused, naming what differs."""
    stem = Path(stem)
    rec_path = stem.with_name(stem.name + ".json")
    if not rec_path.exists():
        raise FileNotFoundError(f"{rec_path}: no finished curve run here (train it first)")
    rec = json.loads(rec_path.read_text())
    if rec["config"] != weights.config_dict(config):
        raise ValueError(f"{rec_path}: trained with another config than the one declared now "
                         f"({'; '.join(weights.config_diff(rec['config'], config))})")
    model.load_state_dict(torch.load(stem.with_name(stem.name + ".pt"), weights_only=True))
    model.eval()
    if storage == "float16":
        weights.half_storage_(model)
    last = {k: v for k, v in rec["curve"][-1].items() if k not in ("iter", "eval_s")}
    target = runs.ROOT / "weights" / chapter / name
    weights.save(target, model, config=config, metrics=last, seed=rec["seed"], device="cpu", wall_s=rec["wall_s"],
                 storage=storage, replace=overwrite,
                 extra={"curve": rec["curve"], "history": rec["history"], "iterations": rec["iterations"],
                        "device": rec["device"]})
    return target


def load(chapter: str, name: str, model, config: dict, evaluate=None) -> dict | None:
    """The committed curve run ``weights/<chapter>/<name>`` of ``config`` loaded into ``model``:
    ``{"model", "record", "metrics"}``, the metrics ``evaluate(model)`` recomputed from its weights (none without
    ``evaluate``), or None when no such run is committed (a page never trains a curve run)."""
    stem = runs.lookup(chapter, name, config, model)
    if stem is None:
        return None
    _, rec = weights.load(stem, model)
    return {"model": model.eval(), "record": rec, "metrics": evaluate(model) if evaluate is not None else {}}


def _same(a: float, b: float, tol: float = 1e-6) -> bool:
    """Equal to ``tol``, an undefined (NaN) value equal only to another."""
    return (a != a and b != b) or abs(a - b) <= tol


def table(loaded: dict, panels, digits: int = 3):
    """One row per curve point of every loaded curve run (``{name: {"record", "metrics"}}``; ``panels`` is
    ``[(key, label)]``), and a last row per run recomputed from the committed weights with whether it equals the
    curve's last point (to 1e-6 on every metric both hold; NaN equals NaN). An undefined (NaN) value reads
    "undefined", a metric the run does not have stays blank."""
    import pandas as pd

    def cell(point: dict, k: str) -> str:
        v = point.get(k)
        return "" if v is None else "undefined" if v != v else f"{v:.{digits}f}"

    rows = {}
    for name, r in loaded.items():
        curve, m = r["record"]["curve"], r["metrics"]
        for p in curve:
            rows[(name, f"{p['iter']:,}")] = {label: cell(p, k) for k, label in panels}
        if m:
            row = {label: cell(m, k) for k, label in panels}
            # every metric both hold agrees, and no panel the record holds is missing from the recomputation (a
            # metric added to the chapter's evaluation after the run was trained is not in its record)
            last = curve[-1]
            same = all(k in m for k, _ in panels if k in last) and all(_same(last[k], v) for k, v in m.items()
                                                                       if k in last)
            row["= last point"] = "yes" if same else "no"
            rows[(name, "recomputed")] = row
    df = pd.DataFrame.from_dict(rows, orient="index").fillna("")
    df.index.names = ["model", "iterations"]
    return df


def command(argv, *, module: str, description: str, names, total: int | dict, threads: int, folder: str, work: Path,
            key, train_one, save_one, setup=None, choices=None) -> None:
    """The length modules' command line: ``--total --seed --names --threads``; trains every named run not finished in
    ``work`` (resuming an interrupted one) or, with ``--save``, saves the finished ones under ``weights/<folder>/``.
    ``total``: every run's length, or ``{name: length}`` where the curves differ (``--total`` overrides either).
    ``key(name, total, seed)`` names a run; ``train_one(name, total, seed, *setup())`` trains it and returns its
    record; ``save_one(name, total, seed, *setup())`` saves it. ``setup`` (optional) loads what both need once;
    ``choices`` (default ``names``) are the runs that may be named."""
    import argparse
    import sys

    from . import cpu

    if module == "__main__":  # run as python -m: name the module as the reader typed it
        module = getattr(sys.modules["__main__"].__spec__, "name", module)
    ap = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    runs = list(choices or names)
    lengths = dict(total) if isinstance(total, dict) else dict.fromkeys(runs, total)
    if set(runs) - set(lengths):
        raise ValueError(f"{module}: no length for {sorted(set(runs) - set(lengths))}")
    ap.add_argument("--total", type=int, default=None,
                    help="iterations of every named run (default: " + (", ".join(
                        f"{n} {t:,}" for n, t in lengths.items()) if isinstance(total, dict) else f"{total:,}") + ")")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--names", nargs="+", default=list(names), choices=runs)
    ap.add_argument("--threads", type=int, default=threads)
    ap.add_argument("--save", action="store_true", help=f"save the finished runs under weights/{folder}/")
    args = ap.parse_args(argv)
    cpu.require_pins(module, " ".join(sys.argv[1:] if argv is None else argv))
    torch.set_num_threads(args.threads)
    shared = setup() if setup is not None else ()
    for name in args.names:
        n = args.total if args.total is not None else lengths[name]
        stem = key(name, n, args.seed)
        if args.save:
            print("saved", save_one(name, n, args.seed, *shared), flush=True)
        elif (Path(work) / f"{stem}.json").exists():
            print(f"{stem}: done already (--save saves it)", flush=True)
        else:
            rec = train_one(name, n, args.seed, *shared)
            last = rec["curve"][-1]
            print(f"{stem}: {rec['wall_s']:.0f} s; at {last['iter']}: "
                  + ", ".join(f"{k} {v:.3f}" for k, v in last.items() if k not in ("iter", "eval_s")), flush=True)


def figure(loaded: dict, panels, marks: dict):
    """The committed curve runs' ``panels`` against iterations (:func:`vaelab.plots.convergence`)."""
    from . import plots
    return plots.convergence({n: r["record"]["curve"] for n, r in loaded.items()}, panels, marks=marks)


def at(curve: list, iteration: int) -> dict:
    """The curve's point at ``iteration`` (KeyError naming the points it has)."""
    for p in curve:
        if p["iter"] == iteration:
            return p
    raise KeyError(f"no curve point at {iteration}; points: {[p['iter'] for p in curve]}")


def last_range(curve: list, key: str, n: int = 3) -> float:
    """max - min of ``key`` over the curve's last ``n`` points: how much it still moves."""
    vals = [p[key] for p in curve if key in p][-n:]
    return float(max(vals) - min(vals))
