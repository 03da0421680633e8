"""A trainer that knows nothing about any model.

A model hands the trainer a list of :class:`Step`: a name, a function ``batch -> dict of named scalar
tensors`` (the quantity to minimise under ``"loss"``) and the parameters that step's optimiser updates.
Models with an adversary, critic or discriminator define one step per optimiser; every step of an iteration
sees the same batch. For every model alike, the trainer:

* samples batches on the device from device-resident tensors (no DataLoader);
* optionally captures the whole iteration in a CUDA graph (eager, with a printed reason, if capture fails)
  and optionally runs under bf16 autocast;
* shows the named losses, averaged over the last ``log_every`` steps, in a tqdm bar, and syncs with the host
  only then (no ``.item()`` inside the iteration);
* checks every term of every step on the device, stopping with :class:`NonFiniteLossError` (step, term,
  iteration) on NaN or inf;
* writes a checkpoint (model, optimisers, RNG, bookkeeping) atomically every ``ckpt_every`` iterations, from
  which ``fit`` resumes to the same weights as an uninterrupted run.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import torch
from torch import nn
from tqdm import tqdm


class NonFiniteLossError(RuntimeError):
    """A loss term became NaN or infinite."""


@dataclass
class Step:
    """One optimiser's update. ``loss_fn(batch)`` returns ``{"loss": total, term: value, ...}``."""

    name: str
    loss_fn: Callable[[dict], dict]
    params: list
    lr: float = 1e-3
    betas: tuple = (0.9, 0.999)
    weight_decay: float = 0.0
    grad_clip: float | None = None


@dataclass
class TrainResult:
    history: list = field(default_factory=list)  # one dict per log interval: {"iter", "<step>/<term>": mean}
    wall_s: float = 0.0
    iterations: int = 0
    captured: bool = False
    capture_note: str = ""


