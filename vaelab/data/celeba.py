"""CelebA in its original on-disk layout: writers for the list files, and a reader.

CelebA is never downloaded by this package (its licence asks each user to agree to its terms at
http://mmlab.ie.cuhk.edu.hk/projects/CelebA.html). The reader expects, under the book's ``data_root``
(default ``data/celeba/``), ``img_align_celeba/000001.jpg`` ... ``202599.jpg`` (178 wide x 218 high),
``list_attr_celeba.txt`` and ``list_eval_partition.txt``; torchvision's layout (the same inside ``celeba/``)
and the doubled ``img_align_celeba/img_align_celeba/`` of some re-packed archives are found too.

The writers reproduce the original list files byte for byte: CRLF line ends, the last line included; in the
attribute file, line 1 holds the number of images, line 2 the 40 names each followed by one space, then per image
the name and the values, the first unpadded after one space and every further one right-aligned in width 2 after one
space (``000007.jpg 1 -1  1``); in the partition file, ``000001.jpg 0`` per image (0 train, 1 valid, 2 test).
Checked against: the MD5 that torchvision records for the original partition file, which
:func:`write_partition_file` reproduces from the published split (``tests/test_celeba.py``); two public partial
copies of the attribute file (zgjsxx/face-property-detection-pytorch, Mrgrylls11/StarGAN_Watermarking) for the
spacing and the order of :data:`ATTRIBUTES`; and the original's size, 26,721,026 bytes, which this format gives when
22,516 images (11.1 %, the attribute's published frequency) have ``5_o_Clock_Shadow`` (the complete file, and so its
MD5, was not available). torchvision's own parser reads the files written here (with a 41st attribute name ``''``
from line 2's trailing space, as on the real file).

Preprocessing as alexlyzhov/latent-subspaces (``attr_classifier/dataset.py`` and its training scripts):
resize to 256x256, crop (32, 32, 224, 224), resize to ``size``, with ``Image.LANCZOS`` (Pillow's former
ANTIALIAS). This stretches the central 75 % of each side to a square: faces come out about 1.22 times wider
than they are, as in the seed project.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

ATTRIBUTES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
    "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows",
    "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones",
    "Male", "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin",
    "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair",
    "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace",
    "Wearing_Necktie", "Young",
)
"""The 40 attribute names in the column order of ``list_attr_celeba.txt``."""

ATTR_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
IMAGE_DIR = "img_align_celeba"
ALIGNED_SIZE = (178, 218)  # (width, height) of the aligned-and-cropped images
SPLITS = {"train": 0, "valid": 1, "test": 2}
SPLIT_CHOICES = ("train", "valid", "test", "all")
NEWLINE = "\r\n"  # both list files use CRLF (verified, see the module docstring)
JPEG_QUALITY = 95

# The seed project's preprocessing: resize to 256x256, crop the central 192x192, resize.
SEED_RESIZE = (256, 256)
SEED_CROP = (32, 32, 224, 224)
MIN_SIZE = 8

_HINT = (
    "CelebA must be placed by hand (it is never downloaded): put the aligned images and the list "
    "files under the data_root, e.g. data/celeba/, as img_align_celeba/000001.jpg ... 202599.jpg, "
    f"{ATTR_FILE} and {PARTITION_FILE} (torchvision's layout, with these inside a celeba/ "
    "subfolder, works too). Get them from http://mmlab.ie.cuhk.edu.hk/projects/CelebA.html "
    "(Align&Cropped Images, Anno/, Eval/)."
)


# --------------------------------------------------------------------------- writers


def _check_name(name: str, what: str) -> str:
    name = str(name)
    if not name or any(c.isspace() for c in name):
        raise ValueError(f"{what} {name!r} is empty or contains whitespace; the list files are "
                         "space-separated")
    return name


def _as_pm1(attrs, n_rows: int, n_cols: int) -> np.ndarray:
    """Return ``attrs`` as an int array of -1/+1. Accepts -1/+1, or 0/1 and booleans (0 = absent)."""
    if isinstance(attrs, torch.Tensor):
        attrs = attrs.detach().cpu().numpy()
    a = np.asarray(attrs)
    if a.dtype == bool:
        a = a.astype(np.int64)
    if a.ndim != 2 or a.shape != (n_rows, n_cols):
        raise ValueError(f"attrs must have shape ({n_rows}, {n_cols}) (images x names), got {a.shape}")
    if a.size and not np.all(np.isin(a, (-1, 0, 1))):
        bad = a[~np.isin(a, (-1, 0, 1))].flat[0]
        raise ValueError(f"attribute values must be -1/1 (or 0/1), found {bad!r}")
    a = a.astype(np.int64)
    if (a == 0).any() and (a == -1).any():
        raise ValueError("attrs mixes 0 and -1; use either -1/1 or 0/1 (0 = absent)")
    return np.where(a == 0, -1, a)


def _write_text(path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("ascii"))
    return path


def format_attr_line(filename: str, values: Sequence[int]) -> str:
    """One image's line of ``list_attr_celeba.txt`` (without the line end).

    ``format_attr_line("000007.jpg", [1, -1, 1])`` gives ``"000007.jpg 1 -1  1"``. The first
    value follows the name after a single space, unpadded; every further value is
    right-aligned in width 2 after one space. This is the spacing of the original file.
    """
    vals = [int(v) for v in values]
    if not vals:
        return filename
    return f"{filename} {vals[0]}" + "".join(f" {v:2d}" for v in vals[1:])


def write_attr_file(path, filenames: Sequence[str], attrs, names: Sequence[str] = ATTRIBUTES) -> Path:
    """Write ``list_attr_celeba.txt`` byte-for-byte in the original's format.

    ``filenames``: N image names (``000001.jpg`` ...). ``attrs``: an (N, len(names)) array or
    tensor of -1/+1 (0/1 and booleans are accepted too, with 0 meaning absent). ``names``:
    the column names, by default the 40 :data:`ATTRIBUTES`.

    The format was checked against public copies of the original and against its known
    size (see the module docstring). Line 1 holds N. Line 2 holds the names, each followed
    by one space, so the line ends in a space. Each image line is
    :func:`format_attr_line`. Every line, the last one included, ends in CRLF.
    torchvision's ``CelebA`` parser reads the result (tests/test_celeba.py).
    """
    names = [_check_name(n, "attribute name") for n in names]
    if len(set(names)) != len(names):
        raise ValueError(f"attribute names repeat: {sorted({n for n in names if names.count(n) > 1})}")
    filenames = [_check_name(f, "file name") for f in filenames]
    a = _as_pm1(attrs, len(filenames), len(names))
    lines = [str(len(filenames)), "".join(n + " " for n in names)]
    # same output as format_attr_line, via lookup tables (fast enough for CelebA's 202,599 rows)
    first, rest = {1: " 1", -1: " -1"}, {1: "  1", -1: " -1"}
    lines += [f + first[row[0]] + "".join(map(rest.__getitem__, row[1:])) if row else f
              for f, row in zip(filenames, a.tolist())]
    return _write_text(path, "".join(line + NEWLINE for line in lines))


def write_partition_file(path, filenames: Sequence[str], partition) -> Path:
    """Write ``list_eval_partition.txt``: ``000001.jpg 0`` per image, CRLF line ends.

    ``partition`` holds 0/1/2 (train/valid/test) or the names ``"train"``, ``"valid"``,
    ``"test"``. With CelebA's own split this reproduces the original file's MD5.
    """
    filenames = [_check_name(f, "file name") for f in filenames]
    parts = partition.tolist() if hasattr(partition, "tolist") else list(partition)
    if len(parts) != len(filenames):
        raise ValueError(f"{len(filenames)} file names but {len(parts)} partition entries")
    codes = []
    for p in parts:
        code = SPLITS.get(p, p) if isinstance(p, str) else p
        if isinstance(code, bool) or code not in (0, 1, 2):
            raise ValueError(f"partition entries must be 0/1/2 or 'train'/'valid'/'test', got {p!r}")
        codes.append(int(code))
    return _write_text(path, "".join(f"{f} {c}{NEWLINE}" for f, c in zip(filenames, codes)))


def image_name(index: int) -> str:
    """CelebA's file name for the 1-based ``index``: ``image_name(1) == "000001.jpg"``."""
    return f"{index:06d}.jpg"


