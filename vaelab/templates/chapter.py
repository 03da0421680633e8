"""__TITLE__.

Replace this docstring with the paper (authors, venue, year), the equations the chapter's models implement (by
their numbers in the paper), the reference code it follows and where it deviates. Made from
``vaelab/templates/chapter.py`` (``python -m vaelab.new_chapter``): one model, a Gaussian VAE on the labelled
swiss roll, trained or loaded per seed and evaluated on the test draw. Replace the models, the data and the
evaluation with the chapter's own and keep the shape: ``PROFILES``, ``build``, ``run_config``, ``evaluate``,
``declare``, ``run``, ``table``, ``findings``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from vaelab import report, runs
from vaelab.data import swissroll
from vaelab.models.vae import VAE, VAEConfig

CHAPTER = "__CHAPTER__"  # the folder of its weights: weights/__CHAPTER__/
MODELS = ("VAE",)


@dataclass(frozen=True)
class Profile:
    n_train: int     # training points
    n_test: int      # test points
    iterations: int  # optimiser iterations
    batch_size: int  # rows per step


PROFILES = {
    "smoke": Profile(n_train=1000, n_test=1000, iterations=200, batch_size=32),  # seconds: the unit tests
    "book": Profile(n_train=10_000, n_test=10_000, iterations=20_000, batch_size=32),  # the published page
    "paper": Profile(n_train=10_000, n_test=10_000, iterations=719_900, batch_size=32),  # the reference's length
}


def build(name: str) -> torch.nn.Module:
    if name == "VAE":
        return VAE(VAEConfig())
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


def run_config(name: str, model, profile_name: str, seed: int) -> dict:
    """Everything that decides the run's weights: a committed record is loaded only when this matches it."""
    return {"chapter": CHAPTER, "model": name, "model_config": asdict(model.cfg), "profile": profile_name,
            "schedule": asdict(PROFILES[profile_name]), "seed": seed}


@torch.no_grad()
def evaluate(model, D: dict) -> dict:
    """The chapter's metrics on the test draw (a pure function of the model and the data)."""
    te = {k: v.cpu() for k, v in D["test"].items()}
    model = model.cpu().eval()
    return {"recon_mse": float(((model.reconstruct(te["x"], te["y"]) - te["x"]) ** 2).mean())}


def declare(params) -> list:
    """The chapter's runs: one :class:`vaelab.runs.Run` per (model, seed), each with its own data draw."""
    profile = PROFILES[params.profile]
    declared = []
    for seed in params.seeds:
        D = swissroll.splits(profile.n_train, profile.n_test, seed=seed)
        declared += [runs.Run(key=name, seed=seed, name=runs.run_name(name.lower(), seed),
                              build=lambda n=name: build(n),
                              config=lambda m, n=name, s=seed: run_config(n, m, params.profile, s),
                              data=D["train"], iterations=profile.iterations, batch_size=profile.batch_size,
                              evaluate=lambda m, D=D: evaluate(m, D)) for name in MODELS]
    return declared


def run(params, progress: bool = True) -> dict:
    """Train or load every declared run: ``{(model, seed): {"model", "record", "metrics"}}``."""
    return runs.obtain_all(CHAPTER, declare(params), params, progress)


COLUMNS = {"recon_mse": "recon MSE"}


def table(results: dict):
    """One row per model: mean ± sd over seeds of every metric."""
    return report.table(results, MODELS, COLUMNS, digits=4)


def findings(results: dict) -> str:
    """The page's verdict: one plain sentence first, its numbers after."""
    mse = report.per_seed(results, "VAE", "recon_mse")
    return f"The VAE's test reconstruction MSE is {report.cell(mse, 4)} ({len(mse)} seed{'s' * (len(mse) > 1)})."
