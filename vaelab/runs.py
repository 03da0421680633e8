"""Train-or-load for a chapter's runs.

A run is its chapter, its name and its config (which holds the model, profile, dataset, seed and schedule): it
lives at ``weights/<chapter>/<name>.{pt,json}`` when that record holds its config or no record is there, and
otherwise beside it at ``<name>-<first 12 digits of the config's sha256>``. With ``train=False`` a run is loaded
from whichever of the two holds exactly its config (hash verified); otherwise it is trained, resumably (a
checkpoint under ``checkpoints/``, ignored by git), and, unless the profile is ``smoke``, saved with its record.
A trained run never replaces an existing record (the book's weights) unless the overwrite is explicit
(``overwrite=True``, or ``VAELAB_OVERWRITE_WEIGHTS=1`` for a whole page).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from . import REPO, weights
from .train import Trainer

#: runs shorter than this are not checkpointed (nothing to resume; the smoke profiles' runs take seconds)
CKPT_MIN_ITERATIONS = 100

#: where ``weights/`` and ``checkpoints/`` live; benchmarks/book_profile.py points it at a scratch folder
ROOT = REPO


def run_name(slug: str, seed: int, data: str | None = None) -> str:
    """A run's file name: ``<slug>-s<seed>``, or ``<slug>-<data>-s<seed>`` for a run on other data than the
    book's (e.g. ``data="celeba"``), so that training on a reader's data never overwrites the committed
    weights of the book's runs."""
    return f"{slug}-s{seed}" if data is None else f"{slug}-{data}-s{seed}"


def config_hash(config: dict) -> str:
    return weights.config_sha256(config)[:12]


def overwrite_requested() -> bool:
    """``VAELAB_OVERWRITE_WEIGHTS=1``: the explicit overwrite for a whole page (retraining the book on purpose)."""
    return os.environ.get("VAELAB_OVERWRITE_WEIGHTS", "0") == "1"


def stems(chapter: str, name: str, config: dict) -> tuple[Path, Path]:
    """The two places a run can live: ``weights/<chapter>/<name>`` and ``…/<name>-<config hash>``."""
    base = ROOT / "weights" / chapter / name
    return base, base.with_name(f"{name}-{config_hash(config)}")


def find(chapter: str, name: str, config: dict) -> Path | None:
    """The stem whose record holds exactly ``config``, or None."""
    for stem in stems(chapter, name, config):
        if weights.matching_record(stem, config) is not None:
            return stem
    return None


def save_stem(chapter: str, name: str, config: dict, overwrite: bool = False) -> Path:
    """Where a trained run is saved: its own name when no record is there (or ``overwrite``), else beside it
    under its config's hash, so that no record of another config, and no committed record, is replaced."""
    base, other = stems(chapter, name, config)
    return base if overwrite or not base.with_suffix(".json").exists() else other


#: when a list, :func:`lookup` appends ``(chapter, name, config, stem found or None, model or None)`` to it (the
#: model as the page builds it, untrained: :mod:`vaelab.zoo` loads committed weights into it), and :func:`obtain`
#: returns at once with the model untrained, the record found and its metrics (or empty ones): ``python -m
#: vaelab.check_weights`` lists every run the pages declare this way, without training or evaluating anything
CENSUS: list | None = None


def lookup(chapter: str, name: str, config: dict, model: torch.nn.Module | None = None) -> Path | None:
    """:func:`find`, for a page that loads a run: the census (:data:`CENSUS`) sees it (and ``model``, the run's
    model as the page builds it)."""
    stem = find(chapter, name, config)
    if CENSUS is not None:
        CENSUS.append((chapter, name, weights.config_dict(config), stem, model))
    return stem


