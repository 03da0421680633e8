"""Validation of a chapter notebook's parameters.

Every chapter takes ``profile``, ``train``, ``device``, ``seeds`` and ``data_root``
plus its own. :func:`validate` turns them into a :class:`Params` or raises a
``ValueError`` that names the parameter and lists the valid values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import REPO

PROFILES = ("smoke", "book", "paper")
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class Params:
    profile: str
    train: bool
    device: torch.device
    seeds: tuple
    data_root: Path
    extra: dict = field(default_factory=dict)


def resolve_device(device: str) -> torch.device:
    if device not in DEVICES:
        raise ValueError(f"device={device!r} is not valid; choose one of {', '.join(DEVICES)}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for but torch sees no CUDA device; use 'auto' or 'cpu'")
    return torch.device(device)


def validate(*, profile: str = "book", train: bool = False, device: str = "auto", seeds=(0, 1, 2),
             data_root: str = "data", choices: dict | None = None, **extra) -> Params:
    """Check the common parameters and the chapter's own.

    ``choices`` maps a chapter parameter to its allowed values, e.g.
    ``{"dataset": ("toyfaces", "celeba")}``; every key of ``extra`` must appear there.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile={profile!r} is not valid; choose one of {', '.join(PROFILES)}")
    if not isinstance(train, bool):
        raise ValueError(f"train must be True or False, got {train!r}")
    if isinstance(seeds, int):
        seeds = (seeds,)
    seeds = tuple(seeds)
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds) \
            or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-empty list of distinct non-negative integers, got {seeds!r}")
    choices = choices or {}
    for name, value in extra.items():
        if name not in choices:
            known = ["profile", "train", "device", "seeds", "data_root", *choices]
            raise ValueError(f"unknown parameter {name!r}; this chapter takes {', '.join(known)}")
        if choices[name] is not None and value not in choices[name]:
            raise ValueError(f"{name}={value!r} is not valid; choose one of "
                             f"{', '.join(map(str, choices[name]))}")
    root = Path(data_root)
    if not root.is_absolute():
        root = REPO / root
    return Params(profile, train, resolve_device(device), seeds, root, dict(extra))
