"""Matrix products for the evaluations' probes in NumPy's OpenBLAS: faster than PyTorch's on the CPU under
the pins, and the same bits on every x86-64 CPU.

PyTorch's CPU GEMM is MKL's, and the pins of :mod:`vaelab.cpu` hold MKL to its ``COMPATIBLE`` branch, the
one that gives the same bits on Intel and AMD; on the 2-core AMD EPYC it is about three times slower than
MKL's own branch for the skinny products a probe is made of (10,000 x 256 codes times 256 x 10 weights:
5.6 ms against 2.0 ms forward, 9.0 ms against 3.0 ms for the weights' gradient). NumPy's OpenBLAS, pinned to
its Haswell kernels (``OPENBLAS_CORETYPE``), takes 1.9 ms and 1.5 ms, and computes every element of a product
alone, with the same FMA sequence on any AVX2 CPU (``benchmarks/cross_cpu.py`` compares it with an emulated
Intel CPU). :class:`Linear` is ``nn.Linear`` with its three products (forward, input and weight gradients)
done there when the input is a 2-D float32 CPU tensor, and PyTorch's otherwise (GPU, other dtypes).
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F


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
