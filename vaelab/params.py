"""Validation of a chapter notebook's parameters.

Every chapter takes ``profile``, ``train``, ``device``, ``seeds`` and ``data_root``
plus its own. :func:`validate` turns them into a :class:`Params` or raises a
``ValueError`` that names the parameter and lists the valid values; :func:`notebook`
reads them from a page's namespace, where papermill puts them, so that a misspelt
``-p`` parameter is an error rather than a silently ignored variable.
"""
from __future__ import annotations

import ast
import types
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


COMMON = ("profile", "train", "device", "seeds", "data_root")


def parse_seeds(seeds):
    """``seeds`` as papermill may pass it: a list, one integer, or a string (``-p seeds "[0, 1]"``,
    ``-p seeds 0,1``); a string that is neither is refused with the ``-y`` form that works."""
    if not isinstance(seeds, str):
        return (seeds,) if isinstance(seeds, int) and not isinstance(seeds, bool) else seeds
    text = seeds.strip()
    try:
        value = ast.literal_eval(text) if text[:1] in "[(" else [int(t) for t in text.split(",") if t.strip()]
    except (ValueError, SyntaxError):
        value = None
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"seeds={seeds!r} is not a list of seeds; pass it as YAML: -y \"seeds: [0, 1, 2]\" "
                         f"(or -p seeds 0,1,2)")
    return value


#: names in a Jupyter kernel's namespace that are not page parameters
_KERNEL_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "open"}
_PARAMETER_TYPES = (str, int, float, bool, list, tuple, dict, type(None))


def notebook(namespace: dict, choices: dict | None = None) -> Params:
    """The page's parameters from its namespace (``globals()`` of the cell after the parameters cell): every
    value of a plain type whose name does not start with ``_`` is taken for a parameter, so that one the page
    does not take (``-p seedz 1``) is refused, naming it and listing the page's parameters."""
    found = {k: v for k, v in namespace.items()
             if not k.startswith("_") and k not in _KERNEL_NAMES and isinstance(v, _PARAMETER_TYPES)
             and not isinstance(v, types.ModuleType)}
    missing = [k for k in COMMON if k not in found]
    if missing:
        raise ValueError(f"the page does not set {', '.join(missing)} (its parameters cell must)")
    return validate(**found, choices=choices)


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
    seeds = tuple(parse_seeds(seeds))
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds) \
            or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-empty list of distinct non-negative integers, got {seeds!r}")
    choices = choices or {}
    for name, value in extra.items():
        if name not in choices:
            known = [*COMMON, *choices]
            raise ValueError(f"unknown parameter {name!r}; this chapter takes {', '.join(known)}")
        if choices[name] is not None and value not in choices[name]:
            raise ValueError(f"{name}={value!r} is not valid; choose one of "
                             f"{', '.join(map(str, choices[name]))}")
    root = Path(data_root)
    if not root.is_absolute():
        root = REPO / root
    return Params(profile, train, resolve_device(device), seeds, root, dict(extra))
