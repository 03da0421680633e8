"""The cycle-consistent VAE at the reference's length: runs trained by :mod:`vaelab.gpu_jobs` (on a GPU in short
slots, or on the CPU), their float16 snapshots evaluated with the chapter's own :func:`~.cycle_vae.evaluate`,
saved as ``weights/cycle_vae/<key>.{pt,json}`` with the curve in the record, and read back by the page.

The run trains exactly as the chapter's ``run()`` would at that length (same Trainer, data, seed, learning-rate
drop at 80 %); its weights are stored in float16 and every point of the curve, the last included, is evaluated
from the rounded model, so the page's recomputation from the committed file equals the record's last point.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import torch

from ... import claims, report, runs, weights
from ...gpu_jobs import JOB, Run, read_run, unpack
from .. import cycle_vae as cv

#: the page's convergence run: MNIST 16/16, seed 0, the reference's 93,700 iterations
CURVE_RUN = next(r for r in JOB if r.experiment == "MNIST 16/16" and r.seed == 0)


def run_config(run: Run) -> dict:
    """The record's config: the chapter's book config at the run's length, float16 storage, its snapshots."""
    profile = cv.PROFILES["book"]
    model = cv.build(run.experiment)
    n_pairs = 60_000 if cv.KNOWN[run.experiment].dataset == "mnist" else profile.sprite_pairs
    cfg = cv.run_config(run.experiment, model, "book", run.seed, n_pairs)
    cfg.update(iterations=run.iterations, storage="float16", snapshots=list(run.snapshots), trained_by="gpu_jobs")
    return cfg


def _model(run: Run, state: dict) -> cv.CycleVAE:
    model = cv.build(run.experiment)
    model.load_state_dict(state)  # float16 -> float32, exactly
    return model.eval()


def _evaluate(run: Run, state: dict, D: dict, digit_judge) -> dict:
    d = D[cv.KNOWN[run.experiment].dataset]
    jm = digit_judge if cv.KNOWN[run.experiment].dataset == "mnist" else None
    return cv.evaluate(_model(run, state), d, cv.PROFILES["book"], run.seed, jm)


def _cached(run: Run, folder: Path, it: int, state: dict, D: dict, digit_judge) -> dict:
    """The metrics of snapshot ``it`` in a worker ``folder``, kept beside it (``snapshot-<it>.metrics.json``, with
    the snapshot file's sha256) so that a snapshot is evaluated once, also while the run still trains."""
    snap, cache = folder / f"snapshot-{it}.pt", folder / f"snapshot-{it}.metrics.json"
    digest = weights.sha256(snap) if snap.exists() else None
    if digest is not None and cache.exists():
        kept = json.loads(cache.read_text())
        if kept.get("sha256") == digest:
            return kept["metrics"]
    metrics = _evaluate(run, state, D, digit_judge)
    if digest is not None:
        cache.write_text(json.dumps({"sha256": digest, "metrics": metrics}, indent=1) + "\n")
    return metrics


def _judge():
    from ... import params
    P = params.validate(profile="book", train=False, device="cpu")
    D = cv.load_data({"mnist"}, cv.PROFILES["book"], P.data_root)
    return cv.judge(P, D, progress=False)["model"], P


