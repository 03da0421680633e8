"""Time-boxed training jobs: the book's long runs in short slots, with snapshots along the way.

A job is what fits a short GPU slot (ten minutes, a few files back). Each run of :data:`JOB` trains in a process
of its own (``worker``): its own CUDA context, its own CUDA graph, nothing shared with the other runs but the GPU.
A run writes float16 snapshots of its state at the iterations it lists, so that the chapter can evaluate its
convergence curve afterwards on the CPU with the page's own code, and a resumable checkpoint when its time is up;
``train`` starts the workers, waits, and packs what they wrote into one file per group of runs. The same worker
trains a run on the CPU, one after another, and ends with the weights of the chapter's own training (the same
:class:`~vaelab.train.Trainer`, data, seed and schedule).

Commands: ``python -m vaelab.gpu_jobs worker --run KEY --work DIR [--device cpu] [--minutes M]`` trains one run
(resuming from DIR); ``train --out DIR --minutes M`` runs the whole job on CUDA; ``python -m vaelab.gpu_jobs
import DIR`` evaluates what came back and saves it where the page finds it (:mod:`vaelab.chapters.cycle_vae.length`).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from . import REPO, weights
from .train import Trainer


@dataclass(frozen=True)
class Run:
    """One run of the cycle-VAE chapter: an experiment of ``cycle_vae.KNOWN``, a seed, a length, the iterations
    at which a float16 snapshot is written, and the group (file) it comes back in."""
    experiment: str
    seed: int
    iterations: int
    snapshots: tuple = ()
    group: str = ""

    @property
    def key(self) -> str:
        from .chapters import cycle_vae as cv
        return f"{cv.KNOWN[self.experiment].slug}-{self.iterations}-s{self.seed}"


def curve_points(total: int, lr_drop_at: float = 0.8) -> tuple:
    """Snapshot iterations up to ``total``: about two per decade from 1,000, the book's earlier 3,000, the last
    iteration before the learning-rate drop, and ``total``."""
    pts = {1000, 2000, 3000, 5000, 10_000, 20_000, 40_000, int(round(lr_drop_at * total)), total}
    return tuple(sorted(p for p in pts if p <= total))


def _job() -> list[Run]:
    from .models.cycle_vae import reference_iterations
    full = reference_iterations()  # 93,700: the reference's 100 epochs
    curve, few = curve_points(full), (3000, 20_000, int(round(0.8 * full)), full)
    runs = []
    for name, group in (("MNIST 16/16", "mnist16"), ("MNIST 64/64", "mnist64"),
                        ("MNIST 16/16, no reverse cycle", "noreverse")):
        for seed in (0, 1, 2):
            runs.append(Run(name, seed, full, curve if seed == 0 else few, group))
    runs.append(Run("ToySprites 512/64", 0, 30_000, (10_000,), "sprites"))
    return runs


#: the cycle VAE's paper-length runs, in priority order (MNIST 16/16 seed 0 first: its curve is the question)
JOB = _job()


def find(key: str) -> Run:
    for run in JOB:
        if run.key == key:
            return run
    raise ValueError(f"no run {key!r} in the job; choose one of {', '.join(r.key for r in JOB)}")


# ------------------------------------------------------------------------------------------------- one run
class _TimeUp(Exception):
    pass


def state16(model: torch.nn.Module) -> dict:
    """A float16 copy of the model's state on the CPU (integer buffers as they are)."""
    return {k: (v.detach().half() if v.is_floating_point() else v.detach()).cpu().clone()
            for k, v in model.state_dict().items()}


