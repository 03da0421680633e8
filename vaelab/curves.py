"""Convergence curves: one run trained past its book length, evaluated by its chapter at log-spaced points.

A curve run trains the page's model, data, seed and batch with the same :class:`~vaelab.train.Trainer` (the
evaluations run inside ``torch.random.fork_rng``, so the batches are those of a run without them) and writes the
points measured so far beside its checkpoint, so an interrupted run resumes with its curve. The page shows the
curve from the run's record and recomputes the last point from the committed weights.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import torch

from . import weights
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
          ckpt_every: int = 1000, progress: bool = True) -> dict:
    """Train ``model`` to ``max(points)`` iterations, ``evaluate(model) -> metrics`` at each of ``points``; write
    ``stem.pt`` (the final weights) and ``stem.json`` (the record: config, curve, history) and return the record.
    ``stem.curve.json`` keeps the points measured so far and ``stem.ckpt`` the training state until the end."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    points = tuple(sorted(set(points)))
    partial = stem.with_name(stem.name + ".curve.json")
    curve = json.loads(partial.read_text()) if partial.exists() else []

    def callback(it, trainer):
        if it in points and all(p["iter"] != it for p in curve):
            t = time.perf_counter()
            with torch.random.fork_rng(devices=[]):
                m = evaluate(trainer.model)
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
