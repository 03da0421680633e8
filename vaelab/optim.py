"""Adam for the evaluation probes, the same bits on every CPU.

:class:`Adam` is ``torch.optim.Adam`` (Kingma & Ba, ICLR'15, Algorithm 1, in PyTorch's arrangement: L2
weight decay added to the gradient, the bias corrections folded into the step size and the denominator, no
AMSGrad), except that the square root of the second moment is the correctly rounded one
(:func:`vaelab.cpu.sqrt`). PyTorch's float32 square root differs in its last bit between an AMD EPYC and an
emulated Intel CPU (``benchmarks/cross_cpu.py``), and so does every Adam flavour (per tensor, foreach, fused), and a
probe trained for thousands of steps turns those bits into visible accuracy differences; every other operation of
the update is a correctly rounded add, multiply or fused multiply-add, which every CPU computes alike under the pins
of :mod:`vaelab.cpu`.

The probes' published numbers come from it; training (:mod:`vaelab.train`) keeps PyTorch's fused Adam,
which is faster and is not re-run by CI.
"""
from __future__ import annotations

import math

import torch

from . import cpu


class Adam(torch.optim.Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)``, PyTorch's defaults."""

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
    """:func:`vaelab.cpu.sqrt` of each tensor, in one call when they share a dtype and a device (the probes'
    ten small tensors: a third of the step's time went to the calls): the root is elementwise, so the bits are
    those of one call per tensor."""
    if len(tensors) > 1 and len({(t.dtype, t.device) for t in tensors}) == 1:
        flat = cpu.sqrt(torch.cat([t.reshape(-1) for t in tensors]))
        return [r.view_as(t) for r, t in zip(flat.split([t.numel() for t in tensors]), tensors)]
    return [cpu.sqrt(t) for t in tensors]
