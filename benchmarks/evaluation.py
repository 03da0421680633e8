"""CPU cost of the image judges' predictions, which the VAE-playground and cycle-VAE pages repeat most.

    .venv/bin/python benchmarks/evaluation.py [--repeats 5]

Each row is the median of ``--repeats`` timed runs after a warm-up, with the caller on two threads (as the
pages set):

* ``judge predict``: :class:`vaelab.metrics.image_classifier.ImageClassifier` (the VAE-playground and
  cycle-VAE judges) on 10,000 random 28x28 images, as it ran before (batches of 2,000, default layout) and
  as ``predict`` runs now (batches of 256, channels-last).
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from vaelab import cpu
from vaelab.metrics.image_classifier import ImageClassifier


def median_time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def judge_rows(repeats: int):
    torch.manual_seed(0)
    clf = ImageClassifier().eval()
    x = torch.rand(10_000, 1, 28, 28, generator=torch.Generator().manual_seed(1))

    @torch.no_grad()
    def before():
        return torch.cat([clf(x[i:i + 2000]).argmax(-1) for i in range(0, len(x), 2000)])

    assert torch.equal(before(), clf.predict(x)), "the two ways disagree on a class"
    old = median_time(before, repeats)
    new = median_time(lambda: clf.predict(x), repeats)
    return [("judge predict, 10,000 images", "2,000 a batch, default layout", old, old),
            ("judge predict, 10,000 images", "256 a batch, channels-last (now)", new, old)]


def main():
    cpu.pin()  # the pages' kernels, so the timings are those of the book's code paths
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(2)
    print(f"torch {torch.__version__}, caller on 2 threads, median of {a.repeats} runs")
    print(f"{'work':<62}{'how':<36}{'s':>8}{'speed-up':>10}")
    for row in judge_rows(a.repeats):
        work, how, t, ref = row
        print(f"{work:<62}{how:<36}{t:>8.3f}{ref / t:>9.2f}x")


if __name__ == "__main__":
    main()
