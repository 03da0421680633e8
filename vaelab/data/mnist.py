"""MNIST from the idx files committed under ``data/mnist/`` (gzipped or raw).

Every file is checked against ``data/mnist/SHA256SUMS`` before it is parsed; a
missing, truncated or corrupt file raises :class:`DataError` naming the file and
saying how to restore it.
"""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import torch

from .. import REPO

FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
FIX = ("restore it with `git checkout -- data/mnist` (the files are committed, and also ship in "
       "../shared/data/mnist with a SHA256SUMS file)")
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataError(RuntimeError):
    """A data file is missing, truncated or corrupt."""


def read_idx(path: str | Path) -> np.ndarray:
    """Parse an idx file (``.gz`` or raw) into a numpy array, checking the header against the size."""
    path = Path(path)
    try:
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path} is missing; {FIX}") from None
    except (OSError, EOFError) as e:
        raise DataError(f"{path} is not a readable gzip file ({e}); it is truncated or corrupt: {FIX}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path} does not start with an idx header (magic bytes {raw[:4].hex()}); {FIX}")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise DataError(f"{path} is truncated inside its header; {FIX}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = 4 + 4 * ndim + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(f"{path} has {len(raw)} bytes but its header {shape} needs {expected}: "
                        f"truncated or corrupt; {FIX}")
    return np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndim).reshape(shape)


def read_sums(folder: Path) -> dict:
    sums_file = folder / "SHA256SUMS"
    if not sums_file.exists():
        raise DataError(f"{sums_file} is missing, so the MNIST files cannot be verified; {FIX}")
    sums = {}
    for line in sums_file.read_text().splitlines():
        if line.strip():
            digest, name = line.split()
            sums[name.lstrip("*")] = digest
    return sums


def _locate(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).exists():
            return folder / name
    raise DataError(f"{folder / (stem + '.gz')} is missing; {FIX}")


def load(split: str = "train", *, root: str | Path | None = None, device="cpu", verify: bool = True,
         sums: dict | None = None):
    """Return ``(images, labels)``: float images in [0, 1] of shape (N, 1, 28, 28) and int64 labels.

    ``root`` is the folder holding the idx files (default ``data/mnist`` in the repo); the
    files are checked against ``sums`` (file name -> sha256) or else the folder's SHA256SUMS.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r} is not valid; choose 'train' or 'test'")
    folder = Path(root) if root is not None else REPO / "data" / "mnist"
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder; {FIX}")
    if verify and sums is None:
        sums = read_sums(folder)
    arrays = []
    for kind in ("images", "labels"):
        path = _locate(folder, FILES[(split, kind)])
        if verify:
            want = sums.get(path.name)
            if want is None:
                raise DataError(f"{path.name} has no known sha256 (not in {folder / 'SHA256SUMS'}); {FIX}")
            got = hashlib.sha256(path.read_bytes()).hexdigest()
            if got != want:
                raise DataError(f"{path} fails its checksum (sha256 {got[:16]}…, expected {want[:16]}…): "
                                f"corrupt or replaced; {FIX}")
        arrays.append(read_idx(path))
    images, labels = arrays
    if len(images) != len(labels):
        raise DataError(f"{folder}: {len(images)} images but {len(labels)} labels for split {split!r}; {FIX}")
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1).to(device)
    y = torch.from_numpy(labels.astype(np.int64)).to(device)
    return x, y