def import_runs(folder: Path, progress: bool = True, evaluate_unfinished: bool = False,
                overwrite: bool = False) -> list[str]:
    """Evaluate every finished run under ``folder`` (a worker folder, or a job's output with ``<group>.pt``
    files, unpacked first into ``checkpoints/jobs/``) and save it under ``weights/cycle_vae/``; unfinished runs
    are left to resume (``evaluate_unfinished``: their snapshots so far are evaluated, and kept for the import
    that saves them). A run whose record is there already is kept as it is unless ``overwrite``. Returns the saved
    run keys."""
    folder = Path(folder)
    work = folder
    if any(folder.glob("*.pt")):
        work = runs.ROOT / "checkpoints" / "jobs"
        for p in sorted(folder.glob("*.pt")):
            unpack(p, work)
    judge_model, P = _judge()
    by_key = {r.key: r for r in JOB}
    D, saved = {}, []
    for sub in sorted(p for p in work.iterdir() if (p / "run.json").exists()):
        entry = read_run(sub)
        rec = entry["record"]
        run = Run(**{**rec["run"], "snapshots": tuple(rec["run"]["snapshots"])})
        if run.key not in by_key or by_key[run.key] != run:
            raise ValueError(f"{sub}: run {run.key} is not the job's (vaelab.gpu_jobs.JOB) as declared now; "
                             "refusing to save it under the job's name")
        if not rec["finished"]:
            if evaluate_unfinished:
                dataset = cv.KNOWN[run.experiment].dataset
                if dataset not in D:
                    D.update(cv.load_data({dataset}, cv.PROFILES["book"], P.data_root))
                for it, state in entry["snapshots"].items():
                    _cached(run, sub, it, state, D, judge_model)
            print(f"{run.key}: {rec['iterations']}/{run.iterations} iterations, not finished: resume it with "
                  f"`python -m vaelab.gpu_jobs worker --run {run.key} --work {work}`")
            continue
        stem = runs.ROOT / "weights" / cv.CHAPTER / run.key
        if stem.with_suffix(".json").exists() and not overwrite:
            print(f"{run.key}: weights/{cv.CHAPTER}/{run.key} exists and is kept (overwrite replaces it)")
            continue
        dataset = cv.KNOWN[run.experiment].dataset
        if dataset not in D:
            D.update(cv.load_data({dataset}, cv.PROFILES["book"], P.data_root))
        curve = {}
        for it, state in entry["snapshots"].items():
            if it == run.iterations and all(torch.equal(state[k], entry["final"][k]) for k in state):
                continue  # the final weights: evaluated once, below
            curve[str(it)] = _cached(run, sub, it, state, D, judge_model)
            if progress:
                print(f"{run.key} @ {it}: " + ", ".join(f"{k} {v:.2f}" for k, v in curve[str(it)].items()),
                      flush=True)
        metrics = _evaluate(run, entry["final"], D, judge_model)
        curve[str(run.iterations)] = metrics
        model = _model(run, entry["final"])
        weights.save(stem, model, config=run_config(run), metrics=metrics, replace=True,
                     seed=run.seed, device="cpu", wall_s=rec["wall_s"], storage="float16",
                     # where and with which torch it trained (the worker's record), not where it was evaluated
                     extra={"history": rec["history"], "iterations": rec["iterations"], "captured": rec["captured"],
                            "curve": curve, "device": rec["device"], "torch": rec["torch"]})
        saved.append(run.key)
    return saved


def load(run: Run = CURVE_RUN, D: dict | None = None, digit_judge=None) -> dict | None:
    """The committed long run: ``{"model", "record", "metrics"}`` with the metrics recomputed from the committed
    float16 weights (``D`` and ``digit_judge`` as the page's), or None when it is not committed (the page then
    says so; it never trains it)."""
    model = cv.build(run.experiment)
    stem = runs.lookup(cv.CHAPTER, run.key, run_config(run), model)
    if stem is None:
        return None
    _, rec = weights.load(stem, model)
    metrics = {} if D is None else cv.evaluate(copy.deepcopy(model).eval(), D[cv.KNOWN[run.experiment].dataset],
                                                  cv.PROFILES["book"], run.seed, digit_judge)
    return {"model": model.eval(), "record": rec, "metrics": metrics}


#: the curve table's columns: metric key -> header
CURVE_COLUMNS = {"zs_test": "z sampled test %", "z_test": "z means test %", "s_test": "s test %",
                 "swap_acc": "swap: class source's digit %", "swap_leak": "swap: style source's digit %",
                 "style_share": "style share %", "recon_mse": "recon MSE"}


