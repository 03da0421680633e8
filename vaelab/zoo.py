"""The committed runs as a model zoo: list them, and load one by name, built as its page builds it.

``zoo.list()`` reads the records under ``weights/`` (nothing is loaded); ``zoo.load("cycle_vae/mnist16-s0")``
returns the model with its committed weights (sha256 verified), in eval mode. A model is built by the very calls
its page makes (the chapter's census, :func:`vaelab.check_weights.census`, which builds every declared run and
trains nothing), so the zoo needs no second description of any architecture.

    >>> from vaelab import zoo
    >>> zoo.list()[0]["run"]
    'acai/lines-aae-s0'
    >>> model = zoo.load("toy_csvae/csvae-s0")
"""
from __future__ import annotations

import copy
import difflib
from pathlib import Path

import torch

from . import REPO, check_weights, weights
from .chapters.registry import RUNS

#: the first of these that a record's metrics hold is its headline metric in :func:`list`
HEADLINE = ("flip", "s_test", "probe_acc", "smoothness", "add_success", "transfer0_both", "log_px",
            "flips_male", "test_acc", "acc_Eyeglasses", "mi_z", "recon_mse")
#: folders of ``weights/`` whose runs a chapter of another name declares (the shared face judge)
DECLARED_BY = {"face_judge": ("celeba_csvae", "domain_translation")}
#: the census of each chapter, once per process: ``{chapter: {stem: model}}``
_BUILT: dict = {}


def _records(root: Path = REPO) -> dict:
    """``{"<folder>/<run>": record path}`` for every committed record."""
    return {f"{js.parent.name}/{js.stem}": js for js in check_weights.records(root)}


def names() -> list[str]:
    """Every committed run's name, ``<folder>/<run>``."""
    return sorted(_records())


def list() -> list[dict]:  # noqa: A001 - the zoo's own verb, as pythae's and timm's
    """One row per committed run: name, chapter, model, seed, profile, iterations, device it trained on, size of
    its weights file (MB), sha256, and its headline metric (:data:`HEADLINE`) as recorded at training."""
    rows = []
    for name, js in sorted(_records().items()):
        rec = weights.read_record(js)
        cfg, metrics = rec.get("config", {}), rec.get("metrics", {})
        key = next((k for k in HEADLINE if k in metrics), None)
        rows.append({
            "run": name, "chapter": cfg.get("chapter", js.parent.name),
            "model": cfg.get("model") or cfg.get("method") or cfg.get("experiment") or cfg.get("domain")
            or js.stem.rsplit("-s", 1)[0],
            "seed": rec.get("seed", cfg.get("seed")), "profile": cfg.get("profile"),
            "iterations": rec.get("iterations", cfg.get("iterations")), "device": rec.get("device"),
            "size_mb": round(js.with_name(rec.get("file", js.stem + ".pt")).stat().st_size / 2**20, 2),
            "sha256": rec.get("sha256"), "headline": key, "value": metrics.get(key) if key else None})
    return rows


def _built(chapter: str) -> dict:
    """``{stem: model}`` for every run that ``chapter``'s page declares (book profile, seeds 0-2), untrained."""
    if chapter not in _BUILT:
        declared = check_weights.census({chapter: RUNS[chapter]}, progress=False)
        _BUILT[chapter] = {d[3].resolve(): d[4] for d in declared if d[3] is not None and d[4] is not None}
    return _BUILT[chapter]


def load(name: str, device: str | torch.device = "cpu") -> torch.nn.Module:
    """The committed run ``<folder>/<run>`` (as :func:`names` lists them), its weights verified, in eval mode on
    ``device``. An unknown name is a ValueError listing the nearest names."""
    found = _records()
    if name not in found:
        near = difflib.get_close_matches(name, found, n=5, cutoff=0.5)
        raise ValueError(f"no committed run {name!r}; nearest: {', '.join(near) if near else 'none'} "
                         f"(zoo.names() lists all {len(found)})")
    js = found[name]
    folder = js.parent.name
    stem = js.with_suffix("").resolve()
    for chapter in DECLARED_BY.get(folder, (folder,)):
        model = _built(chapter).get(stem) if chapter in RUNS else None
        if model is not None:
            model = copy.deepcopy(model)  # the census's copy stays untrained for the next load
            weights.load(stem, model)
            return model.to(device).eval()
    raise ValueError(f"{name}: no page declares this run today, so the zoo cannot build it "
                     f"(make check-weights names the difference)")


def reset() -> None:
    """Forget the built models (each :func:`load` then builds its chapter's runs afresh)."""
    _BUILT.clear()


__all__ = ["names", "list", "load", "reset", "HEADLINE"]