class Trainer:
    def __init__(
        self,
        model: nn.Module,
        steps: Iterable[Step],
        data: dict,
        *,
        batch_size: int,
        iterations: int,
        seed: int = 0,
        capture: bool = False,
        amp: bool = False,
        log_every: int = 100,
        ckpt_path: str | os.PathLike | None = None,
        ckpt_every: int = 1000,
        lr_schedule: Callable[[int], float] | None = None,
        progress: bool = True,
        desc: str = "train",
        callback: Callable[[int, "Trainer"], None] | None = None,
        fused_adam: bool = True,
    ):
        self.model = model
        self.steps = list(steps)
        if not self.steps:
            raise ValueError("a Trainer needs at least one Step")
        names = [s.name for s in self.steps]
        if len(set(names)) != len(names):
            raise ValueError(f"step names must be unique, got {names}")
        lengths = {k: len(v) for k, v in data.items()}
        if not data or len(set(lengths.values())) != 1:
            raise ValueError(f"data tensors must share their first dimension, got {lengths}")
        if batch_size < 1 or iterations < 0:
            raise ValueError(f"batch_size must be >= 1 and iterations >= 0, got {batch_size}, {iterations}")
        self.data = data
        self.n = next(iter(lengths.values()))
        self.device = next(iter(data.values())).device
        self.batch_size = batch_size
        self.iterations = iterations
        self.seed = seed
        self.amp = amp
        self.log_every = max(1, log_every)
        self.ckpt_path = Path(ckpt_path) if ckpt_path else None
        self.ckpt_every = ckpt_every
        self.lr_schedule = lr_schedule
        self.progress = progress
        self.desc = desc
        self.callback = callback
        self.want_capture = capture
        self.capture_note = ""
        self.fused_adam = fused_adam
        self._build_optimizers(capturable=capture and self.device.type == "cuda")

    # ------------------------------------------------------------------ setup
    def _build_optimizers(self, capturable: bool):
        self.optimizers = []
        for s in self.steps:
            lr = torch.tensor(s.lr, device=self.device) if capturable else s.lr
            # fused Adam (one kernel for all parameters) in eager mode: it is most of a small model's
            # step on the CPU; under graph capture the capturable foreach implementation
            kind = {"capturable": True} if capturable else {"fused": self.fused_adam}
            opt = torch.optim.Adam(s.params, lr=lr, betas=s.betas, weight_decay=s.weight_decay, **kind)
            self.optimizers.append(opt)
        self.capturable = capturable

    def _init_bookkeeping(self):
        dev = self.device
        self.it = 0
        self._it_dev = torch.zeros((), dtype=torch.long, device=dev)  # iteration counter on the device
        self._sums = None  # {(step, term): running sum since the last log}
        self._bad_iter = torch.full((), -1, dtype=torch.long, device=dev)  # first non-finite iteration
        self._bad_code = torch.full((), -1, dtype=torch.long, device=dev)  # which (step, term)
        self._terms: list[tuple[str, str]] = []
        self.history: list[dict] = []

    # --------------------------------------------------------------- the step
    def _sample(self) -> dict:
        idx = torch.randint(self.n, (self.batch_size,), device=self.device)
        return {k: v[idx] for k, v in self.data.items()}

    def _iteration(self):
        batch = self._sample()
        outs = []
        for step, opt in zip(self.steps, self.optimizers):
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp, cache_enabled=False):
                out = step.loss_fn(batch)
            params = [p for g in opt.param_groups for p in g["params"]]
            grads = torch.autograd.grad(out["loss"], params, allow_unused=True)
            for p, g in zip(params, grads):
                p.grad = g if g is not None else torch.zeros_like(p)
            if step.grad_clip is not None:
                nn.utils.clip_grad_norm_(params, step.grad_clip)
            opt.step()
            outs.append(out)
        self._bookkeep(outs)

    def _bookkeep(self, outs):
        flat = [(s.name, k, v.detach().float()) for s, out in zip(self.steps, outs) for k, v in out.items()]
        if self._sums is None:  # first call: fix the list of terms
            self._terms = [(s, k) for s, k, _ in flat]
            self._sums = torch.zeros(len(flat), device=self.device)
        vals = torch.stack([v.reshape(()) for _, _, v in flat])
        self._sums.add_(vals)
        finite = torch.isfinite(vals)
        first_bad = torch.argmin(finite.long())  # index of the first non-finite term (0 if all finite)
        newly = (~finite.all()) & (self._bad_iter < 0)
        self._bad_iter.copy_(torch.where(newly, self._it_dev + 1, self._bad_iter))  # 1-based, as the bar
        self._bad_code.copy_(torch.where(newly, first_bad, self._bad_code))
        self._it_dev.add_(1)

    # ---------------------------------------------------------------- capture
    def _try_capture(self):
        if not self.want_capture:
            return None
        if self.device.type != "cuda":
            self.capture_note = f"CUDA-graph capture needs a CUDA device; data is on {self.device}: running eager"
            print(self.capture_note)
            return None
        try:
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):  # warm-up iterations (they count as training)
                for _ in range(3):
                    self._apply_lr()
                    self._iteration()
                    self.it += 1
            torch.cuda.current_stream().wait_stream(stream)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self._iteration()
            # capture does not run the iteration: undo nothing, the graph replays from here
            self.capture_note = "captured in a CUDA graph"
            return graph
        except Exception as exc:  # fall back to eager, saying why (the root cause may be chained)
            torch.cuda.set_stream(torch.cuda.default_stream())
            cause = exc.__cause__ or exc.__context__
            why = f"{type(exc).__name__}: {exc}" + (f" (caused by {type(cause).__name__}: {cause})" if cause else "")
            self.capture_note = f"CUDA-graph capture failed ({why}); running eager"
            print(self.capture_note)
            return None

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        return {
            "it": self.it,
            "model": self.model.state_dict(),
            "optimizers": [o.state_dict() for o in self.optimizers],
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "it_dev": self._it_dev.cpu(), "bad_iter": self._bad_iter.cpu(), "bad_code": self._bad_code.cpu(),
            "sums": None if self._sums is None else self._sums.cpu(),
            "terms": self._terms,
            "history": self.history,
            "elapsed": self._elapsed(),
        }

    def load_state_dict(self, sd: dict):
        self.it = sd["it"]
        self.model.load_state_dict(sd["model"])
        for o, s in zip(self.optimizers, sd["optimizers"]):
            # load_state_dict replaces whole param groups: keep this trainer's implementation flags and
            # lr objects (a checkpoint may come from eager/captured or another device), restore the values
            keep = [{k: g[k] for k in ("lr", "capturable", "fused", "foreach") if k in g} for g in o.param_groups]
            saved_lr = [float(g["lr"]) for g in s["param_groups"]]
            o.load_state_dict(s)
            for g, kept, lr in zip(o.param_groups, keep, saved_lr):
                g.update(kept)
                if torch.is_tensor(g["lr"]):
                    g["lr"].fill_(lr)
                else:
                    g["lr"] = lr
                on_device = g.get("capturable") or g.get("fused")
                for p in g["params"]:
                    st = o.state.get(p, {})
                    if torch.is_tensor(st.get("step")):
                        st["step"] = st["step"].to(p.device if on_device else "cpu", torch.float32)
        torch.set_rng_state(sd["rng_cpu"])
        if sd["rng_cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(sd["rng_cuda"])
        self._it_dev.copy_(sd["it_dev"])
        self._bad_iter.copy_(sd["bad_iter"])
        self._bad_code.copy_(sd["bad_code"])
        self._terms = [tuple(t) for t in sd["terms"]]
        self._sums = None if sd["sums"] is None else sd["sums"].to(self.device)
        self.history = list(sd["history"])
        self._elapsed_before = sd["elapsed"]

    def _save_checkpoint(self):
        if self.ckpt_path is None:
            return
        self.ckpt_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.ckpt_path.with_suffix(self.ckpt_path.suffix + ".tmp")
        torch.save(self.state_dict(), tmp)
        os.replace(tmp, self.ckpt_path)  # atomic: an interrupt never leaves half a checkpoint

    def _elapsed(self) -> float:
        return self._elapsed_before + (time.perf_counter() - self._t0)

    # -------------------------------------------------------------------- fit
    def _raise_if_nonfinite(self):
        """Host sync: raise if any term of any step has been NaN or inf since the start."""
        bad = int(self._bad_iter)
        if bad >= 0:
            step, term = self._terms[int(self._bad_code)]
            raise NonFiniteLossError(
                f"{self.desc}: loss term '{term}' of step '{step}' became non-finite at iteration {bad}; "
                f"stopped (the last checkpoint, if any, is untouched). Lower the learning rate or check "
                f"the inputs of '{term}'.")

    def _check_and_log(self, bar):
        """Raise on a non-finite term, append the interval means to the history."""
        self._raise_if_nonfinite()
        if self._sums is None or (self.history and self.history[-1]["iter"] == self.it):
            return
        since = self.it - (self.history[-1]["iter"] if self.history else 0)
        means = (self._sums / max(since, 1)).tolist()
        self._sums.zero_()
        row = {"iter": self.it, **{f"{s}/{t}": m for (s, t), m in zip(self._terms, means)}}
        self.history.append(row)
        if bar is not None:
            one_step = len(self.steps) == 1
            bar.set_postfix({(t if one_step else f"{s}.{t}"): f"{m:.3g}"
                             for (s, t), m in zip(self._terms, means)}, refresh=False)

    def _apply_lr(self):
        if self.lr_schedule is None:
            return
        f = float(self.lr_schedule(self.it))
        for s, o in zip(self.steps, self.optimizers):
            for g in o.param_groups:
                if torch.is_tensor(g["lr"]):
                    g["lr"].fill_(s.lr * f)
                else:
                    g["lr"] = s.lr * f

    def fit(self, resume: bool = True) -> TrainResult:
        """Train for ``iterations`` iterations (resuming from ``ckpt_path`` when it exists)."""
        self.start(resume)
        bar = self._bar = tqdm(total=self.iterations, initial=self.it, desc=self.desc, disable=not self.progress,
                               mininterval=1.0, leave=False)
        while self.it < self.iterations:
            self.step()
        bar.close()
        self._bar = None
        return self.finish()

    # The three parts of :meth:`fit`, for a driver that interleaves several trainers (``vaelab.gpu_jobs``
    # replays each one's CUDA graph on a stream of its own): ``start``, then ``step`` until ``done``, then
    # ``finish``.
    def start(self, resume: bool = True) -> None:
        """Resume from ``ckpt_path`` (or seed the RNG), switch to train mode and capture the iteration."""
        self._init_bookkeeping()
        self._elapsed_before = 0.0
        self._t0 = time.perf_counter()
        self._bar = None
        if resume and self.ckpt_path is not None and self.ckpt_path.exists():
            # on the CPU: RNG states must stay CPU byte tensors; model and optimisers move their own state
            sd = torch.load(self.ckpt_path, map_location="cpu", weights_only=False)
            self.load_state_dict(sd)
        else:
            torch.manual_seed(self.seed)
        self.model.train()
        self._graph = None
        if self.iterations - self.it > 4:  # capture warms up on 3 real iterations
            self._graph = self._try_capture()

    @property
    def done(self) -> bool:
        return self.it >= self.iterations

    def step(self) -> None:
        """One iteration, with the log, checkpoint and callback that fall on it."""
        self._apply_lr()
        if self._graph is not None:
            self._graph.replay()
        else:
            self._iteration()
        self.it += 1
        if self._bar is not None:
            self._bar.update(1)
        if self.it % self.log_every == 0 or self.it == self.iterations:
            self._check_and_log(self._bar)
        if self.ckpt_path is not None and self.it % self.ckpt_every == 0:
            self._raise_if_nonfinite()  # never checkpoint weights that saw a NaN
            self._save_checkpoint()
        if self.callback is not None:
            self.callback(self.it, self)

    def finish(self) -> TrainResult:
        """Check and log the last interval, wait for the device, switch to eval mode."""
        self._check_and_log(None)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        self.model.eval()
        return TrainResult(self.history, self._elapsed(), self.it, self._graph is not None, self.capture_note)

    def advance(self, n: int) -> None:
        """Run ``n`` more iterations after :meth:`fit` (reusing its CUDA graph), with no logging,
        checks or checkpoints: for throughput measurements only."""
        for _ in range(n):
            self._graph.replay() if self._graph is not None else self._iteration()
            self.it += 1
        if self.device.type == "cuda":
            torch.cuda.synchronize()

