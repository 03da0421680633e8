"""Generation speed of the procedural datasets (images/s and the time for 100k images).

    .venv/bin/python benchmarks/datasets.py [--n 5000] [--repeats 3] [--threads 2]

Prints the median of ``--repeats`` timed runs of ``--n`` images for each batch size.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from vaelab import cpu
from vaelab.data import toyfaces


def main():
    cpu.pin()  # the pages' kernels, so the timings are those of the book's code paths
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {a.threads} threads, median of {a.repeats} runs of {a.n} images")
    print(f"{'dataset':<10}{'batch':>7}{'images/s':>10}{'100k (s)':>10}")
    for batch in (64, 128, 512):
        times = []
        for r in range(a.repeats):
            t0 = time.perf_counter()
            toyfaces.make(a.n, seed=r, batch=batch)
            times.append(time.perf_counter() - t0)
        rate = a.n / statistics.median(times)
        print(f"{'ToyFaces':<10}{batch:>7}{rate:>10.0f}{100_000 / rate:>10.1f}")


if __name__ == "__main__":
    main()