def _save(obj, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train_run(run: Run, work: Path, device="cpu", minutes: float | None = None, progress: bool = True) -> dict:
    """Train ``run`` into ``work/<key>/``: ``snapshot-<it>.pt`` as each listed iteration passes, ``final.pt`` and
    ``run.json`` at the end; with ``minutes``, a checkpoint ``ckpt.pt`` when the time is up (a second call resumes
    from it). Returns the ``run.json`` record."""
    from .chapters import cycle_vae as cv
    from .models.cycle_vae import lr_schedule
    t_begin = time.time()
    folder = Path(work) / run.key
    folder.mkdir(parents=True, exist_ok=True)
    device = torch.device(device)
    profile = cv.PROFILES["book"]
    dataset = cv.KNOWN[run.experiment].dataset
    d = cv.load_data({dataset}, profile, REPO / "data")[dataset]
    train = {k: v.to(device) for k, v in d["train"].items()}
    torch.manual_seed(run.seed)  # as the chapter's run(): the initial weights come from the seed
    model = cv.build(run.experiment)
    until = None if minutes is None else t_begin + 60 * minutes
    snapshots = set(run.snapshots)

    def callback(it, trainer):
        if it in snapshots:
            _save(state16(trainer.model), folder / f"snapshot-{it}.pt")
        if until is not None and time.time() > until and it < trainer.iterations:
            trainer._raise_if_nonfinite()
            trainer._save_checkpoint()
            raise _TimeUp

    trainer = Trainer(model.to(device), model.steps(), train, batch_size=profile.batch_size,
                      iterations=run.iterations, seed=run.seed, capture=device.type == "cuda",
                      ckpt_path=folder / "ckpt.pt", ckpt_every=max(run.iterations // 50, 1),
                      log_every=max(run.iterations // 20, 1), progress=progress, desc=run.key,
                      lr_schedule=lr_schedule(run.iterations, profile.lr_drop_at), callback=callback)
    record = {"run": asdict(run), "device": weights.device_name(device), "torch": torch.__version__}
    try:
        result = trainer.fit()
    except _TimeUp:
        record.update(finished=False, iterations=trainer.it, wall_s=trainer._elapsed())
        (folder / "run.json").write_text(json.dumps(record, indent=1) + "\n")
        return record
    _save(state16(trainer.model), folder / "final.pt")
    record.update(finished=True, iterations=result.iterations, wall_s=result.wall_s, history=result.history,
                  captured=result.captured, capture_note=result.capture_note)
    (folder / "run.json").write_text(json.dumps(record, indent=1) + "\n")
    (folder / "ckpt.pt").unlink(missing_ok=True)
    return record


def read_run(folder: Path) -> dict:
    """What a worker left in ``folder``: ``{"record", "final" (or None), "snapshots": {it: state}}``."""
    folder = Path(folder)
    record = json.loads((folder / "run.json").read_text())
    final = folder / "final.pt"
    snaps = {int(p.stem.split("-")[1]): torch.load(p, weights_only=True) for p in folder.glob("snapshot-*.pt")}
    return {"record": record, "final": torch.load(final, weights_only=True) if final.exists() else None,
            "snapshots": dict(sorted(snaps.items()))}


# ------------------------------------------------------------------------------------------------ the job
def train_job(out: Path, minutes: float, work: Path = REPO / "checkpoints" / "jobs", runs=None) -> dict:
    """Train ``runs`` (default :data:`JOB`) on CUDA, one worker process each, for at most ``minutes`` in all;
    write one ``<group>.pt`` per group and ``job.json`` to ``out``."""
    runs = JOB if runs is None else runs
    out, work = Path(out), Path(work)
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    budget = minutes - 0.75  # the workers stop here; the rest packs the files
    procs = {}
    for run in runs:
        log = open(work / f"{run.key}.log", "w")
        cmd = [sys.executable, "-m", "vaelab.gpu_jobs", "worker", "--run", run.key, "--work", str(work),
               "--device", "cuda", "--minutes", f"{budget - (time.time() - t0) / 60:.3f}", "--no-progress"]
        procs[run.key] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                                           env={**os.environ, "OMP_NUM_THREADS": "1"}), log)
    for key, (p, log) in procs.items():
        rc = p.wait()
        log.close()
        print(f"{key}: exit {rc}; " + (work / f"{key}.log").read_text()[-400:].strip().replace("\n", " | "),
              flush=True)
    summary = {"runs": {}, "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"}
    groups: dict = {}
    for run in runs:
        folder = work / run.key
        if not (folder / "run.json").exists():
            summary["runs"][run.key] = {"error": "no run.json (see the log)"}
            continue
        entry = read_run(folder)
        rec = entry["record"]
        summary["runs"][run.key] = {k: rec.get(k) for k in ("finished", "iterations", "wall_s", "captured")}
        summary["runs"][run.key]["it_s"] = rec["iterations"] / max(rec["wall_s"], 1e-9)
        if not rec["finished"] and run.experiment.startswith("MNIST"):  # sprites' (50 MB) would not come back
            entry["checkpoint"] = torch.load(folder / "ckpt.pt", map_location="cpu", weights_only=False)
        groups.setdefault(run.group, {})[run.key] = entry
    for group, entries in groups.items():
        torch.save(entries, out / f"{group}.pt")
    summary["total_s"] = time.time() - t0
    (out / "job.json").write_text(json.dumps(summary, indent=1) + "\n")
    for f in sorted(out.iterdir()):
        print(f"{f.name}: {f.stat().st_size / 2 ** 20:.1f} MiB", flush=True)
    return summary


def unpack(path: Path, work: Path) -> list[str]:
    """Write a job's ``<group>.pt`` back into the worker layout under ``work`` (checkpoints too, so that a later
    ``worker`` call resumes an unfinished run); returns the run keys."""
    entries = torch.load(path, map_location="cpu", weights_only=False)
    for key, entry in entries.items():
        folder = Path(work) / key
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "run.json").write_text(json.dumps(entry["record"], indent=1) + "\n")
        if entry["final"] is not None:
            _save(entry["final"], folder / "final.pt")
        for it, sd in entry["snapshots"].items():
            _save(sd, folder / f"snapshot-{it}.pt")
        if "checkpoint" in entry:
            _save(entry["checkpoint"], folder / "ckpt.pt")
    return list(entries)


