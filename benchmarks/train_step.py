"""Training-step throughput of each chapter's models: iterations/s, eager and CUDA-graph captured.

    .venv/bin/python benchmarks/train_step.py
        [--chapter toy_csvae|celeba_csvae|vae_playground|cycle_vae|acai|domain_translation]
        [--iters 300] [--repeats 5] [--devices cpu cuda]

``toy_csvae``: the six swiss-roll models at ``--batch`` (default 32). ``celeba_csvae``: the face chapter's
VAE, CondVAE, CondVAE-info and CSVAE in the book's width on random uint8 64×64 faces at its batch (32).
``vae_playground``: the four-point VAE and AVB at batch 400 and the conjoint VAE and AVB at batch 100, in the
book's narrower nets ("small") and the reference's ("reference"), on random 28x28 pairs. ``cycle_vae``: the four
experiments of the cycle-consistent VAE chapter (the reference's MNIST nets; ToySprites' 64x64 nets) at batch 64
on random pairs: the issue's bar is 200 iterations/s for MNIST 16/16 on one H100 (the reference's loop: 22).
``acai``: ACAI and its six baselines in the official lines32 nets (code 2×2×16) at batch 64 on random
32×32 images. ``domain_translation``: Press et al.'s E1/E2/decoder/discriminator at 64×64, batch 32 per
domain.

Prints one row per (model, device, mode): the median of ``--repeats`` timed runs of
``--iters`` iterations each (after a warm-up run), and the captured/eager ratio.
An iteration runs every optimiser step of the model once (CSVAE: adversary + model).
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from vaelab import cpu
from vaelab.chapters import acai as ac
from vaelab.chapters import celeba_csvae as cc
from vaelab.chapters import cycle_vae as cv
from vaelab.chapters import toy_csvae as toy
from vaelab.chapters import vae_playground as vp
from vaelab.chapters.vae_playground import conjoint as vc
from vaelab.data import swissroll
from vaelab.models import content
from vaelab.train import Trainer


def toy_case(name, device, batch):
    x, y, _ = swissroll.make(10_000, seed=0, device=device)
    return toy.build(name), {"x": x, "y": y}, batch


def playground_case(name, device, batch):
    """``name``: "points VAE" / "points AVB", or "<conjoint model> (small|reference)"."""
    if name.startswith("points "):
        return vp.build_points(name[7:]), {"x": torch.eye(4, device=device)}, 400
    model_name, nets = name[:-1].split(" (")
    g = torch.Generator().manual_seed(0)
    pairs = {k: torch.rand(2000, 1, 28, 28, generator=g).to(device) for k in ("x0", "x1")}
    return vc.build(model_name, nets), pairs, 100


def cycle_case(name, device, batch):
    g = torch.Generator().manual_seed(0)
    shape = (1, 28, 28) if cv.EXPERIMENTS[name].dataset == "mnist" else (3, 64, 64)
    pairs = {k: torch.rand(1000, *shape, generator=g).to(device) for k in ("x1", "x2")}
    return cv.build(name), pairs, cv.PROFILES["book"].batch_size


def celeba_case(name, device, batch):
    g = torch.Generator().manual_seed(0)
    p = cc.PROFILES["book"]
    x = torch.randint(0, 256, (2048, 3, 64, 64), dtype=torch.uint8, generator=g).to(device)
    y = (torch.rand(2048, len(cc.LABELS), generator=g) < 0.3).float().to(device)
    return cc.build(name, 0, p), {"x": x, "y": y}, p.batch_size


def acai_case(name, device, batch):
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(4096, 1, 32, 32, generator=g) * 2 - 1).to(device)
    return ac.build(name, "lines"), {"x": x}, 64


def content_case(name, device, batch):
    g = torch.Generator().manual_seed(0)
    data = {k: (torch.rand(512, 3, 64, 64, generator=g) * 2 - 1).to(device) for k in ("a", "b")}
    return content.ContentDisentanglement(content.ContentConfig(size=64)), data, 32


CHAPTERS = {
    "toy_csvae": (toy_case, list(toy.MODELS)),
    "celeba_csvae": (celeba_case, [m for m in cc.MODELS if m != cc.PAPER_CSVAE]),  # the same step as the CSVAE
    "vae_playground": (playground_case, ["points VAE", "points AVB"]
                       + [f"{m} ({n})" for n in ("small", "reference") for m in vc.CONJOINT_MODELS]),
    "cycle_vae": (cycle_case, list(cv.EXPERIMENTS)),
    "acai": (acai_case, list(ac.METHODS)),
    "domain_translation": (content_case, ["E1 + E2 + decoder + discriminator (64x64)"]),
}


def rate(case, name, device, capture, iters, repeats, batch, fused=True):
    """Median iterations/s over ``repeats`` timed runs, after a warm-up ``fit`` (which captures)."""
    torch.manual_seed(0)
    model, data, batch = case(name, device, batch)
    model = model.to(device)
    trainer = Trainer(model, model.steps(), data, batch_size=batch, iterations=20, capture=capture,
                      progress=False, log_every=10**9, fused_adam=fused)
    result = trainer.fit()
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        trainer.advance(iters)
        rates.append(iters / (time.perf_counter() - t0))
    return statistics.median(rates), result.captured


def main():
    cpu.pin()  # the pages' kernels, so the timings are those of the book's code paths
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chapter", choices=sorted(CHAPTERS), default="toy_csvae")
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32, help="toy_csvae only; the playground uses its chapter's")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--devices", nargs="+", choices=("cpu", "cuda"), default=None,
                    help="default: cpu, and cuda when torch sees one")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    devices = a.devices or ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if "cuda" in devices and not torch.cuda.is_available():
        ap.error("--devices cuda: torch sees no CUDA device")
    case, names = CHAPTERS[a.chapter]
    batch = {"toy_csvae": a.batch, "vae_playground": "400 (points) / 100 (conjoint)",
             "cycle_vae": cv.PROFILES["book"].batch_size,
             "celeba_csvae": cc.PROFILES["book"].batch_size, "acai": 64,
             "domain_translation": "32 per domain"}[a.chapter]
    print(f"{a.chapter}: torch {torch.__version__}, batch {batch}, median of {a.repeats} x {a.iters} iterations, "
          f"{a.threads} CPU thread(s)")
    print("eager: fused Adam (the trainer's default); foreach: PyTorch's default Adam; "
          "captured: the whole iteration replayed from a CUDA graph (CUDA only)")
    w = max(map(len, names)) + 2
    print(f"{'model':<{w}}{'device':<8}{'foreach it/s':>13}{'eager it/s':>12}{'captured it/s':>15}"
          f"{'eager/foreach':>15}{'captured/eager':>16}")
    for name in names:
        for dev in devices:
            foreach, _ = rate(case, name, dev, False, a.iters, a.repeats, a.batch, fused=False)
            eager, _ = rate(case, name, dev, False, a.iters, a.repeats, a.batch)
            cap = (rate(case, name, dev, True, a.iters, a.repeats, a.batch) if dev == "cuda"
                   else (float("nan"), False))
            ratio = f"{cap[0] / eager:.2f}" if cap[1] else "—"
            cap_s = f"{cap[0]:.0f}" if cap[1] else "—"
            print(f"{name:<{w}}{dev:<8}{foreach:>13.0f}{eager:>12.0f}{cap_s:>15}{eager / foreach:>15.2f}{ratio:>16}")


if __name__ == "__main__":
    main()