def _to_hwc_uint8(image) -> np.ndarray:
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu()
        if image.ndim == 3 and image.shape[0] == 3 and image.shape[-1] != 3:
            image = image.permute(1, 2, 0)
        image = image.numpy()
    a = np.asarray(image)
    if a.dtype != np.uint8:
        raise TypeError(f"images must be uint8 (0..255), got dtype {a.dtype}")
    if a.ndim != 3 or a.shape[-1] != 3:
        raise ValueError(f"images must be RGB, shaped (H, W, 3) or (3, H, W); got {a.shape}")
    return np.ascontiguousarray(a)


def write_images(folder, images: Iterable, start: int = 1, quality: int = JPEG_QUALITY) -> list:
    """Save uint8 RGB images as JPEG (quality 95) named ``000001.jpg``, ``000002.jpg``, ...

    ``images``: an iterable of uint8 arrays or tensors shaped (H, W, 3) or (3, H, W), or one
    (N, H, W, 3) / (N, 3, H, W) array. CelebA's aligned images are 178 wide x 218 high
    (H=218, W=178). Other sizes are saved as given, and the reader's crop still works on them.
    Numbering begins at ``start``. Returns the list of file names written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i, image in enumerate(images, start=start):
        name = image_name(i)
        Image.fromarray(_to_hwc_uint8(image)).save(folder / name, format="JPEG", quality=quality)
        names.append(name)
    return names


# --------------------------------------------------------------------------- reader


def find_root(root) -> Path:
    """Return the folder that holds CelebA's files: ``root`` itself or ``root/celeba``.

    Raises :class:`FileNotFoundError` that says what is missing and where CelebA must go.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"CelebA folder {root} does not exist. {_HINT}")
    wanted = (IMAGE_DIR, ATTR_FILE, PARTITION_FILE)
    candidates = [root, root / "celeba"]
    for folder in candidates:
        if any((folder / w).exists() for w in wanted):
            missing = [w for w in wanted if not (folder / w).exists()]
            if missing:
                raise FileNotFoundError(f"CelebA in {folder} is incomplete: missing "
                                        f"{', '.join(str(folder / m) for m in missing)}. {_HINT}")
            if not (folder / IMAGE_DIR).is_dir():
                raise FileNotFoundError(f"{folder / IMAGE_DIR} is not a folder. {_HINT}")
            return folder
    raise FileNotFoundError(f"no CelebA files in {root} or {root / 'celeba'} (looked for "
                            f"{', '.join(wanted)}). {_HINT}")


