"""The cycle-consistent VAE (Jha, Anand, Singh, Veeravasarapu, ECCV'18): profiles, data, training and the
paper's classification table. Figures: :mod:`vaelab.chapters.cycle_vae.figures`.

Experiments (:data:`EXPERIMENTS`): MNIST at (z, s) = (16, 16) and (64, 64) with the reference's nets,
ToySprites (:mod:`vaelab.data.sprites`) in place of Reed's 2D Sprites at the paper's (512, 64), and the
ablation without the reverse cycle at MNIST (16, 16). :data:`REED` is the sprite experiment on Reed's real
2D Sprites for readers who have them (:mod:`vaelab.chapters.cycle_vae.reed`; the page's ``sprites="reed"``).

Metrics (:func:`evaluate`), on held-out images:

* ``z_train``/``z_test``, ``s_train``/``s_test``: the paper's table, the train and test accuracy (%) of the
  reference's ``Classifier`` (:func:`vaelab.metrics.probes.fit_probe`) predicting the class from frozen style
  means z or class codes s; low z accuracy means the class did not leak into the style code.
  ``zs_train``/``zs_test``: the same on one posterior *sample* of z (the code the decoder trains on; the
  protocol of the paper's z column); s is deterministic, so it has no sampled counterpart.
* ``recon_mse``: per-element MSE of an image decoded from its own (z mean, s).
* MNIST, on pairs of different digits: ``swap_acc`` and ``swap_leak``, how often a digit judge (a CNN trained
  on real MNIST) reads the *class source's*, or the *style source's*, digit in the swap D(z(x_style), s(x_class)).
* ToySprites: ``swap_mse``, the swap's per-element MSE to the true sprite (the class source's identity in the
  style source's pose, direction and position), beside ``copy_class_mse`` and ``copy_style_mse``, the same
  for the two sources themselves (what a model that ignores z, or s, would score).

The probe sprites (seeds 1 and 2) and the training pairs (seed 0) are drawn independently, so a few sprites
repeat across the sets by chance.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from ... import report, runs
from ...data import mnist, sprites
from ...data.pairs import partners
from ...metrics.image_classifier import ImageClassifier, ImageClassifierConfig
from ...metrics.probes import fit_probe
from ...models.cycle_vae import CycleVAE, CycleVAEConfig, load_reference_checkpoint, lr_schedule, reference_iterations

CHAPTER = "cycle_vae"


@dataclass(frozen=True)
class Experiment:
    dataset: str          # "mnist" or "sprites"
    z_dim: int
    s_dim: int
    reverse_cycle: bool
    slug: str             # weights/cycle_vae/<slug>-s<seed>


EXPERIMENTS = {
    "MNIST 16/16": Experiment("mnist", 16, 16, True, "mnist16"),
    "MNIST 64/64": Experiment("mnist", 64, 64, True, "mnist64"),
    "ToySprites 512/64": Experiment("sprites", 512, 64, True, "sprites"),
    "MNIST 16/16, no reverse cycle": Experiment("mnist", 16, 16, False, "mnist16-noreverse"),
}
TABLE_EXPERIMENTS = ("MNIST 16/16", "MNIST 64/64", "ToySprites 512/64")
ABLATION = ("MNIST 16/16", "MNIST 16/16, no reverse cycle")
#: the same sprite experiment on Reed et al.'s real 2D Sprites (page parameter ``sprites="reed"``; data:
#: :mod:`vaelab.chapters.cycle_vae.reed`); its weights are ``reed-s<seed>``, never ToySprites'
REED = "2D Sprites 512/64"
KNOWN = {**EXPERIMENTS, REED: Experiment("sprites", 512, 64, True, "reed")}
SPRITE_SETS = {"toysprites": "ToySprites 512/64", "reed": REED}


def experiments(sprites: str = "toysprites", names=tuple(EXPERIMENTS)) -> tuple:
    """``names`` with the ToySprites experiment replaced by the one on ``sprites`` ("toysprites" | "reed")."""
    if sprites not in SPRITE_SETS:
        raise ValueError(f"sprites must be one of {', '.join(SPRITE_SETS)}, got {sprites!r}")
    return tuple(SPRITE_SETS[sprites] if n == SPRITE_SETS["toysprites"] else n for n in names)

#: Jha et al., Table 1, "Ours": (z train, z test, s train, s test) accuracy in %; the sprites row is
#: Reed et al.'s 2D Sprites (672 characters), ours is ToySprites (500 identities)
PAPER = {"MNIST 16/16": (17.72, 17.56, 99.72, 98.35), "MNIST 64/64": (26.04, 26.55, 99.95, 98.33),
         "ToySprites 512/64": (11.55, 11.47, 98.53, 97.16)}
PAPER[REED] = PAPER["ToySprites 512/64"]
PROBE_COLUMNS = {"z_train": "z train %", "z_test": "z test %", "s_train": "s train %", "s_test": "s test %"}
#: the probes on one posterior sample of z per image (s has none: it is deterministic)
PROBE_COLUMNS_SAMPLED = {"zs_train": "z sampled train %", "zs_test": "z sampled test %"}
#: the streams of :func:`sampling_seed` for the sampled z of the probes' training and test codes
SAMPLE_STREAMS = {"probe_train": 23, "probe_test": 29}


@dataclass(frozen=True)
class Profile:
    mnist_iterations: int     # MNIST runs: iterations at batch 64
    sprites_iterations: int   # ToySprites runs: iterations at batch 64
    mnist_train: int          # MNIST training images (0: all 60,000), each paired with a same-digit partner
    sprite_pairs: int         # ToySprites training pairs (same identity, independent pose/direction/shift)
    probe_train: int          # held-out codes the probes train on (MNIST: training images; sprites: fresh)
    probe_test: int           # codes the probes are tested on (MNIST: test images; sprites: fresh)
    probe_epochs: int         # epochs of each probe
    judge_iterations: int     # the MNIST digit judge, batch 128
    batch_size: int = 64      # main.py
    lr_drop_at: float = 0.8   # StepLR(80 of 100 epochs, gamma 0.1)


PROFILES = {
    "smoke": Profile(mnist_iterations=8, sprites_iterations=6, mnist_train=1000, sprite_pairs=256,
                     probe_train=400, probe_test=300, probe_epochs=2, judge_iterations=20),
    # the published pages: 3,000 iterations on MNIST (3.2 epochs; the reference runs 100 epochs = 93,700)
    # and on ToySprites (at 1,200 the sprite decoder drew one blurred silhouette for every input; at 3,000
    # the reconstructions are still blurred, see the chapter)
    "book": Profile(mnist_iterations=3000, sprites_iterations=3000, mnist_train=0, sprite_pairs=10_000,
                    probe_train=10_000, probe_test=5_000, probe_epochs=20, judge_iterations=1500),
    # the reference's length (main.py: 100 epochs of 937 batches) for every dataset
    "paper": Profile(mnist_iterations=reference_iterations(), sprites_iterations=reference_iterations(),
                     mnist_train=0, sprite_pairs=50_000, probe_train=60_000, probe_test=10_000,
                     probe_epochs=20, judge_iterations=3000),
}


# --------------------------------------------------------------------------------------------- data
def mnist_data(profile: Profile, root=None) -> dict:
    """``{"train": {"x1", "x2"}, "probe_train": {"x", "y"}, "probe_test": {"x", "y"}, "labels",
    "n_classes"}``: training pairs (each training image with a fixed same-digit partner; ``labels`` are x1's), the
    first ``probe_train`` training images and the first ``probe_test`` test images for the probes."""
    x, y = mnist.load("train", root=root)
    xt, yt = mnist.load("test", root=root)
    if profile.mnist_train:
        x, y = x[:profile.mnist_train], y[:profile.mnist_train]
    if profile.probe_train > len(x) or profile.probe_test > len(xt):
        raise ValueError(f"probe_train={profile.probe_train} / probe_test={profile.probe_test} exceed the "
                         f"{len(x)} training / {len(xt)} test digits")
    p = partners(y)
    return {"train": {"x1": x, "x2": x[p]}, "labels": y,
            "probe_train": {"x": x[:profile.probe_train], "y": y[:profile.probe_train]},
            "probe_test": {"x": xt[:profile.probe_test], "y": yt[:profile.probe_test]}, "n_classes": 10}


def sprites_data(profile: Profile) -> dict:
    """The same layout for ToySprites over all identities: training pairs of seed 0, probe sprites of seeds 1
    (train) and 2 (test) — the same identities in fresh poses, directions and positions (a classifier can
    only be tested on classes it has seen). The test set keeps its factors for the swap truth."""
    tr = sprites.pairs(profile.sprite_pairs, seed=0)
    pt, te = sprites.make(profile.probe_train, seed=1), sprites.make(profile.probe_test, seed=2)
    return {"train": {"x1": tr["x1"], "x2": tr["x2"]}, "probe_train": {"x": pt["x"], "y": pt["identity"]},
            "probe_test": {"x": te["x"], "y": te["identity"], **{k: te[k] for k in sprites.UNSPECIFIED}},
            "n_classes": sprites.N_IDENTITIES}


def load_data(datasets, profile: Profile, data_root, sprites: str = "toysprites") -> dict:
    """MNIST from ``data_root/mnist``; the sprites are ToySprites, or with ``sprites="reed"`` Reed's 2D Sprites
    from ``data_root`` (``data_root/sprites`` or ``data_root/data/sprites`` also work)."""
    experiments(sprites)  # checks the name
    out = {}
    if "mnist" in datasets:
        out["mnist"] = mnist_data(profile, root=data_root / "mnist")
    if "sprites" in datasets:
        if sprites == "reed":
            from .reed import reed_data
            out["sprites"] = reed_data(profile, data_root)
        else:
            out["sprites"] = sprites_data(profile)
    return out


# --------------------------------------------------------------------------------------------- runs
def build(name: str) -> CycleVAE:
    if name not in KNOWN:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(KNOWN)}")
    e = KNOWN[name]
    return CycleVAE(CycleVAEConfig(arch=e.dataset, z_dim=e.z_dim, s_dim=e.s_dim, reverse_cycle=e.reverse_cycle))


def iterations(name: str, profile: Profile) -> int:
    return profile.mnist_iterations if KNOWN[name].dataset == "mnist" else profile.sprites_iterations


def run_config(name: str, model: CycleVAE, profile_name: str, seed: int, n_pairs: int) -> dict:
    p = PROFILES[profile_name]
    return {"chapter": CHAPTER, "experiment": name, "model_config": asdict(model.cfg), "profile": profile_name,
            "iterations": iterations(name, p), "batch_size": p.batch_size, "lr_drop_at": p.lr_drop_at,
            "n_pairs": n_pairs, "seed": seed}


def judge(params, D: dict, progress: bool = True) -> dict:
    """Train or load the MNIST digit judge (seed 0): ``{"model", "record", "metrics": {"test_acc"}}``."""
    profile = PROFILES[params.profile]
    d = D["mnist"]
    x, y = d["train"]["x1"], d["labels"]
    te = d["probe_test"]
    declared = runs.Run(
        key="judge: digit", seed=0, name="judge_digit",
        build=lambda: ImageClassifier(ImageClassifierConfig(n_classes=10)),
        config=lambda m: {"chapter": CHAPTER, "part": "judge", "model_config": asdict(m.cfg),
                          "profile": params.profile, "iterations": profile.judge_iterations, "n_train": len(x),
                          "seed": 0},
        data={"x": x, "y": y}, iterations=profile.judge_iterations, batch_size=128,
        evaluate=lambda c: {"test_acc": c.cpu().accuracy(te["x"], te["y"])},
        options={"log_every": max(profile.judge_iterations // 10, 1)})
    return runs.obtain_all(CHAPTER, [declared], params, progress)[("judge: digit", 0)]


def sampling_seed(seed: int, stream: int) -> int:
    """The seed of a posterior-sampling generator for run ``seed`` and ``stream`` (:data:`SAMPLE_STREAMS`)."""
    return int(np.random.SeedSequence([seed, stream]).generate_state(1)[0])


@torch.no_grad()
def codes(model: CycleVAE, x: torch.Tensor, batch: int = 500,
          sample_seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(style codes, class codes) of x on the CPU, in batches. The style codes are the posterior means, or
    with an int ``sample_seed`` one posterior sample per image (``CycleVAE.encode_sampled``) from a CPU
    generator seeded with it, drawn batch by batch in order. A model without ``encode_sampled`` (the tests'
    deterministic oracles) gives its means either way."""
    model = model.cpu()
    sampled = getattr(model, "encode_sampled", None) if sample_seed is not None else None
    if sampled is None:
        parts = [model.encode(x[i:i + batch]) for i in range(0, len(x), batch)]
    else:
        g = torch.Generator().manual_seed(sample_seed)
        parts = [sampled(x[i:i + batch], g) for i in range(0, len(x), batch)]
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


def sprite_truth(te: dict, style_idx, class_idx) -> torch.Tensor:
    """The true swaps of ToySprites test sprites: identity of each class source, pose/direction/position of
    each style source, (len(style_idx), len(class_idx), 3, 64, 64)."""
    si, ci = torch.as_tensor(style_idx), torch.as_tensor(class_idx)
    ident = te["y"][ci].repeat(len(si))
    f = {k: te[k][si].repeat_interleave(len(ci)) for k in sprites.UNSPECIFIED}
    out = sprites.render(ident, f["pose"], f["direction"], f["dx"], f["dy"])
    return out.view(len(si), len(ci), *out.shape[1:])


def style_share(grid: torch.Tensor) -> float:
    """How much of a swap grid's pixel variance comes from the style source, in %. ``grid`` is (n styles,
    m classes, C, H, W); the variance across styles (rows) at a fixed class source, and across classes
    (columns) at a fixed style source, are each averaged over pixels and over the other axis: share =
    var_style / (var_style + var_class). 0: the decoder ignores z; 100: it ignores s."""
    if grid.dim() != 5 or min(grid.shape[:2]) < 2:
        raise ValueError(f"style_share needs a (n>=2, m>=2, C, H, W) grid, got shape {tuple(grid.shape)}")
    v_style = grid.var(0).mean()
    v_class = grid.var(1).mean()
    total = v_style + v_class
    return 100 * float(v_style / total) if total > 0 else float("nan")


STYLE_GRID = 20  # style_share: a 20 x 20 swap grid of test images (styles 0..19, classes 20..39)


def swaps(model, x_style: torch.Tensor, x_class: torch.Tensor) -> torch.Tensor:
    """Every combination: the style mean of each ``x_style`` with the class code of each ``x_class``,
    (len(x_style), len(x_class), C, H, W). ``CycleVAE.swap(grid=True)`` computes the same; this needs only
    ``encode``/``decode``, so the metrics also run on the oracle models of the tests."""
    z, _ = model.encode(x_style)
    _, s = model.encode(x_class)
    n, m = len(z), len(s)
    out = model.decode(z.repeat_interleave(m, 0), s.repeat(n, 1))
    return out.view(n, m, *out.shape[1:])


def swap_partners(n: int, seed: int) -> torch.Tensor:
    """The class source of each test image in the swap metrics: a fixed random permutation."""
    return torch.from_numpy(np.random.default_rng([seed, 17]).permutation(n))


def _decode(model, z: torch.Tensor, s: torch.Tensor, batch: int = 500) -> torch.Tensor:
    return torch.cat([model.decode(z[i:i + batch], s[i:i + batch]) for i in range(0, len(z), batch)])


def evaluate(model: CycleVAE, d: dict, profile: Profile, seed: int, digit_judge=None) -> dict:
    """The metrics of the module docstring for one trained model on its dataset's ``d``. The sampled-z probe
    (``zs_*``) runs last, on samples of seeds ``sampling_seed(seed, 23)`` (training codes) and ``(seed, 29)``
    (test codes) with the probe seed of the others; the model's buffers (the instance norms' running
    statistics, which every train-mode encoding updates) are restored after it, so it changes neither the
    other metrics nor the saved weights. s is deterministic here: there is no sampled-s probe."""
    tr, te = d["probe_train"], d["probe_test"]
    device = next(model.parameters(), torch.empty(0)).device  # trained on a GPU: the probes train there too
    ztr, str_ = codes(model, tr["x"])
    zte, ste = codes(model, te["x"])
    out = {}
    for key, a, b in (("z", ztr, zte), ("s", str_, ste)):
        acc_tr, acc_te = fit_probe(a, tr["y"], b, te["y"], epochs=profile.probe_epochs, seed=seed,
                                   num_classes=d["n_classes"], device=device)
        out[f"{key}_train"], out[f"{key}_test"] = 100 * acc_tr, 100 * acc_te
    recon = _decode(model, zte, ste)
    out["recon_mse"] = float(((recon - te["x"]) ** 2).mean())
    perm = swap_partners(len(te["x"]), seed)
    swapped = _decode(model, zte, ste[perm])
    k = min(STYLE_GRID, len(te["x"]) // 2)
    out["style_share"] = style_share(swaps(model, te["x"][:k], te["x"][k:2 * k]))
    if "pose" in te:  # ToySprites: the generator knows the true swapped sprite
        truth = sprites.render(te["y"][perm], te["pose"], te["direction"], te["dx"], te["dy"])
        out["swap_mse"] = float(((swapped - truth) ** 2).mean())
        out["copy_class_mse"] = float(((te["x"][perm] - truth) ** 2).mean())
        out["copy_style_mse"] = float(((te["x"] - truth) ** 2).mean())
        out["style_share_truth"] = style_share(sprite_truth(te, torch.arange(k), torch.arange(k, 2 * k)))
    if digit_judge is not None:
        pred = digit_judge.predict(swapped)
        y_style, y_class = te["y"], te["y"][perm]
        diff = y_style != y_class
        out["swap_acc"] = 100 * float((pred[diff] == y_class[diff]).float().mean())
        out["swap_leak"] = 100 * float((pred[diff] == y_style[diff]).float().mean())
    buffers = {k: b.clone() for k, b in model.named_buffers()}
    zs_tr, _ = codes(model, tr["x"], sample_seed=sampling_seed(seed, SAMPLE_STREAMS["probe_train"]))
    zs_te, _ = codes(model, te["x"], sample_seed=sampling_seed(seed, SAMPLE_STREAMS["probe_test"]))
    with torch.no_grad():
        for k, b in model.named_buffers():
            b.copy_(buffers[k])
    acc_tr, acc_te = fit_probe(zs_tr, tr["y"], zs_te, te["y"], epochs=profile.probe_epochs, seed=seed,
                               num_classes=d["n_classes"], device=device)
    out["zs_train"], out["zs_test"] = 100 * acc_tr, 100 * acc_te
    return out


def run(params, experiments=tuple(EXPERIMENTS), D: dict | None = None, progress: bool = True) -> dict:
    """Train or load every (experiment, seed): ``{(experiment, seed): {"model", "record", "metrics"}}``, plus
    ``("judge: digit", 0)`` when an MNIST experiment is asked for."""
    profile = PROFILES[params.profile]
    for name in experiments:
        if name not in KNOWN:
            raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(KNOWN)}")
    datasets = {KNOWN[n].dataset for n in experiments}
    if D is None:
        D = load_data(datasets, profile, params.data_root, "reed" if REED in experiments else "toysprites")
    out, J = runs.Results(), None
    if "mnist" in datasets:
        J = judge(params, D, progress)
        out[("judge: digit", 0)] = J
    declared = []
    for name in experiments:
        d = D[KNOWN[name].dataset]
        its = iterations(name, profile)
        jm = J["model"] if J is not None and KNOWN[name].dataset == "mnist" else None
        declared += [runs.Run(
            key=name, seed=seed, name=f"{KNOWN[name].slug}-s{seed}", build=lambda name=name: build(name),
            config=lambda m, name=name, seed=seed, n=len(d["train"]["x1"]):
                run_config(name, m, params.profile, seed, n),
            data=d["train"], iterations=its, batch_size=profile.batch_size,
            evaluate=lambda m, d=d, s=seed, jm=jm: evaluate(m, d, profile, s, jm),
            options={"lr_schedule": lr_schedule(its, profile.lr_drop_at)}) for seed in params.seeds]
    runs.obtain_all(CHAPTER, declared, params, progress, into=out)
    return out


#: the probe table's columns: z under both protocols (posterior means; one posterior sample per image), then s
PROBE_COLUMNS_BOTH = {"z_train": "z means train %", "z_test": "z means test %", "zs_train": "z sampled train %",
                      "zs_test": "z sampled test %", "s_train": "s train %", "s_test": "s test %"}
#: the authors' released MNIST model (``data/reference/``), evaluated beside the book's MNIST 16/16 runs
AUTHORS = "MNIST 16/16, authors' checkpoint"


def authors(D: dict, profile: Profile, digit_judge=None) -> dict:
    """``{"model", "metrics"}`` of the authors' released MNIST checkpoint, evaluated exactly as a book run of
    seed 0 (:func:`evaluate` on the page's MNIST probe sets and judge)."""
    model = load_reference_checkpoint()
    return {"model": model, "metrics": evaluate(model, D["mnist"], profile, 0, digit_judge)}


def probe_table(results: dict, experiments=tuple(EXPERIMENTS), authors_result: dict | None = None):
    """The paper's table under both protocols for z: ours (mean ± sd over seeds); the paper's row, its z numbers
    under the sampled protocol (the one whose numbers the authors' own model reproduces); with
    ``authors_result``, the authors' checkpoint measured by the same probes, after MNIST 16/16."""
    import pandas as pd

    ours = report.table(results, experiments, PROBE_COLUMNS_BOTH, digits=2)
    rows = []
    for name in experiments:
        rows.append(pd.Series(ours.loc[name], name=f"{name} (ours)"))
        if name in PAPER:
            z_tr, z_te, s_tr, s_te = (f"{v:.2f}" for v in PAPER[name])
            rows.append(pd.Series({"z means train %": "—", "z means test %": "—", "z sampled train %": z_tr,
                                   "z sampled test %": z_te, "s train %": s_tr, "s test %": s_te},
                                  name=f"{name} (paper)"))
        if name == "MNIST 16/16" and authors_result is not None:
            m = authors_result["metrics"]
            rows.append(pd.Series({col: f"{m[key]:.2f}" for key, col in PROBE_COLUMNS_BOTH.items()},
                                  name=AUTHORS))
    return pd.DataFrame(rows)


SWAP_COLUMNS = {"recon_mse": "recon MSE", "swap_acc": "swap: class source's digit %",
                "swap_leak": "swap: style source's digit %", "swap_mse": "swap MSE vs truth",
                "copy_class_mse": "class source vs truth", "copy_style_mse": "style source vs truth",
                "style_share": "style's share of swap variance %", "style_share_truth": "the same, true sprites %"}
NO_TEST = report.NO_TEST


def chance(d: dict) -> float:
    """Accuracy (%) of always guessing the probes' most frequent training class, on the test codes."""
    top = torch.bincount(torch.as_tensor(d["probe_train"]["y"]), minlength=d["n_classes"]).argmax()
    return 100 * float((torch.as_tensor(d["probe_test"]["y"]) == top).float().mean())
