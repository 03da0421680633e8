"""Train-or-load for a chapter's runs.

A run is identified by ``weights/<chapter>/<name>.{pt,json}``. With ``train=False``
a run is loaded when its record's config equals the requested one (hash verified);
otherwise it is trained, resumably (a checkpoint under ``checkpoints/``, ignored by
git), and — unless the profile is ``smoke`` — saved with its record.
"""
from __future__ import annotations

import hashlib
import json

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
    return hashlib.sha256(json.dumps(weights.config_dict(config), sort_keys=True).encode()).hexdigest()[:12]


def obtain(chapter: str, name: str, model: torch.nn.Module, run_config: dict, data: dict, *,
           batch_size: int, iterations: int, seed: int, device, train: bool, save: bool,
           evaluate=None, capture: bool | None = None, progress: bool = True, log_every: int = 500,
           lr_schedule=None, storage: str = "float32"):
    """Return ``(model, record, metrics)``; the model is in eval mode (``evaluate`` may have moved it).

    ``metrics = evaluate(model)``, computed once: for a trained run it is also stored in the record;
    for a loaded run it is computed from the loaded weights (the record keeps its training-time copy).
    ``lr_schedule(iteration) -> factor`` scales every step's learning rate (the run config must say so).
    ``storage="float16"`` rounds the trained model to float16 before it is evaluated and saves it so (the
    run config must say so too, so that a float32 record is not taken for it).
    """
    device = torch.device(device)
    stem = ROOT / "weights" / chapter / name
    if not train:
        rec = weights.matching_record(stem, run_config)
        if rec is not None:
            weights.load(stem, model)
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
        record = weights.save(stem, model, config=run_config, metrics=metrics, seed=seed, device=device,
                              wall_s=result.wall_s, storage=storage, extra={"history": result.history,
                                                           "iterations": result.iterations,
                                                           "captured": result.captured})
    return model, record, metrics