def _image_folder(folder: Path, first: str | None) -> Path:
    images = folder / IMAGE_DIR
    nested = images / IMAGE_DIR
    if nested.is_dir() and (first is None or not (images / first).exists()):
        return nested  # zip re-packs that unpack to img_align_celeba/img_align_celeba/
    return images


def _lines(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} is missing. {_HINT}") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not a text file ({e})") from None
    return text.splitlines()


def read_partition_file(path) -> tuple:
    """Parse ``list_eval_partition.txt`` into ``(filenames, codes)`` (codes 0/1/2)."""
    path = Path(path)
    names, codes, seen = [], [], {}
    for lineno, line in enumerate(_lines(path), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
            raise ValueError(f"{path}, line {lineno}: expected '<file name> <0|1|2>', got {line.strip()!r}")
        if parts[0] in seen:
            raise ValueError(f"{path}, line {lineno}: {parts[0]} already listed on line {seen[parts[0]]}")
        seen[parts[0]] = lineno
        names.append(parts[0])
        codes.append(int(parts[1]))
    if not names:
        raise ValueError(f"{path} lists no images")
    return names, codes


def read_attr_file(path) -> tuple:
    """Parse ``list_attr_celeba.txt`` into ``(names, filenames, values)``.

    ``values`` is an (N, K) int8 array of 0/1 (the file's -1 becomes 0). Spacing is not
    checked: any run of spaces or tabs separates fields, and LF or CRLF ends lines. A
    wrong number of values, a value other than -1/1, a repeated file name or a first line
    that does not match the number of image lines raises :class:`ValueError` naming the
    file and the line number.
    """
    path = Path(path)
    lines = _lines(path)
    if len(lines) < 2:
        raise ValueError(f"{path}, line {len(lines) + 1}: the file ends before the attribute names "
                         "(line 1 must hold the number of images, line 2 the names)")
    try:
        count = int(lines[0].strip())
    except ValueError:
        raise ValueError(f"{path}, line 1: expected the number of images, got {lines[0].strip()!r}") from None
    names = lines[1].split()
    if not names:
        raise ValueError(f"{path}, line 2: expected the attribute names, got an empty line")
    if len(set(names)) != len(names):
        raise ValueError(f"{path}, line 2: attribute names repeat")
    k = len(names)
    lookup = {"1": 1, "-1": 0}
    filenames, rows, seen = [], [], {}
    for lineno, line in enumerate(lines[2:], start=3):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != k + 1:
            raise ValueError(f"{path}, line {lineno}: {parts[0]} has {len(parts) - 1} values, "
                             f"expected {k} (one per attribute name on line 2)")
        try:
            rows.append([lookup[t] for t in parts[1:]])
        except KeyError:
            bad = next(t for t in parts[1:] if t not in lookup)
            col = parts[1:].index(bad)
            raise ValueError(f"{path}, line {lineno}: value {bad!r} for {names[col]} of {parts[0]} "
                             "is not -1 or 1") from None
        if parts[0] in seen:
            raise ValueError(f"{path}, line {lineno}: {parts[0]} already listed on line {seen[parts[0]]}")
        seen[parts[0]] = lineno
        filenames.append(parts[0])
    if count != len(filenames):
        raise ValueError(f"{path}, line 1: says {count} images but the file has {len(filenames)} "
                         "image lines (truncated or edited?)")
    values = np.array(rows, dtype=np.int8).reshape(len(rows), k)
    return names, filenames, values


def _check_size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"size must be an int (the side of the square output), got {size!r}")
    if size < MIN_SIZE:
        raise ValueError(f"size={size} is too small; use at least {MIN_SIZE} (the book uses 64)")
    return int(size)