def obtain(chapter: str, name: str, model: torch.nn.Module, run_config: dict, data: dict, *,
           batch_size: int, iterations: int, seed: int, device, train: bool, save: bool,
           evaluate=None, capture: bool | None = None, progress: bool = True, log_every: int = 500,
           lr_schedule=None, storage: str = "float32", overwrite: bool | None = None):
    """Return ``(model, record, metrics)``; the model is in eval mode (``evaluate`` may have moved it).

    ``metrics = evaluate(model)``, computed once: for a trained run it is also stored in the record;
    for a loaded run it is computed from the loaded weights (the record keeps its training-time copy).
    ``lr_schedule(iteration) -> factor`` scales every step's learning rate (the run config must say so).
    ``storage="float16"`` rounds the trained model to float16 before it is evaluated and saves it so (the
    run config must say so too, so that a float32 record is not taken for it).
    ``overwrite`` (default: :func:`overwrite_requested`) lets the trained run replace the record of its name.
    """
    device = torch.device(device)
    if CENSUS is not None:
        stem = lookup(chapter, name, run_config, model)
        rec = weights.read_record(stem) if stem is not None else {}
        return model.eval(), rec, dict(rec.get("metrics", {}))
    if not train:
        stem = find(chapter, name, run_config)
        if stem is not None:
            _, rec = weights.load(stem, model)
            model = model.to(device).eval()
            return model, rec, (evaluate(model) if evaluate is not None else {})
    model = model.to(device)
    # a checkpoint every tenth of the run; a run of fewer than CKPT_MIN_ITERATIONS iterations (the smoke
    # profiles: seconds) writes none (a judge's checkpoint is about 250 MB with Adam's moments)
    ckpt = (ROOT / "checkpoints" / chapter / f"{name}-{config_hash(run_config)}.ckpt"
            if iterations >= CKPT_MIN_ITERATIONS else None)
    trainer = Trainer(model, model.steps(), data, batch_size=batch_size, iterations=iterations, seed=seed,
                      capture=(device.type == "cuda") if capture is None else capture,
                      ckpt_path=ckpt, ckpt_every=max(iterations // 10, 1), log_every=log_every,
                      progress=progress, desc=f"{chapter}/{name}", lr_schedule=lr_schedule)
    result = trainer.fit()
    if ckpt is not None:
        ckpt.unlink(missing_ok=True)  # finished: a later train=True must train anew, not resume at the end
    model.eval()
    if storage == "float16":
        weights.half_storage_(model)
    metrics = evaluate(model) if evaluate is not None else {}
    record = {"config": weights.config_dict(run_config), "metrics": metrics, "seed": seed,
              "wall_s": result.wall_s, "history": result.history, "iterations": result.iterations,
              "captured": result.captured}
    if save:
        overwrite = overwrite_requested() if overwrite is None else overwrite
        stem = save_stem(chapter, name, run_config, overwrite)
        if stem.name != name:
            base = stems(chapter, name, run_config)[0]
            diff = weights.config_diff(weights.read_record(base).get("config", {}), run_config)
            held = f"another configuration ({'; '.join(diff[:4])})" if diff else "a run of this configuration"
            print(f"{chapter}/{name}: weights/{chapter}/{name} holds {held}; it is kept, and this run is saved "
                  f"as {stem.name} (VAELAB_OVERWRITE_WEIGHTS=1 replaces it instead)", flush=True)
        record = weights.save(stem, model, config=run_config, replace=True, metrics=metrics, seed=seed, device=device,
                              wall_s=result.wall_s, storage=storage, extra={"history": result.history,
                                                           "iterations": result.iterations,
                                                           "captured": result.captured})
    return model, record, metrics


class Results(dict):
    """A chapter's runs, ``{(key, seed): {"model", "record", "metrics", ...}}``: every key is a run. What the
    chapter's evaluation shares beside them (its data draws, its evaluation sets) lives in ``extra``."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.extra = {}


@dataclass
class Run:
    """One declared run of a chapter: everything :func:`obtain_all` needs to train it or load it."""
    key: str                                   # its name in the chapter's results ("ACAI (lines)", "glasses")
    seed: int
    name: str                                  # its file name under weights/<chapter>/ (see run_name)
    build: Callable[[], torch.nn.Module]       # the untrained model (torch is seeded with `seed` just before)
    config: Callable[[torch.nn.Module], dict]  # the run config, from the built model
    data: dict                                 # the training tensors (moved to the device once per dict)
    iterations: int
    batch_size: int
    evaluate: Callable | None = None           # model -> metrics (see obtain)
    extra: Callable[[], dict] | None = None    # more fields for its results entry, read after evaluate
    options: dict = field(default_factory=dict)  # obtain's other arguments: lr_schedule, storage, log_every


def obtain_all(chapter: str, declared, params, progress: bool = True, into: dict | None = None) -> Results:
    """Train or load every declared run, in order: ``{(key, seed): {"model", "record", "metrics", ...}}``.

    The one train-or-load loop of the book: it seeds torch before each build, saves every run except the
    smoke profile's, and logs twenty times per run unless a run says otherwise. ``into`` is the dict to fill
    (a later run's ``build`` may read an earlier run's entry from it)."""
    out = Results() if into is None else into
    on_device = {}
    for run in declared:
        if id(run.data) not in on_device:
            on_device[id(run.data)] = {k: v.to(params.device) for k, v in run.data.items()}
        torch.manual_seed(run.seed)
        model = run.build()
        options = {"log_every": max(run.iterations // 20, 1), **run.options}
        model, rec, metrics = obtain(
            chapter, run.name, model, run.config(model), on_device[id(run.data)], batch_size=run.batch_size,
            iterations=run.iterations, seed=run.seed, device=params.device, train=params.train,
            save=params.profile != "smoke", evaluate=run.evaluate, progress=progress, **options)
        out[(run.key, run.seed)] = {"model": model.cpu().eval(), "record": rec, "metrics": metrics,
                                    **(run.extra() if run.extra is not None else {})}
    return out
