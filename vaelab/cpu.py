"""The same bits on every x86-64 CPU, opt-in: the book's pages are published from one machine and re-executed
by CI on another, and a probe trained for thousands of Adam steps turns last-bit differences into visible ones.

* :func:`pin` sets the environment variables that hold every CPU-dependent code path to one choice: ATen's and
  oneDNN's AVX2 kernels, MKL's ``COMPATIBLE`` branch (the one MKL documents as the same on Intel and AMD), NumPy
  and OpenBLAS without AVX-512 and OpenBLAS on one thread. ATen, oneDNN and MKL read theirs at first use, so a
  call right after ``import torch`` is early enough; NumPy and OpenBLAS read theirs when they load, so the
  Makefile exports :data:`PINS` for every command it runs. Importing :mod:`vaelab` changes nothing: the pages,
  the tests and the long-run commands call :func:`pin` themselves. ``VAELAB_NATIVE_CPU=1`` turns it off.
* :func:`sqrt`: PyTorch's float32 square root is not correctly rounded and its last bits differ between CPU
  models whatever the pins; the probes' :class:`Adam` and the procedural datasets' distance fields use this one.
* :class:`Linear` / :func:`linear`: MKL's ``COMPATIBLE`` branch is slow for the probes' skinny products, so
  they run in NumPy's OpenBLAS, which the pins hold to the same Haswell kernels on every CPU.

``benchmarks/cross_cpu.py`` (``make cross-cpu``) compares fingerprints of every kind of computation the
evaluations run on this CPU and on an emulated Intel one; ``benchmarks/README.md`` has what the pins cost.
"""
from __future__ import annotations

import math
import os
import platform

import torch
from torch import nn
import torch.nn.functional as F

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
    """:func:`pin`, then refuse (SystemExit naming the variables and the command to use) when NumPy or OpenBLAS
    loaded without their pins: a long run whose numbers a page compares with its own evaluation must use the
    page's code paths."""
    pin()
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

    ``torch.sqrt`` on float32 is not correctly rounded on the CPU, and its last bits differ between CPU models
    whatever the pins. Adam's denominator and the procedural datasets' distance fields go through it, so it takes the
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


# ------------------------------------------------ products in NumPy's OpenBLAS (the probes' layers)
def _np(t: torch.Tensor):
    return t.detach().numpy()


class _LinearFn(torch.autograd.Function):
    """y = x Wᵀ + b; dx = g W, dW = gᵀ x, db = Σ g (the bias added after the product, as a separate add)."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        y = torch.from_numpy(_np(x) @ _np(weight).T)
        return y.add_(bias) if bias is not None else y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        gn = _np(g.contiguous())
        gx = torch.from_numpy(gn @ _np(weight)) if ctx.needs_input_grad[0] else None
        gw = torch.from_numpy(gn.T @ _np(x)) if ctx.needs_input_grad[1] else None
        gb = g.sum(0) if ctx.has_bias and ctx.needs_input_grad[2] else None
        return gx, gw, gb


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """``F.linear`` with the products in NumPy for 2-D float32 CPU input (see the module docstring)."""
    if (x.device.type == "cpu" and weight.device.type == "cpu" and x.dim() == 2
            and x.dtype == weight.dtype == torch.float32 and (bias is None or bias.dtype == torch.float32)):
        return _LinearFn.apply(x, weight, bias)
    return F.linear(x, weight, bias)


class Linear(nn.Linear):
    """``nn.Linear`` (same parameters, initialisation and state dict) computing with :func:`linear`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x, self.weight, self.bias)


# ------------------------------------------------ Adam with the correctly rounded square root (the probes')
class Adam(torch.optim.Optimizer):
    """``torch.optim.Adam`` (Kingma & Ba, ICLR'15, Algorithm 1, in PyTorch's arrangement: L2 weight decay added to
    the gradient, the bias corrections folded into the step size and the denominator, no AMSGrad) with the
    correctly rounded :func:`sqrt`; every other operation of the update is a correctly rounded add, multiply or
    fused multiply-add. ``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)``, PyTorch's
    defaults. The probes use it; training (:mod:`vaelab.train`) keeps PyTorch's fused Adam."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        if not lr > 0 or not eps >= 0 or weight_decay < 0:
            raise ValueError(f"Adam needs lr > 0, eps >= 0 and weight_decay >= 0; got lr={lr}, eps={eps}, "
                             f"weight_decay={weight_decay}")
        if not all(0 <= b < 1 for b in betas) or len(betas) != 2:
            raise ValueError(f"Adam's betas must be two numbers in [0, 1), got {betas}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            b1, b2 = group["betas"]
            for p in params:
                if not self.state[p]:
                    self.state[p].update(step=0, exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
            states = [self.state[p] for p in params]
            grads = [p.grad for p in params]
            if group["weight_decay"]:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            m = [s["exp_avg"] for s in states]
            v = [s["exp_avg_sq"] for s in states]
            torch._foreach_lerp_(m, grads, 1 - b1)
            torch._foreach_mul_(v, b2)
            torch._foreach_addcmul_(v, grads, grads, value=1 - b2)
            for s in states:
                s["step"] += 1
            # the bias corrections per step count (one count unless a parameter went without a gradient)
            for t in sorted({s["step"] for s in states}):
                idx = [i for i, s in enumerate(states) if s["step"] == t]
                bc1, bc2_sqrt = 1 - b1 ** t, math.sqrt(1 - b2 ** t)
                denom = _roots([v[i] for i in idx])
                torch._foreach_div_(denom, bc2_sqrt)
                torch._foreach_add_(denom, group["eps"])
                torch._foreach_addcdiv_([params[i] for i in idx], [m[i] for i in idx], denom,
                                        value=-group["lr"] / bc1)
        return loss


def _roots(tensors: list) -> list:
    """:func:`sqrt` of each tensor, in one call when they share a dtype and a device (fewer calls for the probes'
    many small tensors): the root is elementwise, so the bits are those of one call per tensor."""
    if len(tensors) > 1 and len({(t.dtype, t.device) for t in tensors}) == 1:
        flat = sqrt(torch.cat([t.reshape(-1) for t in tensors]))
        return [r.view_as(t) for r, t in zip(flat.split([t.numel() for t in tensors]), tensors)]
    return [sqrt(t) for t in tensors]
