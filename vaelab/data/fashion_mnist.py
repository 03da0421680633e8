"""Fashion-MNIST (Xiao, Rasul, Vollgraf 2017) in the idx format of MNIST.

Its files are not committed (no chapter trains on them yet); they ship beside the
repository in ``../shared/data/fashion-mnist``, or can be put in ``data/fashion-mnist``.
The sha256 of every file is known here, so a corrupt or different file is refused.
"""
from __future__ import annotations

from pathlib import Path

from .. import REPO
from . import mnist
from .mnist import DataError

SHA256 = {
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot")
CANDIDATES = (REPO / "data" / "fashion-mnist", REPO.parent / "shared" / "data" / "fashion-mnist")


def load(split: str = "train", *, root: str | Path | None = None, device="cpu"):
    """``(images (N, 1, 28, 28) in [0, 1], labels (N,))`` from ``root`` or the first folder of
    :data:`CANDIDATES` that exists."""
    if root is None:
        root = next((c for c in CANDIDATES if c.is_dir()), None)
        if root is None:
            raise DataError("Fashion-MNIST not found: put train-/t10k-{images-idx3,labels-idx1}-ubyte.gz in "
                            f"{CANDIDATES[0]} (or pass root=)")
    return mnist.load(split, root=root, device=device, sums=SHA256)
