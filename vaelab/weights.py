"""Weights records: ``<dir>/<run>.pt`` (a state_dict) beside ``<dir>/<run>.json``.

The JSON record holds the config (and its sha256, so that a config edited by hand is refused), metrics, seed,
git commit, device name, torch version, wall seconds and the ``.pt`` file's sha256. Loading uses
``torch.load(weights_only=True)`` and refuses a file whose hash differs from its record. A save never replaces an
existing record unless asked to (``replace=True``). Both files are written to temporary names first and then
renamed, the weights before the record; a save interrupted between the two renames is completed by the next read
(the new record is already whole beside the new weights), so a kill at any moment leaves one consistent pair.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import subprocess
from pathlib import Path

import torch

from . import REPO


class WeightsError(RuntimeError):
    """A weights file is missing, corrupt, or does not match its record."""


def sha256(path: os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def git_commit() -> str:
    """HEAD of the repository; ``VAELAB_GIT_COMMIT`` names it on a machine that got a copy of the working
    tree without its history (the lent GPU machine)."""
    if os.environ.get("VAELAB_GIT_COMMIT"):
        return os.environ["VAELAB_GIT_COMMIT"]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def git_dirty() -> bool | None:
    """True when the package's code differs from the commit (changed or untracked files under vaelab/):
    the record's commit then does not hold the code that trained the run. None if git is unavailable.
    ``VAELAB_GIT_DIRTY=0|1`` states it where ``VAELAB_GIT_COMMIT`` names the commit."""
    if os.environ.get("VAELAB_GIT_COMMIT") and os.environ.get("VAELAB_GIT_DIRTY") in ("0", "1"):
        return os.environ["VAELAB_GIT_DIRTY"] == "1"
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", "vaelab"], cwd=REPO, capture_output=True,
                             text=True, timeout=10)
        return bool(out.stdout.strip()) if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def device_name(device: torch.device | str) -> str:
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def config_dict(config) -> dict:
    """A JSON-able dict of a config dataclass (or dict)."""
    d = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else dict(config)
    return json.loads(json.dumps(d))  # tuples -> lists, as they come back from JSON


def config_sha256(config) -> str:
    """The sha256 of a config's canonical JSON: a record stores it, and a run saved beside a record of another
    config is named by its first 12 digits (:mod:`vaelab.runs`)."""
    return hashlib.sha256(json.dumps(config_dict(config), sort_keys=True).encode()).hexdigest()


def config_diff(a, b, prefix: str = "") -> list[str]:
    """Where two configs differ, as ``key.sub: a -> b`` lines (nested dicts by dotted key)."""
    a, b = config_dict(a), config_dict(b)
    out = []
    for k in sorted(set(a) | set(b), key=str):
        va, vb = a.get(k, "(absent)"), b.get(k, "(absent)")
        if isinstance(va, dict) and isinstance(vb, dict):
            out += config_diff(va, vb, f"{prefix}{k}.")
        elif va != vb:
            out.append(f"{prefix}{k}: {va!r} -> {vb!r}")
    return out


def _tmp(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


def _write_tmp(path: Path, write) -> Path:
    tmp = _tmp(path)
    write(tmp)
    with open(tmp, "rb") as f:  # on disk before any rename: a crash after it never finds a short file
        os.fsync(f.fileno())
    return tmp


def _finish_interrupted_save(path: Path) -> None:
    """Complete a save that was killed after renaming its weights and before renaming its record: the weights
    file then matches the record waiting in ``<run>.json.tmp``, which becomes the record. Otherwise a leftover
    temporary file belongs to a save killed before its first rename and is left alone (the previous pair is
    intact)."""
    js, pt = path.with_suffix(".json"), path.with_suffix(".pt")
    pending = _tmp(js)
    if not (pending.exists() and pt.exists()):
        return
    try:
        new = json.loads(pending.read_text())
    except (OSError, json.JSONDecodeError):
        return
    if new.get("sha256") == sha256(pt):
        os.replace(pending, js)


#: the largest finite float16 magnitude
FLOAT16_MAX = float(torch.finfo(torch.float16).max)


def _saved_state(model: torch.nn.Module) -> dict:
    skip = set(getattr(model, "TRAINING_ONLY", ()))
    return {k: v for k, v in model.state_dict().items() if k not in skip}


@torch.no_grad()
def half_storage_(model: torch.nn.Module) -> torch.nn.Module:
    """Round every floating parameter and buffer that :func:`save` writes to float16 precision, in place
    (the tensors stay float32), so that the model a chapter evaluates is exactly the model its float16 file
    holds. Refuses (``WeightsError``, naming the tensor) a finite value beyond float16's range, before
    changing anything."""
    state = {k: v for k, v in _saved_state(model).items() if v.is_floating_point()}
    for k, v in state.items():
        finite = v[torch.isfinite(v)]
        if finite.numel() and (big := float(finite.abs().max())) > FLOAT16_MAX:
            raise WeightsError(f"{type(model).__name__}.{k} holds {big:.4g}, beyond float16's range "
                               f"({FLOAT16_MAX:g}); keep this run in float32 storage")
    for v in state.values():
        v.copy_(v.half())
    return model


def save(path: os.PathLike, model: torch.nn.Module, *, config, metrics: dict, seed: int,
         device, wall_s: float, extra: dict | None = None, storage: str = "float32", replace: bool = False) -> dict:
    """Write ``path.pt`` and ``path.json``; returns the record. An existing record is replaced only with
    ``replace=True`` (otherwise :class:`WeightsError`, naming it). State entries that the model lists in its
    ``TRAINING_ONLY`` attribute (buffers needed only to continue training, e.g. VQ-VAE's EMA sums) are not
    written: the book's weights are for evaluation; a run's resume state lives in its checkpoint.

    ``storage="float16"`` writes floating tensors as float16 (half the bytes); call :func:`half_storage_`
    first, so that the metrics in the record are those of the rounded model (a model that was not rounded
    is refused: the file would not hold the weights that were evaluated). Loading casts back to the
    model's dtype."""
    if storage not in ("float32", "float16"):
        raise ValueError(f"storage must be 'float32' or 'float16', got {storage!r}")
    path = Path(path).with_suffix("")
    if path.with_suffix(".json").exists() and not replace:
        raise WeightsError(f"{path.with_suffix('.json')} exists; a save replaces a record only when asked to "
                           f"(replace=True)")
    path.parent.mkdir(parents=True, exist_ok=True)
    pt = path.with_suffix(".pt")
    state = {k: v.detach().cpu().contiguous() for k, v in _saved_state(model).items()}
    if storage == "float16":
        for k, v in state.items():
            if v.is_floating_point():
                h = v.half()
                if not torch.equal(h.to(v.dtype), v):
                    raise WeightsError(f"{type(model).__name__}.{k} is not float16-exact: round the model "
                                       "with half_storage_() before evaluating and saving it")
                state[k] = h
    new_pt = _write_tmp(pt, lambda tmp: torch.save(state, tmp))
    record = {
        "run": path.name,
        "config": config_dict(config),
        "config_sha256": config_sha256(config),
        "metrics": metrics,
        "seed": seed,
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
        "device": device_name(device),
        "torch": torch.__version__,
        "wall_s": round(float(wall_s), 3),
        "file": pt.name,
        "sha256": sha256(new_pt),
        "bytes": new_pt.stat().st_size,
        "storage": storage,
        **(extra or {}),
    }
    new_js = _write_tmp(path.with_suffix(".json"),
                        lambda tmp: tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n"))
    os.replace(new_pt, pt)  # a kill between these two renames is completed by _finish_interrupted_save
    os.replace(new_js, path.with_suffix(".json"))
    return record


def read_record(path: os.PathLike) -> dict:
    """The record at ``path``, checked against itself: a config that differs from the ``config_sha256`` it
    was saved with (edited by hand) is refused, naming the file."""
    path = Path(path).with_suffix("")
    _finish_interrupted_save(path)
    js = path.with_suffix(".json")
    if not js.exists():
        raise WeightsError(f"no weights record {js}; train the run (train=True) to create it")
    try:
        record = json.loads(js.read_text())
    except json.JSONDecodeError as e:
        raise WeightsError(f"weights record {js} is not valid JSON ({e}); restore it with "
                           f"`git checkout -- {js}` or retrain") from e
    if "config_sha256" not in record:
        raise WeightsError(f"weights record {js} has no config_sha256, so an edit of its config could not be "
                           f"told; restore it with `git checkout -- {js}` or retrain")
    if config_sha256(record.get("config", {})) != record["config_sha256"]:
        raise WeightsError(f"weights record {js}: its config does not match the config_sha256 it was saved with "
                           f"(edited by hand?); refusing it. Restore it with `git checkout -- {js}` or retrain")
    return record


def load(path: os.PathLike, model: torch.nn.Module | None = None, map_location="cpu"):
    """Verify the hash, load the state_dict (weights_only) and, if given, into ``model``.

    Returns ``(state_dict, record)``.
    """
    path = Path(path).with_suffix("")
    record = read_record(path)
    pt = path.with_suffix(".pt")
    if not pt.exists():
        raise WeightsError(f"weights file {pt} is missing (its record {pt.with_suffix('.json').name} "
                           f"exists); restore it with git or retrain with train=True")
    actual = sha256(pt)
    if actual != record.get("sha256"):
        raise WeightsError(
            f"refusing to load {pt}: its sha256 {actual[:16]}… does not match the record's "
            f"{str(record.get('sha256'))[:16]}…; the file is corrupt or was replaced. Restore it with "
            f"`git checkout -- {pt}` or retrain with train=True")
    state = torch.load(pt, map_location=map_location, weights_only=True)
    if model is not None:
        try:
            missing, unexpected = model.load_state_dict(state, strict=False)
        except RuntimeError as e:  # shape mismatches
            raise WeightsError(f"{pt} does not fit {type(model).__name__}: {e}") from None
        missing = [k for k in missing if k not in set(getattr(model, "TRAINING_ONLY", ()))]
        if missing or unexpected:
            raise WeightsError(f"{pt} does not fit {type(model).__name__}: missing {missing}, "
                               f"unexpected {unexpected}")
    return state, record


def matching_record(path: os.PathLike, config) -> dict | None:
    """The record at ``path`` if it exists and was trained with exactly ``config``, else None."""
    path = Path(path).with_suffix("")
    _finish_interrupted_save(path)
    if not path.with_suffix(".json").exists():
        return None
    record = read_record(path)
    return record if record.get("config") == config_dict(config) else None