def curve_table(record: dict, recomputed: dict | None = None):
    """One row per evaluated iteration of ``record["curve"]``; with ``recomputed`` (the page's evaluation of the
    committed file), a last row for it, which must equal the row of the final iteration."""
    import pandas as pd

    its = sorted(int(k) for k in record["curve"])
    rows = {f"{t:,}": record["curve"][str(t)] for t in its}
    if recomputed is not None:
        rows[f"{its[-1]:,}, recomputed from the committed file"] = recomputed
    digits = {k: (4 if k == "recon_mse" else 2) for k in CURVE_COLUMNS}
    return pd.DataFrame({name: {col: f"{m[k]:.{digits[k]}f}" for k, col in CURVE_COLUMNS.items()}
                         for name, m in rows.items()}).T


def plateau(record: dict, key: str, tolerance: float = 1.0) -> int:
    """The first evaluated iteration after which ``key`` never moves by more than ``tolerance`` from one point to
    the next (the last iteration when it still does at the end)."""
    its = sorted(int(k) for k in record["curve"])
    vals = [record["curve"][str(t)][key] for t in its]
    start = its[-1]
    for i in range(len(its) - 1, 0, -1):
        if abs(vals[i] - vals[i - 1]) > tolerance:
            break
        start = its[i - 1]
    return start


def _length_lead(last: dict, authors_metrics: dict, settled: bool) -> str:
    """The long run's verdict in words: whether its last point reads the class as the authors' checkpoint does
    (:func:`vaelab.claims.level`: within a point) from each code, and whether its style share has settled."""
    probes = {"zs_test": "sampled z", "z_test": "the z means", "s_test": "s"}
    level = [w for k, w in probes.items() if claims.level(last[k], authors_metrics[k])]
    off = [w for w in probes.values() if w not in level]
    listed = report.series
    if not off:
        head = f"reads the class as the authors' checkpoint does, within a point, from {listed(level)}"
    elif not level:
        head = f"reads the class differently from the authors' checkpoint, by more than a point, from {listed(off)}"
    else:
        head = (f"reads the class as the authors' checkpoint does, within a point, from {listed(level)} but not "
                f"from {listed(off)}")
    return (f"At its last point the long run {head}, and its style share "
            + ("has settled before the end." if settled else "is still moving at the end."))


def length_findings(record: dict, recomputed: dict, authors_metrics: dict, paper_z: float) -> str:
    """What the long run shows: one plain sentence (its end against the authors' checkpoint, and whether the style
    share has settled), then its curve: where each headline number starts and ends, where the style share stops
    moving, and whether the page's recomputation equals the record's last point."""
    its = sorted(int(k) for k in record["curve"])
    first, last = record["curve"][str(its[0])], record["curve"][str(its[-1])]
    move = lambda k: f"{first[k]:.1f} % at {its[0]:,} to {last[k]:.1f} % at {its[-1]:,}"  # noqa: E731
    same = all(recomputed.get(k) == v for k, v in last.items())
    p = plateau(record, "style_share")
    return (_length_lead(last, authors_metrics, p < its[-1])
            + f" From {its[0]:,} to {its[-1]:,} iterations the class read from sampled z goes from {move('zs_test')} "
            f"(the paper: {paper_z:.2f} %; the authors' checkpoint: {authors_metrics['zs_test']:.1f} %), from the "
            f"means from {move('z_test')} (checkpoint: {authors_metrics['z_test']:.1f} %), and from s from "
            f"{move('s_test')} (checkpoint: {authors_metrics['s_test']:.1f} %). The style's share of the swaps goes "
            f"from {move('style_share')} (checkpoint: {authors_metrics['style_share']:.1f} %) and "
            + (f"moves by at most one point per step from {p:,} iterations on" if p < its[-1]
               else "still moves by more than one point at the last step")
            + f"; the judge sees the class source's digit in {last['swap_acc']:.1f} % of the final swaps "
              f"(checkpoint: {authors_metrics['swap_acc']:.1f} %). "
            + ("The page's evaluation of the committed weights equals the record's last point."
               if same else "The page's evaluation of the committed weights differs from the record's last point."))
