"""Reed et al.'s 2D Sprites ("Deep Visual Analogy-Making", NeurIPS'15), for readers who have the files.

The format (see :data:`REED_FILES`) is the one read by CompVis/robust-disentangling
(``rodi/pt/data.py``, ``RawSprites``); the cycle-consistent-vae reference repository links the
archive but ships no loader. :func:`load_reed` returns the same kind of dict as
:func:`vaelab.data.sprites.make`. MATLAB 7.3 (HDF5) files need ``h5py``; older MATLAB files are
read with scipy.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from . import positive_int as _count
from .mnist import DataError


REED_SIZE = 60
REED_SPLITS = {"train": "trainidx", "valid": "validx", "test": "testidx"}
REED_ATTRIBUTES = ("body", "sex", "hair", "armor", "arms", "greaves", "weapon")
# Reed et al.'s five actions; with 4 viewpoints each they fill cells 1–20 action-major; the files
# store no names, so the names (and the order) are the paper's, not read from the data.
REED_ACTIONS = ("spellcast", "thrust", "walk", "slash", "shoot")
REED_FILES = ("sprites_splits.mat (variables trainidx, validx, testidx: 1-based character numbers) and, "
              "for every character number c, sprites_<c-1>.mat (variables sprites and masks: 1×A cells of "
              "10800×F and 3600×F matrices, one column per frame, a 60×60×3 image / 60×60 mask in "
              "MATLAB column-major order; labels: 1×7), as unpacked from Reed's nips2015-analogy-data.tar.gz "
              "into data/sprites/")
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _reed_folder(root) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root} is not a folder; load_reed needs the folder holding {REED_FILES}")
    tried = [root, root / "sprites", root / "data" / "sprites"]
    for folder in tried:
        if (folder / "sprites_splits.mat").is_file():
            return folder
    raise DataError(f"no sprites_splits.mat in {', '.join(str(t) for t in tried)}; "
                    f"load_reed needs the folder holding {REED_FILES}")


def _is_hdf5(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return any(head[o:o + 8] == _HDF5_SIGNATURE for o in (0, 512, 1024, 2048))


def _read_character(path: Path) -> dict:
    """``{"sprites": [10800×F, …], "masks": [3600×F, …], "labels": (7,)}`` in MATLAB orientation."""
    if not path.is_file():
        raise DataError(f"{path} is missing; load_reed needs {REED_FILES}")
    if _is_hdf5(path):
        try:
            import h5py
        except ImportError:
            raise DataError(f"{path} is a MATLAB 7.3 (HDF5) file, which needs the h5py package; "
                            "install h5py, or re-save the file with MATLAB's save -v7") from None
        with h5py.File(path, "r") as f:
            missing = [k for k in ("sprites", "masks", "labels") if k not in f]
            if missing:
                raise DataError(f"{path} lacks the variable(s) {', '.join(missing)}; expected {REED_FILES}")
            # h5py shows MATLAB arrays transposed: a cell of A is (A, 1), a 10800×F matrix (F, 10800)
            cells = {k: [np.asarray(f[ref][()]).T for ref in np.asarray(f[k]).ravel()]
                     for k in ("sprites", "masks")}
            labels = np.asarray(f["labels"][()]).ravel()
        return {**cells, "labels": labels}
    from scipy.io import loadmat
    try:
        m = loadmat(path)
    except Exception as e:  # noqa: BLE001 - scipy raises several kinds for a broken file
        raise DataError(f"{path} is not a readable MATLAB file ({e}); expected {REED_FILES}") from None
    missing = [k for k in ("sprites", "masks", "labels") if k not in m]
    if missing:
        raise DataError(f"{path} lacks the variable(s) {', '.join(missing)}; expected {REED_FILES}")
    return {"sprites": [np.asarray(a) for a in m["sprites"].ravel()],
            "masks": [np.asarray(a) for a in m["masks"].ravel()],
            "labels": np.asarray(m["labels"]).ravel()}


def _frames(mat: np.ndarray, channels: int, path: Path, name: str) -> np.ndarray:
    """A MATLAB (60·60·channels)×F matrix as (F, channels, 60, 60) [frame, channel, row, col]."""
    if mat.ndim == 1:
        mat = mat[:, None]
    if mat.ndim != 2 or mat.shape[0] != REED_SIZE * REED_SIZE * channels:
        raise DataError(f"{path}: a cell of {name} has shape {mat.shape}, expected "
                        f"({REED_SIZE * REED_SIZE * channels}, frames)")
    vals = mat.astype(np.float32) / 255.0 if np.issubdtype(mat.dtype, np.integer) else mat.astype(np.float32)
    # column-major flattening: index = row + 60·col + 3600·channel
    return vals.T.reshape(-1, channels, REED_SIZE, REED_SIZE).transpose(0, 1, 3, 2)


def load_reed(root, split: str = "train", pad_to: int | None = 64, characters: int | None = None,
              device="cpu") -> dict:
    """Reed et al.'s 2D Sprites, one split, every animation and frame of its characters.

    ``root``: the folder holding ``sprites_splits.mat`` and the ``sprites_<k>.mat`` files, or a
    folder above it (``root/sprites`` or ``root/data/sprites``, the archive's layout).
    ``pad_to``: the 60×60 images are padded (edge pixels repeated, masks with zeros) to this size,
    centred, 64 by default to match the toy sprites; None keeps 60×60. ``characters``: load only
    the first so many characters of the split (the full training split is several GB as float32).

    Returns ``{"x" (N, 3, S, S) in [0, 1], "mask" (N, 1, S, S), "identity" (the character number k
    of sprites_k.mat), "animation" (the cell, 0-based), "frame" (the column, 0-based), "action"
    (animation // 4, index into REED_ACTIONS; 5 for a 21st cell), "view" (animation % 4; -1 for a
    21st cell), "attributes" (N, 7) the character's labels (REED_ATTRIBUTES)}``.

    Every cell is loaded, the 21st included (CompVis's loader keeps the first 20: select
    ``animation < 20``). Note from that loader: character 2j+1 differs from character 2j only in
    the weapon, which not every action shows, so it keeps even character numbers only.
    """
    if split not in REED_SPLITS:
        raise ValueError(f"split must be one of {', '.join(REED_SPLITS)}, got {split!r}")
    if pad_to is not None and (isinstance(pad_to, bool) or not isinstance(pad_to, int) or pad_to < REED_SIZE):
        raise ValueError(f"pad_to must be None or an integer of at least {REED_SIZE}, got {pad_to!r}")
    if characters is not None:
        characters = _count("characters", characters)
    folder = _reed_folder(root)
    from scipy.io import loadmat
    splits_path = folder / "sprites_splits.mat"
    try:
        splits = loadmat(splits_path)
    except Exception as e:  # noqa: BLE001
        raise DataError(f"{splits_path} is not a readable MATLAB file ({e}); expected {REED_FILES}") from None
    key = REED_SPLITS[split]
    if key not in splits:
        raise DataError(f"{splits_path} has no variable {key}; expected {REED_FILES}")
    numbers = np.asarray(splits[key]).ravel().astype(np.int64)
    if numbers.size == 0 or numbers.min() < 1:
        raise DataError(f"{splits_path}: {key} must hold 1-based character numbers, got {numbers[:5]}…")
    if characters is not None:
        numbers = numbers[:characters]

    xs, masks, labels = [], [], {k: [] for k in ("identity", "animation", "frame", "attributes")}
    for number in numbers:
        path = folder / f"sprites_{number - 1}.mat"
        data = _read_character(path)
        if len(data["sprites"]) != len(data["masks"]):
            raise DataError(f"{path}: sprites has {len(data['sprites'])} cells but masks {len(data['masks'])}")
        attributes = data["labels"].astype(np.int64)
        for a, (img, msk) in enumerate(zip(data["sprites"], data["masks"])):
            img, msk = _frames(img, 3, path, "sprites"), _frames(msk, 1, path, "masks")
            if len(img) != len(msk):
                raise DataError(f"{path}: animation {a} has {len(img)} frames but {len(msk)} masks")
            xs.append(img)
            masks.append(msk)
            labels["identity"].append(np.full(len(img), number - 1))
            labels["animation"].append(np.full(len(img), a))
            labels["frame"].append(np.arange(len(img)))
            labels["attributes"].append(np.repeat(attributes[None], len(img), 0))
    x = torch.from_numpy(np.concatenate(xs))
    mask = torch.from_numpy(np.concatenate(masks))
    if pad_to is not None and pad_to > REED_SIZE:
        lo = (pad_to - REED_SIZE) // 2
        hi = pad_to - REED_SIZE - lo
        x = torch.nn.functional.pad(x, (lo, hi, lo, hi), mode="replicate")
        mask = torch.nn.functional.pad(mask, (lo, hi, lo, hi))
    out = {k: torch.from_numpy(np.concatenate(v)) for k, v in labels.items()}
    anim = out["animation"]
    out["action"] = torch.clamp(anim // 4, max=len(REED_ACTIONS))
    out["view"] = torch.where(anim < 4 * len(REED_ACTIONS), anim % 4, torch.full_like(anim, -1))
    result = {"x": x, "mask": mask, **out}
    return {k: v.to(device) for k, v in result.items()}
