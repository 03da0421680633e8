"""The cycle-consistent VAE at the reference's length: runs trained by :mod:`vaelab.gpu_jobs` (on a GPU in short
slots, or on the CPU), their float16 snapshots evaluated with the chapter's own :func:`~.cycle_vae.evaluate`,
saved as ``weights/cycle_vae/<key>.{pt,json}`` with the curve in the record, and read back by the page.

The run trains exactly as the chapter's ``run()`` would at that length (same Trainer, data, seed, learning-rate
drop at 80 %); its weights are stored in float16 and every point of the curve, the last included, is evaluated
from the rounded model, so the page's recomputation from the committed file equals the record's last point.
"""
from __future__ import annotations

import copy
from pathlib import Path

import torch

from .. import runs, weights
from ..gpu_jobs import JOB, Run, read_run, unpack
from . import cycle_vae as cv

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


def _judge():
    from .. import params
    P = params.validate(profile="book", train=False, device="cpu")
    D = cv.load_data({"mnist"}, cv.PROFILES["book"], P.data_root)
    return cv.judge(P, D, progress=False)["model"], P


def import_runs(folder: Path, progress: bool = True) -> list[str]:
    """Evaluate every finished run under ``folder`` (a worker folder, or a job's output with ``<group>.pt``
    files, unpacked first into ``checkpoints/jobs/``) and save it under ``weights/cycle_vae/``; unfinished runs
    are left to resume. Returns the saved run keys."""
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
            print(f"{run.key}: {rec['iterations']}/{run.iterations} iterations, not finished: resume it with "
                  f"`python -m vaelab.gpu_jobs worker --run {run.key} --work {work}`")
            continue
        dataset = cv.KNOWN[run.experiment].dataset
        if dataset not in D:
            D.update(cv.load_data({dataset}, cv.PROFILES["book"], P.data_root))
        curve = {}
        for it, state in entry["snapshots"].items():
            if it == run.iterations and all(torch.equal(state[k], entry["final"][k]) for k in state):
                continue  # the final weights: evaluated once, below
            curve[str(it)] = _evaluate(run, state, D, judge_model)
            if progress:
                print(f"{run.key} @ {it}: " + ", ".join(f"{k} {v:.2f}" for k, v in curve[str(it)].items()),
                      flush=True)
        metrics = _evaluate(run, entry["final"], D, judge_model)
        curve[str(run.iterations)] = metrics
        model = _model(run, entry["final"])
        weights.save(runs.ROOT / "weights" / cv.CHAPTER / run.key, model, config=run_config(run), metrics=metrics,
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
    stem = runs.ROOT / "weights" / cv.CHAPTER / run.key
    rec = weights.matching_record(stem, run_config(run))
    if rec is None:
        return None
    model = cv.build(run.experiment)
    weights.load(stem, model)
    metrics = {} if D is None else cv.evaluate(copy.deepcopy(model).eval(), D[cv.KNOWN[run.experiment].dataset],
                                                  cv.PROFILES["book"], run.seed, digit_judge)
    return {"model": model.eval(), "record": rec, "metrics": metrics}