def _check_split(split) -> str:
    if split not in SPLIT_CHOICES:
        hint = " (CelebA calls its validation split 'valid')" if split in ("val", "validation") else ""
        raise ValueError(f"split={split!r} is not valid; choose one of {', '.join(SPLIT_CHOICES)}{hint}")
    return split


def _select(names: list, attributes) -> list:
    if attributes is None:
        return list(range(len(names)))
    if isinstance(attributes, str):
        attributes = [attributes]
    attributes = list(attributes)
    if not attributes:
        raise ValueError("attributes is empty; pass None for all of them or a list of names")
    index = {n: i for i, n in enumerate(names)}
    cols = []
    for a in attributes:
        if a not in index:
            close = difflib.get_close_matches(str(a), names, n=3, cutoff=0.6)
            lower = [n for n in names if n.lower() == str(a).lower()]
            hint = f"did you mean {' or '.join(map(repr, lower or close))}? " if (lower or close) else ""
            raise ValueError(f"unknown CelebA attribute {a!r}; {hint}valid names: {', '.join(names)}")
        cols.append(index[a])
    if len(set(cols)) != len(cols):
        raise ValueError(f"attributes repeat: {attributes}")
    return cols


def seed_transform(img: Image.Image, size: int = 64) -> Image.Image:
    """The seed project's crop: resize to 256x256, crop (32, 32, 224, 224), resize to ``size``.

    Both resizes use Lanczos (Pillow's former ``ANTIALIAS``), as in alexlyzhov/latent-subspaces.
    """
    img = img.resize(SEED_RESIZE, Image.LANCZOS)
    img = img.crop(SEED_CROP)
    return img.resize((size, size), Image.LANCZOS)


def _to_tensor(img: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(img, dtype=np.uint8).copy()).permute(2, 0, 1)


