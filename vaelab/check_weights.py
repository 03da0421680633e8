"""``make check-weights``: the committed weights are whole, each is a run a page declares today, and every run and
data file the pages load is there.

1. Every record under ``weights/`` is valid (its config matches the ``config_sha256`` it was saved with) and its
   weights file matches the record's sha256.
2. The census: each chapter's page calls (:mod:`vaelab.chapters.registry`, book profile, the pages' seeds) run
   under :data:`vaelab.runs.CENSUS`, which lists every run they would train or load, with its config, and trains
   nothing. A declared run that no record holds is an error, and so is a committed record that no page declares
   (a weights file no page can load), each named with the difference to the config of the same name.
3. Every file listed in a ``SHA256SUMS`` under ``data/`` is there and matches.

``python -m vaelab.check_weights`` prints what it checked and exits 1 on any error.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import torch

from . import REPO, params, runs, weights
from .chapters.registry import RUNS


def records(root: Path = REPO) -> list[Path]:
    """The records under ``root/weights`` that git tracks (all ``*.json`` there without git)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "weights"], cwd=root, capture_output=True, timeout=30)
        if out.returncode == 0:
            names = [n for n in out.stdout.decode().split("\0") if n.endswith(".json")]
            return sorted(root / n for n in names)
    except (OSError, subprocess.SubprocessError):
        pass
    return sorted((root / "weights").rglob("*.json"))


def check_files(paths: list[Path]) -> list[str]:
    """Errors for records that are not valid or whose weights file differs from them."""
    errors = []
    for js in paths:
        try:
            rec = weights.read_record(js)
        except weights.WeightsError as e:
            errors.append(str(e))
            continue
        pt = js.with_name(rec.get("file", js.with_suffix(".pt").name))
        if not pt.exists():
            errors.append(f"{pt} is missing (its record {js.name} is there)")
        elif weights.sha256(pt) != rec.get("sha256"):
            errors.append(f"{pt}: its sha256 differs from its record's")
    return errors


def census(chapters: dict = RUNS, profile: str = "book", seeds=(0, 1, 2), progress: bool = True) -> list[tuple]:
    """``(chapter, name, config, stem found or None, model or None)`` for every run the pages declare."""
    found = []
    for chapter, calls in chapters.items():
        t0 = time.perf_counter()
        P = params.validate(profile=profile, train=False, device="cpu", seeds=seeds)
        runs.CENSUS = []
        try:
            calls(P)
            found += runs.CENSUS
        finally:
            n = len(runs.CENSUS)
            runs.CENSUS = None
        if progress:
            print(f"census: {chapter}: {n} runs declared ({time.perf_counter() - t0:.0f} s)", flush=True)
    return found


def _difference(base: Path, config: dict) -> str:
    if not base.with_suffix(".json").exists():
        return f"no record {base.name}.json"
    diff = weights.config_diff(weights.read_record(base).get("config", {}), config)
    return "; ".join(diff[:6]) + (f"; and {len(diff) - 6} more" if len(diff) > 6 else "")


def check_census(declared: list[tuple], committed: list[Path]) -> list[str]:
    """Errors for two configs declared under one name, declared runs without a record, and committed records
    that no page declares."""
    errors, loaded, by_name = [], set(), {}
    for chapter, name, config, _ in (d[:4] for d in declared):
        seen = by_name.setdefault((chapter, name), config)
        if seen != config:
            errors.append(f"{chapter}/{name}: the pages declare two configs under this name "
                          f"({'; '.join(weights.config_diff(seen, config)[:6])})")
    for chapter, name, config, stem in (d[:4] for d in declared):
        if stem is None:
            base = runs.stems(chapter, name, config)[0]
            errors.append(f"{chapter}/{name}: the page declares this run but no record holds its config "
                          f"(record -> page: {_difference(base, config)})")
        else:
            loaded.add(stem.with_suffix(".json").resolve())
    for js in committed:
        if js.resolve() in loaded:
            continue
        chapter, name = js.parent.name, js.stem
        near = by_name.get((chapter, name))
        why = (f"the page declares {name} with another config (record -> page: {_difference(js, near)})"
               if near is not None else "no page declares a run of this name")
        errors.append(f"{js.relative_to(REPO) if js.is_relative_to(REPO) else js}: loaded by no page; {why}")
    return errors


def check_data(root: Path = REPO / "data") -> list[str]:
    """Errors for files listed in a ``SHA256SUMS`` under ``root`` that are missing or differ."""
    errors = []
    for sums in sorted(root.rglob("SHA256SUMS")):
        for line in sums.read_text().splitlines():
            if not line.strip():
                continue
            digest, name = line.split(maxsplit=1)
            f = sums.parent / name.strip().lstrip("*")
            if not f.exists():
                errors.append(f"{f} is missing (listed in {sums})")
            elif weights.sha256(f) != digest:
                errors.append(f"{f}: its sha256 differs from {sums}")
    return errors


def main() -> int:
    from . import cpu

    cpu.pin()  # the declared runs' configs are rebuilt from data the pages generate under the pins
    torch.set_num_threads(2)
    committed = records()
    errors = check_files(committed)
    print(f"records: {len(committed)} committed, {len(committed) - len(errors)} whole", flush=True)
    declared = census()
    errors += check_census(declared, committed)
    errors += check_data()
    print(f"census: {len(declared)} runs declared by the pages; data: SHA256SUMS checked", flush=True)
    for e in errors:
        print("error:", e)
    print("check-weights:", "ok" if not errors else f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
