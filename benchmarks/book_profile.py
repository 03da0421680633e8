"""Wall time of a chapter's ``book`` profile trained from scratch: what `make gpu` does, without the notebook.

    python benchmarks/book_profile.py --chapter cycle_vae [--device cuda] [--seeds 0 1 2]

Runs the same calls as the chapter's notebook with ``train=True`` (data, every run with its
evaluation) and by default writes weights and checkpoints under a scratch folder, never into ``weights/``:
``--keep-weights`` writes the repository's ``weights/``, ``--root DIR`` writes ``DIR/weights/``. For ACAI,
``--part k/n`` trains every n-th of its runs from the k-th (a lent machine returns at most 64 MiB a call).
Prints one row per run (training wall time from the run's record, iterations/s, whether the step
was replayed from a CUDA graph) and the chapter's total wall time, data and evaluation included —
the number each chapter's issue bounds ("the book profile trains in under N minutes on one H100").
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch

from vaelab import cpu, params, runs
from vaelab.chapters.registry import RUNS as CHAPTERS


def printing_obtain(obtain):
    """``runs.obtain`` that prints each run as it finishes: training and evaluation seconds."""
    def timed(chapter, name, *args, **kw):
        t0 = time.perf_counter()
        model, rec, metrics = obtain(chapter, name, *args, **kw)
        total = time.perf_counter() - t0
        print(f"  {name}: train {rec['wall_s']:.1f} s ({rec.get('iterations')} its, captured "
              f"{rec.get('captured')}), evaluation and the rest {total - rec['wall_s']:.1f} s; "
              + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items() if isinstance(v, float)), flush=True)
        return model, rec, metrics
    return timed


def main():
    cpu.pin()  # the pages' kernels, so the timings are those of the book's code paths
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chapter", choices=sorted(CHAPTERS), required=True)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--profile", default="book")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--keep-weights", action="store_true",
                    help="save the runs into weights/, replacing the book's records (what `make gpu` does), instead of "
                         "a scratch folder")
    ap.add_argument("--root", default=None,
                    help="write weights/ and checkpoints/ under this folder (e.g. an ignored one on a lent GPU "
                         "machine, fetched in parts afterwards)")
    ap.add_argument("--part", default="0/1", help="acai only: train every n-th run from the k-th, as k/n")
    a = ap.parse_args()
    try:
        k, n = map(int, a.part.split("/"))
    except ValueError:
        ap.error(f"--part must be k/n, got {a.part!r}")
    if not 0 <= k < n or (n > 1 and a.chapter != "acai"):
        ap.error(f"--part must be k/n with 0 <= k < n, and only for --chapter acai; got {a.part}")
    P = params.validate(profile=a.profile, train=True, device=a.device, seeds=a.seeds)
    name = torch.cuda.get_device_name() if P.device.type == "cuda" else "CPU"
    print(f"{a.chapter}, profile {a.profile}, train=True on {P.device} ({name}), torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads, seeds {list(a.seeds)}")
    with tempfile.TemporaryDirectory() as tmp:
        if a.keep_weights:
            os.environ["VAELAB_OVERWRITE_WEIGHTS"] = "1"  # asked for: the runs replace the book's records
        if a.root:
            runs.ROOT = Path(a.root).resolve()
        elif not a.keep_weights:
            runs.ROOT = Path(tmp)
        runs.obtain = printing_obtain(runs.obtain)
        t0 = time.perf_counter()
        results = CHAPTERS[a.chapter](P, part=(k, n)) if a.chapter == "acai" else CHAPTERS[a.chapter](P)
        total = time.perf_counter() - t0
    w = max(len(str(k)) for k in results) + 2
    print(f"{'run':<{w}}{'train s':>9}{'its':>8}{'it/s':>8}  captured")
    train_s = 0.0
    for key, r in results.items():
        rec = r["record"] if isinstance(r, dict) and "record" in r else None
        if rec is None or "wall_s" not in rec:
            continue
        its = rec.get("iterations")
        train_s += rec["wall_s"]
        rate = f"{its / rec['wall_s']:8.0f}" if its else f"{'?':>8}"
        print(f"{str(key):<{w}}{rec['wall_s']:9.1f}{its or '?':>8}{rate}  {rec.get('captured', '?')}")
    print(f"training (sum of runs): {train_s:.0f} s; whole chapter (data, training, evaluation): "
          f"{total:.0f} s = {total / 60:.1f} min")


if __name__ == "__main__":
    main()
