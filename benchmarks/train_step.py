"""Training-step throughput of each toy model: iterations/s, eager and CUDA-graph captured.

    .venv/bin/python benchmarks/train_step.py [--iters 300] [--repeats 5] [--batch 32]

Prints one row per (model, device, mode): the median of ``--repeats`` timed runs of
``--iters`` iterations each (after a warm-up run), and the captured/eager ratio.
An iteration runs every optimiser step of the model once (CSVAE: adversary + model).
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from vaelab.chapters import toy_csvae as toy
from vaelab.data import swissroll
from vaelab.train import Trainer


def rate(name, device, capture, iters, repeats, batch, fused=True):
    """Median iterations/s over ``repeats`` timed runs, after a warm-up ``fit`` (which captures)."""
    x, y, _ = swissroll.make(10_000, seed=0, device=device)
    torch.manual_seed(0)
    model = toy.build(name).to(device)
    trainer = Trainer(model, model.steps(), {"x": x, "y": y}, batch_size=batch, iterations=20, capture=capture,
                      progress=False, log_every=10**9, fused_adam=fused)
    result = trainer.fit()
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        trainer.advance(iters)
        rates.append(iters / (time.perf_counter() - t0))
    return statistics.median(rates), result.captured


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, batch {a.batch}, median of {a.repeats} x {a.iters} iterations, "
          f"{a.threads} CPU thread(s)")
    print("eager: fused Adam (the trainer's default); foreach: PyTorch's default Adam; "
          "captured: the whole iteration replayed from a CUDA graph (CUDA only)")
    print(f"{'model':<17}{'device':<8}{'foreach it/s':>13}{'eager it/s':>12}{'captured it/s':>15}"
          f"{'eager/foreach':>15}{'captured/eager':>16}")
    for name in toy.MODELS:
        for dev in devices:
            foreach, _ = rate(name, dev, False, a.iters, a.repeats, a.batch, fused=False)
            eager, _ = rate(name, dev, False, a.iters, a.repeats, a.batch)
            cap = rate(name, dev, True, a.iters, a.repeats, a.batch) if dev == "cuda" else (float("nan"), False)
            ratio = f"{cap[0] / eager:.2f}" if cap[1] else "—"
            cap_s = f"{cap[0]:.0f}" if cap[1] else "—"
            print(f"{name:<17}{dev:<8}{foreach:>13.0f}{eager:>12.0f}{cap_s:>15}{eager / foreach:>15.2f}{ratio:>16}")


if __name__ == "__main__":
    main()
