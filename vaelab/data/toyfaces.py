"""ToyFaces: procedurally drawn faces with CelebA's attribute names and known ground truth.

The face chapters run on ToyFaces where CelebA is not available, and say so. Every image is drawn from a recorded
vector of binary attributes (named as in CelebA's ``list_attr_celeba.txt``, each visibly drawn: glasses, smile, sex,
make-up, lipstick, facial hair, bangs, hair colour, receding hairline, hat, pale skin, open mouth; of several hair
colours set, the first of black, blond, brown, grey is drawn, and none is red) and continuous nuisance factors
(:data:`FACTORS`: pose, face width, skin and hair tone, background, lighting, hair length), so that disentanglement
and "did anything else change" can be measured exactly. Base rates and co-occurrences are set close to CelebA's
(:data:`BY_SEX` and its neighbours). Every random number is a hash of (seed, image index, variable), so image ``i``
of seed ``s`` is the same in any ``n`` or batch; the partitions have the proportions of CelebA's
``list_eval_partition.txt``. Drawing is vectorised over the batch with signed distances and a one-pixel linear ramp
for anti-aliasing, in face coordinates that the pose factors map to the image.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from ..cpu import sqrt as _sqrt  # correctly rounded: the same pixels on every CPU

ATTRIBUTES = ("Bangs", "Black_Hair", "Blond_Hair", "Brown_Hair", "Eyeglasses", "Goatee", "Gray_Hair",
              "Heavy_Makeup", "Male", "Mouth_Slightly_Open", "Mustache", "No_Beard", "Pale_Skin",
              "Receding_Hairline", "Smiling", "Wearing_Hat", "Wearing_Lipstick")  # CelebA's column order
FACTORS = ("dx", "dy", "scale", "rotation", "face_width", "skin_tone", "hair_tone", "bg_hue", "bg_light",
           "light_angle", "light_strength", "hair_length")
#: factor ranges (uniform): pixels at 64×64, a scale, degrees, a width factor, the rest in [0, 1]
RANGES = {"dx": (-3.0, 3.0), "dy": (-3.0, 3.0), "scale": (0.9, 1.1), "rotation": (-8.0, 8.0),
          "face_width": (0.88, 1.12), "skin_tone": (0.0, 1.0), "hair_tone": (0.0, 1.0), "bg_hue": (0.0, 1.0),
          "bg_light": (0.35, 0.9), "light_angle": (0.0, 2 * math.pi), "light_strength": (0.0, 0.25),
          "hair_length": (0.0, 1.0)}
#: The probabilities that :func:`sample` draws from, chosen so that the marginals are CelebA's.
#: A pair is (P | Male, P | not Male); the other entries say what they condition on.
P_MALE = 0.417
BY_SEX = {
    "Smiling": (0.482, 0.482),
    "Eyeglasses": (0.11, 0.03),
    "Heavy_Makeup": (0.005, 0.66),
    "beard": (0.395, 0.0),             # No_Beard = 0: a full beard or a goatee
    "Mustache": (0.10, 0.0),
    "Bangs": (0.05, 0.22),
    "Receding_Hairline": (0.14, 0.04),
    "Wearing_Hat": (0.048, 0.048),
    "Pale_Skin": (0.018, 0.06),
}
P_MOUTH_OPEN = (0.70, 0.27)            # given Smiling, given not Smiling
P_LIPSTICK = (0.01, 0.95, 0.51)        # Male; not Male with Heavy_Makeup; not Male without
P_GOATEE_GIVEN_BEARD = 0.38            # so 0.15 of Male
#: black, blond, brown, gray, other (auburn); Male, not Male
P_HAIR = ((0.265, 0.02, 0.17, 0.087, 0.458), (0.22, 0.24, 0.23, 0.01, 0.30))
#: CelebA's base rates: the fraction of the 202,599 images labelled 1 in list_attr_celeba.txt (Liu et
#: et al. 2015), as commonly tabulated; Mouth_Slightly_Open (97,942 images, 0.483) and the partition
#: sizes are cross-checked against the table of Wu et al., "Consistency and Accuracy of CelebA
#: Attribute Values" (CVPRW'23, github.com/HaiyuWu/CelebAMSO)
CELEBA_RATES = {"Bangs": 0.152, "Black_Hair": 0.239, "Blond_Hair": 0.148, "Brown_Hair": 0.205,
                "Eyeglasses": 0.065, "Goatee": 0.063, "Gray_Hair": 0.042, "Heavy_Makeup": 0.387,
                "Male": 0.417, "Mouth_Slightly_Open": 0.483, "Mustache": 0.042, "No_Beard": 0.835,
                "Pale_Skin": 0.043, "Receding_Hairline": 0.080, "Smiling": 0.482, "Wearing_Hat": 0.048,
                "Wearing_Lipstick": 0.472}
PARTITION_FRACTIONS = (162_770 / 202_599, 19_867 / 202_599)  # train, valid; the rest is test
VERSION = 2  # bump when the drawing changes: caches are keyed by it (2: correctly rounded square roots)

HAIR_RGB = torch.tensor([[0.10, 0.08, 0.07], [0.93, 0.80, 0.45], [0.45, 0.28, 0.14], [0.72, 0.72, 0.74],
                         [0.62, 0.22, 0.10]])  # black, blond, brown, gray, other (auburn)
SKIN_DARK, SKIN_LIGHT, SKIN_PALE = (torch.tensor([0.45, 0.30, 0.20]), torch.tensor([0.96, 0.80, 0.66]),
                                    torch.tensor([0.99, 0.93, 0.88]))


# ----------------------------------------------------------------------------------- randomness
_M64 = (1 << 64) - 1


def _uniforms(seed: int, index: np.ndarray, n_vars: int) -> np.ndarray:
    """(len(index), n_vars) uniforms in [0, 1), each a splitmix64 hash of (seed, index, variable)."""
    with np.errstate(over="ignore"):
        z = (np.uint64(seed & _M64) * np.uint64(0x9E3779B97F4A7C15)
             + index.astype(np.uint64)[:, None] * np.uint64(0xD1B54A32D192ED03)
             + np.arange(1, n_vars + 1, dtype=np.uint64)[None, :] * np.uint64(0x8CB92BA72F3D8DD7))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def sample(n: int, seed: int = 0, start: int = 0) -> tuple[torch.Tensor, dict]:
    """Attributes (n, 17) in {0, 1} (columns :data:`ATTRIBUTES`) and the factor dict of images
    ``start .. start + n - 1`` of ``seed``."""
    if n < 1 or start < 0:
        raise ValueError(f"n must be >= 1 and start >= 0, got n={n}, start={start}")
    u = torch.from_numpy(_uniforms(seed, np.arange(start, start + n), 32))
    male = u[:, 0] < P_MALE
    by_sex = lambda k, col: u[:, col] < torch.where(male, BY_SEX[k][0], BY_SEX[k][1])
    smiling = by_sex("Smiling", 1)
    mouth_open = u[:, 2] < torch.where(smiling, *P_MOUTH_OPEN)
    glasses = by_sex("Eyeglasses", 3)
    makeup = by_sex("Heavy_Makeup", 4)
    lipstick = u[:, 5] < torch.where(male, torch.full_like(u[:, 5], P_LIPSTICK[0]),
                                     torch.where(makeup, *P_LIPSTICK[1:]))
    beard = by_sex("beard", 6)
    goatee = beard & (u[:, 7] < P_GOATEE_GIVEN_BEARD)
    mustache = by_sex("Mustache", 8)
    bangs = by_sex("Bangs", 9)
    probs_m, probs_f = (torch.tensor(p).cumsum(0) for p in P_HAIR)
    cum = torch.where(male[:, None], probs_m, probs_f)
    hair = (u[:, 10:11] >= cum).sum(1).clamp_max(4)  # 0 black, 1 blond, 2 brown, 3 gray, 4 other
    receding = by_sex("Receding_Hairline", 11)
    hat = by_sex("Wearing_Hat", 12)
    pale = by_sex("Pale_Skin", 13)
    a = {"Bangs": bangs, "Black_Hair": hair == 0, "Blond_Hair": hair == 1, "Brown_Hair": hair == 2,
         "Eyeglasses": glasses, "Goatee": goatee, "Gray_Hair": hair == 3, "Heavy_Makeup": makeup, "Male": male,
         "Mouth_Slightly_Open": mouth_open, "Mustache": mustache, "No_Beard": ~beard, "Pale_Skin": pale,
         "Receding_Hairline": receding, "Smiling": smiling, "Wearing_Hat": hat, "Wearing_Lipstick": lipstick}
    attrs = torch.stack([a[k] for k in ATTRIBUTES], 1).float()
    factors = {}
    for j, name in enumerate(FACTORS):
        lo, hi = RANGES[name]
        factors[name] = (lo + (hi - lo) * u[:, 16 + j]).float()
    return attrs, factors


def partition(index, n_total: int) -> torch.Tensor:
    """0 train, 1 valid, 2 test for image indices of a set of ``n_total`` images."""
    index = torch.as_tensor(index)
    a = int(round(PARTITION_FRACTIONS[0] * n_total))
    b = a + int(round(PARTITION_FRACTIONS[1] * n_total))
    return (index >= a).long() + (index >= b).long()


# ---------------------------------------------------------------------------------- drawing
def _cover(d: torch.Tensor, px: torch.Tensor) -> torch.Tensor:
    """Coverage of a shape from its signed distance ``d`` in face units (inside < 0), with a
    one-pixel anti-aliasing ramp (``px`` = face units per pixel, shape (B, 1, 1))."""
    return (0.5 - d / px).clamp(0.0, 1.0)


def _ellipse(u, v, cu, cv, ru, rv):
    """Approximate signed distance to an axis-aligned ellipse (exact for circles)."""
    k = _sqrt(((u - cu) / ru) ** 2 + ((v - cv) / rv) ** 2)
    return (k - 1.0) * torch.minimum(torch.as_tensor(ru), torch.as_tensor(rv))


def _box(u, v, cu, cv, hu, hv):
    """Signed distance to an axis-aligned box with half-sizes (hu, hv)."""
    du, dv = (u - cu).abs() - hu, (v - cv).abs() - hv
    outside = _sqrt(du.clamp_min(0) ** 2 + dv.clamp_min(0) ** 2)
    return outside + torch.maximum(du, dv).clamp_max(0)


def _over(img, colour, alpha):
    """Paint ``colour`` (B, 3, 1, 1) or (B, 3, H, W) with coverage ``alpha`` (B, H, W) over ``img``."""
    return img.lerp_(colour.expand_as(img) if colour.dim() == 4 else colour, alpha.unsqueeze(1))  # in place


def _hsv_to_rgb(h, s, v):
    i = torch.floor(h * 6) % 6
    f = h * 6 - torch.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    table = torch.stack([torch.stack(c, -1) for c in ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v),
                                                     (v, p, q))], 1)  # (B, 6, 3)
    return table[torch.arange(len(h)), i.long()]


def _native_grid(width: int, height: int, frame):
    """Pixel centres of a (height, width) canvas in the coordinates of the native 64×64 frame;
    ``frame = (x0, y0, x1, y1)`` is the canvas rectangle that shows the native frame."""
    x0, y0, x1, y1 = frame if frame is not None else (0.0, 0.0, float(width), float(height))
    ys = (torch.arange(height, dtype=torch.float32).view(1, height, 1) + 0.5 - y0) * (64.0 / (y1 - y0))
    xs = (torch.arange(width, dtype=torch.float32).view(1, 1, width) + 0.5 - x0) * (64.0 / (x1 - x0))
    return xs, ys, 64.0 / min(x1 - x0, y1 - y0)


def render(attrs: torch.Tensor, factors: dict, width: int = 64, height: int | None = None,
           frame=None) -> torch.Tensor:
    """Draw (B, 3, height, width) float32 images in [0, 1].

    ``frame = (x0, y0, x1, y1)``: the rectangle of the canvas (pixels) that shows what the native
    64×64 image shows (default: the whole canvas), e.g. the part of a 178×218 CelebA-aligned
    canvas that the seed project's crop keeps; a non-square frame stretches the face."""
    height = height or width
    if width < 16 or height < 16:
        raise ValueError(f"width and height must be >= 16 pixels, got width={width}, height={height}")
    attrs = torch.as_tensor(attrs, dtype=torch.float32)
    if attrs.ndim != 2 or attrs.shape[1] != len(ATTRIBUTES):
        raise ValueError(f"attrs must have shape (B, {len(ATTRIBUTES)}) in the order of ATTRIBUTES")
    A = {k: attrs[:, i].bool() for i, k in enumerate(ATTRIBUTES)}
    F = factors
    B = attrs.shape[0]
    col = lambda m: m.float().view(B, 1, 1)
    f = lambda name: F[name].float().view(B, 1, 1)

    # pixel grid -> native 64x64 coordinates -> face coordinates (u right, v down; 1 unit = 20
    # native px)
    xs, ys, native_per_px = _native_grid(width, height, frame)
    unit = 20 * f("scale")
    th = f("rotation") * math.pi / 180
    X, Y = (xs - (32 + f("dx"))) / unit, (ys - (33.5 + f("dy"))) / unit
    u = X * torch.cos(th) + Y * torch.sin(th)
    v = -X * torch.sin(th) + Y * torch.cos(th)
    px = native_per_px / unit  # face units per canvas pixel
    fw = f("face_width")
    male = col(A["Male"])

    # background: a hue at the given lightness, darker towards the bottom
    bg = _hsv_to_rgb(F["bg_hue"].float(), torch.full((B,), 0.35), F["bg_light"].float()).view(B, 3, 1, 1)
    img = bg * (1 - 0.15 * (ys / 64).clamp(0, 1.2)).unsqueeze(1)
    img = img.expand(B, 3, height, width).clone()

    colours = torch.stack([A[k] for k in ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair")], 1)
    hair_idx = torch.where(colours.any(1), colours.float().argmax(1), torch.full((B,), 4))
    hair_rgb = HAIR_RGB[hair_idx] * (0.8 + 0.4 * F["hair_tone"].float()).view(B, 1)
    hair_rgb = hair_rgb.clamp(0, 1).view(B, 3, 1, 1)
    skin = SKIN_DARK + (SKIN_LIGHT - SKIN_DARK) * F["skin_tone"].float().view(B, 1)
    skin = torch.where(A["Pale_Skin"].view(B, 1), SKIN_PALE.expand(B, 3), skin).view(B, 3, 1, 1)

    # long hair behind the head (mostly without Male), and the shoulders
    length = 0.15 + (1 - male) * (0.55 + 0.5 * f("hair_length")) + male * 0.15 * f("hair_length")
    back = _ellipse(u, v, 0.0, 0.05 + length * 0.5, 0.95 * fw, 0.95 + length * 0.5)
    img = _over(img, hair_rgb, _cover(back, px))
    shirt = torch.tensor([0.25, 0.30, 0.45]).view(1, 3, 1, 1)
    img = _over(img, shirt, _cover(_ellipse(u, v, 0.0, 2.05, 1.35, 0.75), px))
    img = _over(img, skin * 0.9, _cover(_box(u, v, 0.0, 1.05, 0.28 * fw, 0.35), px))  # neck

    # face, lit from the lighting direction
    jaw = 0.72 + 0.06 * male
    face = _ellipse(u, v, 0.0, 0.0, jaw * fw, 0.95)
    la, ls = f("light_angle"), f("light_strength")
    shade = 1.0 + ls * (u * torch.cos(la) + v * torch.sin(la))
    img = _over(img, (skin * shade.unsqueeze(1)).clamp(0, 1), _cover(face, px))

    # hair on top: the hairline sits higher with Receding_Hairline; Bangs cover the forehead
    hairline = -0.45 - 0.32 * col(A["Receding_Hairline"])
    cap = torch.maximum(_ellipse(u, v, 0.0, -0.1, 0.80 * fw, 0.98), v - hairline)
    img = _over(img, hair_rgb, _cover(cap, px))
    fringe = torch.maximum(_ellipse(u, v, 0.0, -0.45, 0.70 * fw, 0.38), v + 0.28)
    img = _over(img, hair_rgb, _cover(fringe, px) * col(A["Bangs"]))

    # eyes with make-up, brows
    shadow = torch.tensor([0.45, 0.30, 0.60]).view(1, 3, 1, 1)
    for s in (-1.0, 1.0):
        ex = s * 0.30 * fw
        img = _over(img, shadow, 0.7 * _cover(_ellipse(u, v, ex, -0.12, 0.17, 0.09), px) * col(A["Heavy_Makeup"]))
        img = _over(img, torch.ones(1, 3, 1, 1) * 0.97, _cover(_ellipse(u, v, ex, -0.05, 0.12, 0.065), px))
        img = _over(img, torch.tensor([0.15, 0.2, 0.3]).view(1, 3, 1, 1),
                    _cover(_ellipse(u, v, ex, -0.05, 0.06, 0.06), px))
        brow = _box(u, v, ex, -0.26, 0.15, 0.025 + 0.02 * male)
        img = _over(img, hair_rgb * 0.8, _cover(brow, px))
    # blush with make-up
    blush = torch.tensor([0.95, 0.45, 0.45]).view(1, 3, 1, 1)
    for s in (-1.0, 1.0):
        img = _over(img, blush, 0.35 * _cover(_ellipse(u, v, s * 0.42 * fw, 0.22, 0.14, 0.09), px)
                    * col(A["Heavy_Makeup"]))
    # nose
    img = _over(img, skin * 0.75, _cover(_box(u, v, 0.0, 0.18, 0.035, 0.13), px))

    # beard (full or goatee) and moustache, before the mouth
    chin = _ellipse(u, v, 0.0, 0.25, jaw * fw, 0.72)
    full = torch.maximum(chin, 0.28 - v)
    full = torch.maximum(full, -_box(u, v, 0.0, 0.42, 0.30, 0.08))  # the upper lip stays bare
    goatee_d = _ellipse(u, v, 0.0, 0.78, 0.20, 0.18)
    beard_d = torch.where(col(A["Goatee"]).bool(), goatee_d, full)
    img = _over(img, hair_rgb * 0.85, _cover(beard_d, px) * (1 - col(A["No_Beard"])))
    # darker: visible on a beard too
    img = _over(img, hair_rgb * 0.6, _cover(_ellipse(u, v, 0.0, 0.42, 0.26, 0.055), px) * col(A["Mustache"]))

    # mouth: a curve that bends up when smiling; a dark gap when open; red with lipstick
    smile = col(A["Smiling"])
    curve = 0.55 + smile * (0.05 - 1.3 * u ** 2)  # smiling: the middle drops, the corners rise
    lip_rgb = torch.where(A["Wearing_Lipstick"].view(B, 1), torch.tensor([0.80, 0.08, 0.15]),
                          torch.tensor([0.70, 0.38, 0.35])).view(B, 3, 1, 1)
    half = 0.035 + 0.015 * col(A["Wearing_Lipstick"])
    mouth_w = 0.24 + 0.04 * smile
    lips = torch.maximum((v - curve).abs() - half - 0.03 * col(A["Mouth_Slightly_Open"]), u.abs() - mouth_w)
    img = _over(img, lip_rgb, _cover(lips, px))
    gap = torch.maximum((v - curve).abs() - 0.03, u.abs() - (mouth_w - 0.05))
    img = _over(img, torch.tensor([0.25, 0.05, 0.05]).view(1, 3, 1, 1), _cover(gap, px) * col(A["Mouth_Slightly_Open"]))

    # hat: crown and brim over the top of the head
    hat_rgb = _hsv_to_rgb((F["bg_hue"].float() + 0.5) % 1.0, torch.full((B,), 0.6), torch.full((B,), 0.45))
    crown = torch.maximum(_ellipse(u, v, 0.0, -0.75, 0.78 * fw, 0.55), v + 0.42)
    brim = _box(u, v, 0.0, -0.45, 0.98 * fw, 0.06)
    img = _over(img, hat_rgb.view(B, 3, 1, 1), _cover(torch.minimum(crown, brim), px) * col(A["Wearing_Hat"]))

    # eyeglasses: two rings and a bridge, local to the eyes
    frame = torch.tensor([0.08, 0.08, 0.10]).view(1, 3, 1, 1)
    ring = lambda s: (_sqrt((u - s * 0.30 * fw) ** 2 + ((v + 0.05) / 0.8) ** 2) - 0.19).abs() - 0.022
    bridge = _box(u, v, 0.0, -0.08, 0.30 * fw - 0.19, 0.018)
    glasses = torch.minimum(torch.minimum(ring(-1.0), ring(1.0)), bridge)
    img = _over(img, frame, _cover(glasses, px) * col(A["Eyeglasses"]))
    return img.clamp(0.0, 1.0).contiguous()


def eye_region(factors: dict, width: int = 64, height: int | None = None, margin: float = 0.08) -> torch.Tensor:
    """(B, H, W) bool: the pixels within the eyeglasses' reach at the native framing (for locality checks)."""
    B = len(factors["dx"])
    height = height or width
    f = {k: v.float().view(B, 1, 1) for k, v in factors.items()}
    unit = 20 * f["scale"]
    xs, ys, _ = _native_grid(width, height, None)
    X = (xs - (32 + f["dx"])) / unit
    Y = (ys - (33.5 + f["dy"])) / unit
    th = f["rotation"] * math.pi / 180
    u = X * torch.cos(th) + Y * torch.sin(th)
    v = -X * torch.sin(th) + Y * torch.cos(th)
    reach = 0.30 * f["face_width"] + 0.19 + 0.022 + margin
    return (u.abs() <= reach) & ((v + 0.05).abs() <= 0.8 * (0.19 + 0.022) + margin)


def make(n: int, seed: int = 0, start: int = 0, n_total: int | None = None, batch: int = 64,
         progress: bool = False, device="cpu") -> dict:
    """Images ``start .. start + n - 1`` of ``seed``: ``{"x" (n, 3, 64, 64) uint8, "attrs" (n, 17),
    "factors" {name: (n,)}, "partition" (n,)}``; partitions refer to a set of ``n_total`` (default n)."""
    from tqdm import tqdm

    attrs, factors = sample(n, seed, start)
    x = torch.empty(n, 3, 64, 64, dtype=torch.uint8)
    for i in tqdm(range(0, n, batch), disable=not progress, desc="ToyFaces"):
        sl = slice(i, min(i + batch, n))
        img = render(attrs[sl], {k: v[sl] for k, v in factors.items()})
        x[sl] = (img * 255 + 0.5).to(torch.uint8)
    part = partition(torch.arange(start, start + n), n_total or (start + n))
    return {"x": x.to(device), "attrs": attrs.to(device), "factors": {k: v.to(device) for k, v in factors.items()},
            "partition": part.to(device)}


def load(n: int, seed: int = 0, cache_dir: str | Path | None = None, progress: bool = True) -> dict:
    """:func:`make` with a cache under ``data/cache/`` (ignored by git) keyed by (n, seed, VERSION)."""
    from .. import REPO

    cache_dir = Path(cache_dir) if cache_dir is not None else REPO / "data" / "cache"
    path = cache_dir / f"toyfaces-v{VERSION}-seed{seed}-n{n}.pt"
    if path.exists():
        try:
            return torch.load(path, weights_only=True)
        except Exception:  # a corrupt cache is regenerated, never trusted
            path.unlink()
    data = make(n, seed, progress=progress)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(data, tmp)
    tmp.replace(path)
    return data


#: the rectangle of a 178×218 CelebA-aligned image that the seed project's crop keeps (resize to
#: 256×256, crop 32..224): ToyFaces drawn there come back at their native framing
CELEBA_FRAME = (32 * 178 / 256, 32 * 218 / 256, 224 * 178 / 256, 224 * 218 / 256)


def write_celeba(root: str | Path, n: int, seed: int = 0, batch: int = 64, progress: bool = True) -> Path:
    """Write ``n`` ToyFaces in CelebA's folder layout under ``root``: ``img_align_celeba/`` (178×218
    JPEGs), ``list_attr_celeba.txt`` (all 40 CelebA columns; the ones ToyFaces does not draw are -1)
    and ``list_eval_partition.txt``. :class:`vaelab.data.celeba.CelebAFolder` reads it back."""
    from tqdm import tqdm

    from . import celeba

    root = Path(root)
    attrs, factors = sample(n, seed)
    names = []
    for i in tqdm(range(0, n, batch), disable=not progress, desc="ToyFaces -> CelebA layout"):
        sl = slice(i, min(i + batch, n))
        img = render(attrs[sl], {k: v[sl] for k, v in factors.items()}, width=178, height=218,
                     frame=CELEBA_FRAME)
        names += celeba.write_images(root / celeba.IMAGE_DIR, (img * 255 + 0.5).to(torch.uint8), start=i + 1)
    full = torch.zeros(n, len(celeba.ATTRIBUTES))
    for j, name in enumerate(ATTRIBUTES):
        full[:, celeba.ATTRIBUTES.index(name)] = attrs[:, j]
    celeba.write_attr_file(root / celeba.ATTR_FILE, names, full.long())
    celeba.write_partition_file(root / celeba.PARTITION_FILE, names, partition(torch.arange(n), n).tolist())
    return root