class CelebAFolder(Dataset):
    """CelebA read from its original files: ``(image, attributes)`` pairs.

    ``root``: the folder that holds ``img_align_celeba/``, ``list_attr_celeba.txt`` and
    ``list_eval_partition.txt``, or holds them inside ``celeba/`` (torchvision's layout).
    ``split``: ``"train"``, ``"valid"``, ``"test"`` or ``"all"``. ``size``: side of the square
    output (the seed project used 64). ``attributes``: ``None`` for all of the file's
    attributes in file order, or a list of names.

    Item ``i`` is ``(image, attrs)``. ``image`` is a float32 tensor (3, size, size) in [0, 1],
    cropped as in the seed project (:func:`seed_transform`). ``attrs`` is a float32 tensor of
    0/1, one per name in ``.attr_names``. The list files are read once, here. Images are
    read lazily in ``__getitem__``.
    """

    def __init__(self, root, split: str = "train", size: int = 64, attributes=None):
        self.split = _check_split(split)
        self.size = _check_size(size)
        self.root = find_root(root)
        part_names, codes = read_partition_file(self.root / PARTITION_FILE)
        names, attr_files, values = read_attr_file(self.root / ATTR_FILE)
        row_of = {f: i for i, f in enumerate(attr_files)}
        missing = [f for f in part_names if f not in row_of]
        if missing or len(attr_files) != len(part_names):
            in_part = set(part_names)
            extra = [f for f in attr_files if f not in in_part]
            raise ValueError(
                f"{self.root / PARTITION_FILE} and {self.root / ATTR_FILE} list different images "
                f"({len(part_names)} vs {len(attr_files)}; only in the partition file: "
                f"{missing[:3]}{' ...' if len(missing) > 3 else ''}; only in the attribute file: "
                f"{extra[:3]}{' ...' if len(extra) > 3 else ''})")
        cols = _select(names, attributes)
        self.attr_names = [names[c] for c in cols]
        want = None if self.split == "all" else SPLITS[self.split]
        self.filenames = [f for f, c in zip(part_names, codes) if want is None or c == want]
        rows = np.array([row_of[f] for f in self.filenames], dtype=np.int64)
        self.attrs = torch.from_numpy(values[rows][:, cols].astype(np.float32)).reshape(len(rows), len(cols))
        self.image_dir = _image_folder(self.root, self.filenames[0] if self.filenames else None)
        for f in self.filenames[:1] + self.filenames[-1:]:
            if not (self.image_dir / f).is_file():
                raise FileNotFoundError(f"{self.image_dir / f} is missing (listed in {PARTITION_FILE}); "
                                        f"the images are incomplete. {_HINT}")

    def __len__(self) -> int:
        return len(self.filenames)

    def load_image(self, index: int) -> torch.Tensor:
        """Image ``index`` as a uint8 tensor (3, size, size), cropped and resized."""
        path = self.image_dir / self.filenames[index]
        try:
            with Image.open(path) as img:
                img = seed_transform(img.convert("RGB"), self.size)
        except FileNotFoundError:
            raise FileNotFoundError(f"{path} is missing (listed in {PARTITION_FILE}). {_HINT}") from None
        return _to_tensor(img)

    def __getitem__(self, index):
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} out of range for {n} images")
        index %= n
        return self.load_image(index).float().div_(255.0), self.attrs[index]

    def __repr__(self) -> str:
        return (f"CelebAFolder(root={str(self.root)!r}, split={self.split!r}, size={self.size}, "
                f"{len(self)} images, {len(self.attr_names)} attributes)")


class _Uint8View(Dataset):
    def __init__(self, ds: CelebAFolder, n: int):
        self.ds, self.n = ds, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.ds.load_image(i)


def load_tensors(root, split: str = "train", size: int = 64, attributes=None, limit: int | None = None,
                 *, dtype: torch.dtype = torch.float32, num_workers: int = 0):
    """Read a whole split into memory: ``(images, attrs)``.

    ``images`` is (N, 3, size, size): float in [0, 1] for a floating ``dtype`` (default
    float32), or the raw 0..255 values for ``dtype=torch.uint8``. uint8 needs a quarter of
    the memory: the full train split at 64x64 takes 2.0 GB as uint8 and 8.0 GB as float32.
    ``attrs`` is (N, K) float32 of 0/1. ``limit`` keeps the first ``limit`` images of the
    split, in file order. ``num_workers`` > 0 decodes the JPEGs in that many worker processes.
    Move the result to the GPU with ``.to(device)``.
    """
    ds = CelebAFolder(root, split=split, size=size, attributes=attributes)
    n = len(ds)
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 0:
            raise ValueError(f"limit must be None or a non-negative int, got {limit!r}")
        n = min(n, int(limit))
    if not (dtype == torch.uint8 or dtype.is_floating_point):
        raise ValueError(f"dtype must be torch.uint8 or a floating dtype, got {dtype}")
    images = torch.empty((n, 3, ds.size, ds.size), dtype=dtype)
    loader = torch.utils.data.DataLoader(_Uint8View(ds, n), batch_size=256, shuffle=False,
                                         num_workers=num_workers)
    at = 0
    for batch in loader:
        chunk = batch if dtype == torch.uint8 else batch.to(dtype).div_(255.0)
        images[at:at + len(batch)] = chunk
        at += len(batch)
    return images, ds.attrs[:n].clone()
