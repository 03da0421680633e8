"""The same bits on every x86-64 CPU: the book's pages are published from one machine and re-executed by CI
on another, so every CPU code path that depends on the processor is pinned to one choice.

Left alone, PyTorch picks its kernels by what the CPU offers, and each choice changes the order in which
floating-point sums are added or how a function is approximated:

* ATen's vectorised kernels (reductions, batch norm, softmax, activations) are compiled for AVX2 and for
  AVX-512 and dispatched at the first call (``ATEN_CPU_CAPABILITY``);
* oneDNN JIT-compiles the convolutions for the widest ISA it finds (``ONEDNN_MAX_CPU_ISA``);
* MKL (GEMM behind every ``Linear``; exp, log, tanh behind ATen's) dispatches by vendor and ISA. Its
  conditional-numerical-reproducibility branch ``COMPATIBLE`` (SSE2 without the approximate reciprocals,
  fixed cache sizes, deterministic reductions) is the one MKL documents as the same on Intel and AMD; its
  ``AVX2`` branch exists only on Intel CPUs, and elsewhere MKL falls back to its automatic branch;
* NumPy dispatches some loops to AVX-512 and its OpenBLAS picks a kernel per CPU model
  (``NPY_DISABLE_CPU_FEATURES``, ``OPENBLAS_CORETYPE``) and splits some products' sums among as many threads
  as there are cores (``OPENBLAS_NUM_THREADS``: one);
* PyTorch's float32 square root is not correctly rounded, and its last bits differ between this AMD EPYC
  and an emulated Intel CPU whatever the pins: :func:`sqrt` replaces it where the book's numbers depend on it
  (Adam in the probes, :mod:`vaelab.optim`; the procedural datasets' distance fields).

Last-bit differences are harmless for one forward pass, but a probe trained for thousands of Adam steps on
the codes amplifies them: an Intel Xeon and an AMD EPYC printed the cycle VAE's probe
table up to 0.4 points apart from the same weights, and nbval failed on five pages.
``benchmarks/cross_cpu.py`` (``make cross-cpu``) compares fingerprints of every kind of computation the
evaluations run on this CPU and on an emulated Intel one.

:func:`pin` sets these environment variables. ATen, oneDNN and MKL read theirs lazily, at their first use,
so importing :mod:`vaelab` (which calls it) right after ``import torch`` is early enough; NumPy and OpenBLAS
read theirs when they load, which ``import torch`` already does, so the Makefile exports :data:`PINS` for every
command it runs (``make test``, ``make book``, ``make gpu``). A value the user has set is kept, and
``VAELAB_NATIVE_CPU=1`` turns the pins off (maybe faster with AVX-512, not measured here; the pages' numbers may then
differ in their last digits). On the 2-core AMD EPYC the pins cost nothing measurable where convolutions dominate
(the CelebA chapter's seed-0 evaluation took 203.0 s pinned and 201.8 s not, its judge 45.6 s and 46.5 s; one run
each), but ``COMPATIBLE`` makes MKL's GEMM two to three times slower (2048 x 1024 x 1024: 2.8 times; a probe's
10,000 x 256 x 10: 2.8 times), so the evaluations' big and skinny products go to NumPy's OpenBLAS instead,
which the pins make the same on every CPU (:mod:`vaelab.blas`, the lines metric, VQ-VAE's codebook search).
"""
from __future__ import annotations

import os
import platform

import torch

#: the pinned code paths: read at first use (torch's libraries) or at load (NumPy, OpenBLAS)
PINS = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "MKL_CBWR": "COMPATIBLE",
    "OPENBLAS_CORETYPE": "Haswell",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    "OPENBLAS_NUM_THREADS": "1",
}
OPT_OUT = "VAELAB_NATIVE_CPU"
#: the pins that NumPy and OpenBLAS read when they load, so too late for :func:`pin` once torch is imported
AT_LOAD = ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")
#: the :data:`AT_LOAD` pins that :func:`pin` set after NumPy had loaded (not in effect in this process)
LATE: set = set()


def has_avx2() -> bool:
    """Whether this is an x86-64 CPU with AVX2 (Linux: from /proc/cpuinfo; elsewhere assumed absent)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return "avx2" in line.split()
    except OSError:
        pass
    return False


def pin(environ=None) -> dict:
    """Set every variable of :data:`PINS` that is not set yet; return the ones this call set. Does nothing
    off x86-64/AVX2 (there is nothing to pin to) or when ``VAELAB_NATIVE_CPU=1``."""
    env = os.environ if environ is None else environ
    if env.get(OPT_OUT, "0") not in ("", "0") or not has_avx2():
        return {}
    added = {k: v for k, v in PINS.items() if k not in env}
    env.update(added)
    if environ is None:
        import sys

        if "numpy" in sys.modules:
            LATE.update(k for k in AT_LOAD if k in added)
        if "OPENBLAS_NUM_THREADS" in added:
            _one_openblas_thread()
    return added


def require_pins(module: str, args: str = "...") -> None:
    """Refuse (SystemExit naming the variables and the command to use) when NumPy or OpenBLAS loaded without
    their pins: a long run whose numbers a page compares with its own evaluation must use the page's code paths."""
    if LATE:
        exports = " ".join(f"{k}='{PINS[k]}'" for k in sorted(LATE))
        raise SystemExit(f"python -m {module}: NumPy loaded before vaelab could pin {', '.join(sorted(LATE))}, so "
                         f"its numbers would differ from the pages'; run it as `make run M={module} ARGS='{args}'` "
                         f"or as `env {exports} python -m {module} {args}`")


def _one_openblas_thread() -> None:
    """OpenBLAS reads ``OPENBLAS_NUM_THREADS`` when it loads, which ``import torch`` (through NumPy) may have
    done already: set its thread count at run time too. One thread: some of OpenBLAS's products (a long inner
    dimension) split their sums among the threads, so the bits would depend on the core count; and its
    threads, spinning after each call, slow PyTorch's OpenMP threads down. Callers with big products
    parallelise over rows instead (:func:`vaelab.metrics.interpolation.closest_line`)."""
    import sys

    if "numpy" not in sys.modules:
        return
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return
    ThreadpoolController().select(internal_api="openblas").limit(limits=1)


def sqrt(x: torch.Tensor) -> torch.Tensor:
    """The correctly rounded square root of a float32 tensor, the same bits on every CPU.

    ``torch.sqrt`` on float32 is not correctly rounded on the CPU: on an AMD EPYC about one result in six
    differs from IEEE's in the last bit, and an Intel model (emulated) gives other last bits, whatever the
    pins. Adam's denominator and the procedural datasets' distance fields go through it, so it takes the
    float64 root and rounds it to float32: that root is within an ulp of float64, and a float32 root is never
    that close to a float32 rounding boundary (the double-rounding bound for square roots, 53 >= 2 * 24 + 2),
    so the rounding gives IEEE's float32 root. Other dtypes go through ``torch.sqrt`` unchanged."""
    if x.dtype != torch.float32:
        return torch.sqrt(x)
    return torch.sqrt(x.double()).float()


def status() -> dict:
    """What the running process uses: ATen's capability, the pinned variables' values, torch's threads."""
    return {"aten": torch.backends.cpu.get_cpu_capability(), "threads": torch.get_num_threads(),
            **{k: os.environ.get(k, "unset") for k in PINS}}