def main(argv=None) -> int:
    from . import cpu

    cpu.pin()  # the pages' kernels for whatever runs on the CPU
    ap = argparse.ArgumentParser(prog="python -m vaelab.gpu_jobs", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worker", help="train one run of the job (resuming)")
    w.add_argument("--run", required=True, help="a run key, e.g. mnist16-93700-s0")
    w.add_argument("--work", type=Path, required=True)
    w.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    w.add_argument("--minutes", type=float, default=None)
    w.add_argument("--no-progress", action="store_true")
    tr = sub.add_parser("train", help="the whole job on CUDA")
    tr.add_argument("--out", type=Path, required=True)
    tr.add_argument("--minutes", type=float, default=9.0)
    tr.add_argument("--work", type=Path, default=REPO / "checkpoints" / "jobs")
    im = sub.add_parser("import", help="evaluate and save a job's runs (CPU)")
    im.add_argument("folder", type=Path, help="a worker folder (work/) or a job's output folder (<group>.pt files)")
    im.add_argument("--overwrite", action="store_true", help="replace a run whose record is there already")
    a = ap.parse_args(argv)
    if a.cmd == "worker":
        if a.device == "cuda" and not torch.cuda.is_available():
            print("--device cuda: torch sees no CUDA device", file=sys.stderr)
            return 2
        torch.set_num_threads(1) if a.device == "cuda" else None
        rec = train_run(find(a.run), a.work, a.device, a.minutes, progress=not a.no_progress)
        print(f"{a.run}: {rec['iterations']}/{find(a.run).iterations} iterations, finished={rec['finished']}, "
              f"{rec['iterations'] / max(rec['wall_s'], 1e-9):.1f} it/s")
        return 0
    if a.cmd == "train":
        if not torch.cuda.is_available():
            print("train: torch sees no CUDA device (on the CPU, run the workers one by one)", file=sys.stderr)
            return 2
        train_job(a.out, a.minutes, a.work)
        return 0
    from .chapters.cycle_vae import length as cycle_vae_length
    cpu.require_pins("vaelab.gpu_jobs", f"import {a.folder}")
    torch.set_num_threads(2)  # the page's: its recomputation of the final weights must equal the record's
    print("saved:", ", ".join(cycle_vae_length.import_runs(a.folder, overwrite=a.overwrite)) or "nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
