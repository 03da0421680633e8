"""2D game-character sprites for the cycle-consistent VAE (Jha, Anand, Singh, Veeravasarapu, ECCV'18).

Jha et al. train on the 2D Sprites of Reed, Zhang, Zhang, Lee ("Deep Visual Analogy-Making", NeurIPS'15):
the character is the *specified* factor, known through pairs of images of the same character; animation,
frame and viewpoint are *unspecified*. :func:`load_reed` (from :mod:`vaelab.data.reed_sprites`) reads
Reed's files for users who have them; this module draws **ToySprites**, a stand-in with known ground truth.

ToySprites are 64×64 RGB characters on black. The specified ``identity`` (:data:`N_IDENTITIES` = 500) is
skin colour × shirt colour × hair style × held item, numbered ``((skin·5 + shirt)·5 + hair)·4 + item``; the
unspecified factors are ``pose`` (6 frames of a walk cycle), ``direction`` (front, left, and right, the
mirror image of left) and integer shifts ``dx``, ``dy`` in [-4, 4] (+dx right, +dy down). Every part is a
signed distance field turned into anti-aliased coverage; a picture is linear in the skin and shirt colours,
so the 360 geometries are drawn once and a sprite is a gather, two multiply-adds and a paste at its shift.
Each factor has its own random stream: sprite ``i`` of ``make(n, seed)`` depends only on ``(seed, i)``, and
``make(k, seed)`` is a prefix of ``make(n, seed)``.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from ..cpu import sqrt as _sqrt  # correctly rounded: the same pixels on every CPU
from . import positive_int as _count

SIZE = 64
MAX_SHIFT = 4

SKINS = ("pale", "tan", "brown", "dark", "green")
SHIRTS = ("red", "green", "blue", "yellow", "purple")
HAIRS = ("short brown", "long blonde", "spiky red", "silver ponytail", "purple bun")
ITEMS = ("none", "sword", "shield", "staff")
DIRECTIONS = ("front", "left", "right")
N_POSES = 6
SHIFTS = tuple(range(-MAX_SHIFT, MAX_SHIFT + 1))

SPECIFIED = ("skin", "shirt", "hair", "item")           # the parts of the identity
UNSPECIFIED = ("pose", "direction", "dx", "dy")
FACTOR_VALUES = {
    "skin": SKINS, "shirt": SHIRTS, "hair": HAIRS, "item": ITEMS,
    "pose": tuple(range(N_POSES)), "direction": DIRECTIONS, "dx": SHIFTS, "dy": SHIFTS,
}
FACTORS = {name: len(values) for name, values in FACTOR_VALUES.items()}
N_IDENTITIES = math.prod(FACTORS[f] for f in SPECIFIED)

_SKIN_RGB = torch.tensor([(1.00, 0.86, 0.72), (0.92, 0.70, 0.52), (0.72, 0.50, 0.33),
                          (0.47, 0.31, 0.19), (0.55, 0.80, 0.42)])
_SHIRT_RGB = torch.tensor([(0.82, 0.12, 0.12), (0.12, 0.55, 0.20), (0.16, 0.32, 0.85),
                           (0.96, 0.78, 0.10), (0.62, 0.22, 0.68)])
_HAIR_RGB = torch.tensor([(0.42, 0.25, 0.10), (0.96, 0.84, 0.36), (0.90, 0.30, 0.08),
                          (0.80, 0.82, 0.88), (0.42, 0.28, 0.78)], dtype=torch.float64)
_PANTS = (0.24, 0.24, 0.34)
_SHOES = (0.36, 0.21, 0.08)
_BELT = (0.30, 0.17, 0.06)
_EYE = (0.06, 0.06, 0.08)
_STEEL = (0.86, 0.88, 0.94)
_GOLD = (0.88, 0.72, 0.20)
_WOOD = (0.50, 0.31, 0.13)
_SHIELD = (0.20, 0.32, 0.72)
_ORB = (0.35, 0.95, 0.95)
_SHADE = 0.72                                            # far-side limbs are drawn darker


# ----------------------------------------------------------------------------- input checks

def _ints(name: str, value, device=None) -> torch.Tensor:
    """``value`` (int, sequence, array or tensor of integers) as a 1-D int64 tensor."""
    if isinstance(value, torch.Tensor):
        t = value
    else:
        arr = np.asarray(value)
        if arr.dtype == object:
            raise ValueError(f"{name} must hold integers, got {value!r}")
        if arr.size == 0:
            arr = arr.astype(np.int64)
        t = torch.from_numpy(arr.copy()) if arr.ndim else torch.tensor(arr.item())
    if t.dtype == torch.bool or t.is_floating_point() or t.is_complex():
        raise ValueError(f"{name} must hold integers, got dtype {t.dtype}")
    if t.ndim > 1:
        raise ValueError(f"{name} must be a scalar or 1-D, got shape {tuple(t.shape)}")
    t = t.to(torch.int64).reshape(-1)
    return t if device is None else t.to(device)


def _in_range(name: str, t: torch.Tensor, lo: int, hi: int) -> None:
    """Every value of ``t`` in [lo, hi]."""
    if t.numel() and (int(t.min()) < lo or int(t.max()) > hi):
        bad = t[(t < lo) | (t > hi)][0].item()
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {bad}")


def _seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


# ----------------------------------------------------------------------------- identities

def identity_factors(identity) -> dict:
    """Decode identity numbers into ``{"skin", "shirt", "hair", "item"}`` (int64 tensors)."""
    ident = _ints("identity", identity)
    _in_range("identity", ident, 0, N_IDENTITIES - 1)
    out, rest = {}, ident
    for name in reversed(SPECIFIED):
        out[name] = rest % FACTORS[name]
        rest = rest // FACTORS[name]
    return {name: out[name] for name in SPECIFIED}


def identity_of(skin, shirt, hair, item) -> torch.Tensor:
    """The identity numbers of the given parts (the inverse of :func:`identity_factors`)."""
    parts = {"skin": skin, "shirt": shirt, "hair": hair, "item": item}
    ts = {k: _ints(k, v) for k, v in parts.items()}
    n = max(t.numel() for t in ts.values())
    code = torch.zeros(n, dtype=torch.int64)
    for name in SPECIFIED:
        t = ts[name]
        if t.numel() not in (1, n):
            raise ValueError(f"{name} has {t.numel()} values but another part has {n}")
        _in_range(name, t, 0, FACTORS[name] - 1)
        code = code * FACTORS[name] + t
    return code


def split_identities(seed: int = 0, test_fraction: float = 0.2):
    """``(train_ids, test_ids)``: a random partition of all identities (sorted int64 tensors)."""
    seed = _seed(seed)
    if not isinstance(test_fraction, (int, float)) or not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be a number strictly between 0 and 1, got {test_fraction!r}")
    n_test = int(round(N_IDENTITIES * test_fraction))
    if not 1 <= n_test <= N_IDENTITIES - 1:
        raise ValueError(f"test_fraction {test_fraction} leaves one side of the split empty")
    perm = np.random.default_rng([seed, 7]).permutation(N_IDENTITIES)
    test = torch.from_numpy(np.sort(perm[:n_test]))
    train = torch.from_numpy(np.sort(perm[n_test:]))
    return train, test


# ----------------------------------------------------------------------------- drawing

def _cov(sd: torch.Tensor) -> torch.Tensor:
    """Anti-aliased coverage of a shape from its signed distance (pixels, negative inside)."""
    return (0.5 - sd).clamp(0.0, 1.0)


def _circle(U, Y, cu, cy, r):
    return _sqrt((U - cu) ** 2 + (Y - cy) ** 2) - r


def _ellipse(U, Y, cu, cy, a, b):
    return (_sqrt(((U - cu) / a) ** 2 + ((Y - cy) / b) ** 2) - 1.0) * min(a, b)


def _capsule(U, Y, u0, y0, u1, y1, r):
    """Distance to the segment (u0, y0)–(u1, y1), minus r."""
    du, dy = u1 - u0, y1 - y0
    t = (((U - u0) * du + (Y - y0) * dy) / (du * du + dy * dy + 1e-12)).clamp(0.0, 1.0)
    return _sqrt((U - u0 - t * du) ** 2 + (Y - y0 - t * dy) ** 2) - r


def _box(U, Y, cu, cy, hu, hy, r=0.0):
    """Axis-aligned box of half-sizes (hu, hy), corners rounded by r."""
    qu = (U - cu).abs() - (hu - r)
    qy = (Y - cy).abs() - (hy - r)
    outside = _sqrt(qu.clamp(min=0) ** 2 + qy.clamp(min=0) ** 2)
    return outside + torch.maximum(qu, qy).clamp(max=0) - r


def _triangle(U, Y, a, b, c):
    """Convex triangle (vertices (u, y)) as the intersection of its three half-planes."""
    cu, cy = (a[0] + b[0] + c[0]) / 3, (a[1] + b[1] + c[1]) / 3
    sd = None
    for (u0, y0), (u1, y1) in ((a, b), (b, c), (c, a)):
        nu, ny = y1 - y0, -(u1 - u0)
        norm = math.hypot(nu, ny)
        nu, ny = nu / norm, ny / norm
        if nu * (cu - u0) + ny * (cy - y0) > 0:          # make the normal point outwards
            nu, ny = -nu, -ny
        d = nu * (U - u0) + ny * (Y - y0)
        sd = d if sd is None else torch.maximum(sd, d)
    return sd


class _Layers:
    """Flat-coloured layers, back to front, over G geometries; flattened into the linear form."""

    def __init__(self, g: int):
        self.g = g
        self.items = []

    def add(self, coverage, role, gate=None, shade: float = 1.0):
        """``role``: "skin", "shirt", an RGB triple, or a (G, 3) tensor of colours;
        ``gate`` (G,) bool: the geometries that have this part."""
        cov = coverage.expand(self.g, -1, -1)
        if gate is not None:
            cov = cov * gate.to(cov.dtype)[:, None, None]
        self.items.append((cov, role, shade))

    def flatten(self):
        """(F (G, 3, H, W), W_skin (G, H, W), W_shirt (G, H, W)), background black."""
        cov0 = self.items[0][0]
        vis = torch.ones_like(cov0)
        fixed = torch.zeros(self.g, 3, *cov0.shape[1:], dtype=cov0.dtype)
        w = {"skin": torch.zeros_like(cov0), "shirt": torch.zeros_like(cov0)}
        for cov, role, shade in reversed(self.items):    # front to back: what is still visible
            seen = cov * vis
            if isinstance(role, str):
                w[role] += shade * seen
            else:
                rgb = torch.as_tensor(role, dtype=cov.dtype).reshape(-1, 3)
                fixed += (shade * rgb)[:, :, None, None] * seen[:, None]
            vis = vis * (1.0 - cov)
        return fixed, w["skin"], w["shirt"]


def _draw(view: str, pose, hair, item):
    """Draw the geometries (pose, hair, item) (each (G,) int) facing ``view`` ("front" or
    "left"); returns the linear form of :meth:`_Layers.flatten`, float64."""
    g = pose.numel()
    dt = torch.float64
    col = torch.arange(SIZE, dtype=dt) + 0.5
    U = (col - SIZE / 2)[None, None, :]                   # horizontal, from the character's axis
    Y = col[None, :, None]                                # vertical, down
    phase = 2 * math.pi * pose.to(dt)[:, None, None] / N_POSES
    s, c = torch.sin(phase), torch.cos(phase)             # swing, and which leg is moving forward
    lift = 3.0 * c.clamp(min=0), 3.0 * (-c).clamp(min=0)  # the swinging foot is raised
    hair_rgb = _HAIR_RGB[hair]
    L = _Layers(g)
    has = lambda k: hair == k                             # noqa: E731
    holds = lambda k: item == k                           # noqa: E731

    if view == "left":                                    # facing -u (the viewer's left)
        leg = 0.5 * s                                     # near-leg angle, forward when > 0
        arm = -0.8 * leg

        def limb_end(u0, y0, ang, length):
            return u0 - length * torch.sin(ang), y0 + length * torch.cos(ang)

        # far arm and far leg, shaded
        hu, hy = limb_end(0.0, 28.0, -arm, 10.0)
        su, sy = limb_end(0.0, 28.0, -arm, 4.5)
        L.add(_cov(_capsule(U, Y, 0.0, 28.0, hu, hy, 2.0)), "skin", shade=_SHADE)
        L.add(_cov(_circle(U, Y, hu, hy, 2.3)), "skin", shade=_SHADE)
        L.add(_cov(_capsule(U, Y, 0.0, 28.0, su, sy, 2.6)), "shirt", shade=_SHADE)
        for ang, shade, up in ((-leg, _SHADE, lift[1]), (leg, 1.0, lift[0])):
            fu, fy = limb_end(0.0, 42.0, ang, 12.0)
            fy = fy - up
            L.add(_cov(_capsule(U, Y, 0.0, 42.0, fu, fy, 2.7)), _PANTS, shade=shade)
            L.add(_cov(_capsule(U, Y, fu, fy + 0.6, fu - 3.0, fy + 0.6, 1.8)), _SHOES, shade=shade)
        L.add(_cov(_box(U, Y, 0.0, 41.5, 4.2, 1.8)), _PANTS)
        # long hair and ponytail hang behind the head
        L.add(_cov(_box(U, Y, 4.6, 26.0, 3.4, 8.0, 2.0)), hair_rgb, gate=has(1))
        L.add(_cov(torch.minimum(_circle(U, Y, 7.6, 18.5, 2.6),
                                 _capsule(U, Y, 8.4, 19.5, 9.6, 28.0, 1.8))), hair_rgb, gate=has(3))
        L.add(_cov(_box(U, Y, 0.0, 33.0, 4.6, 6.5, 2.0)), "shirt")
        L.add(_cov(_box(U, Y, 0.0, 39.2, 4.8, 0.9)), _BELT)
        L.add(_cov(_circle(U, Y, -0.5, 20.0, 7.0)), "skin")
        L.add(_cov(_circle(U, Y, -7.2, 21.4, 1.4)), "skin")                  # nose
        L.add(_cov(_circle(U, Y, -4.4, 19.6, 1.0)), _EYE)
        head = _circle(U, Y, -0.5, 20.0, 7.8)
        cap = torch.minimum(torch.maximum(head, Y - 17.0),
                            torch.maximum(torch.maximum(head, 1.0 - U), Y - 23.5))
        L.add(_cov(cap), hair_rgb)
        spikes = torch.minimum(torch.minimum(
            _triangle(U, Y, (-6.0, 15.0), (-1.5, 13.0), (-2.5, 7.5)),
            _triangle(U, Y, (-2.0, 13.5), (3.0, 13.5), (2.5, 6.5))),
            _triangle(U, Y, (2.0, 14.0), (6.5, 16.0), (8.0, 9.5)))
        L.add(_cov(spikes), hair_rgb, gate=has(2))
        L.add(_cov(_circle(U, Y, 1.5, 11.5, 3.3)), hair_rgb, gate=has(4))
        # near arm and what it holds
        hu, hy = limb_end(0.0, 28.0, arm, 10.0)
        su, sy = limb_end(0.0, 28.0, arm, 4.5)
        L.add(_cov(_capsule(U, Y, 0.0, 28.0, hu, hy, 2.0)), "skin")
        L.add(_cov(_capsule(U, Y, 0.0, 28.0, su, sy, 2.6)), "shirt")
        blade = (-math.sin(math.radians(40)), -math.cos(math.radians(40)))
        shield = lambda: (_ellipse(U, Y, hu - 2.0, hy - 1.0, 2.6, 6.5),      # noqa: E731
                          _ellipse(U, Y, hu - 2.0, hy - 1.0, 1.6, 5.3))
    elif view == "front":
        for side, up, fwd in ((-1.0, lift[0], s), (1.0, lift[1], -s)):
            fu, fy = 3.3 * side, 54.0 - up + 1.2 * fwd       # a leg in front reaches lower
            L.add(_cov(_capsule(U, Y, 3.3 * side, 42.0, fu, fy, 2.7)), _PANTS)
            L.add(_cov(_ellipse(U, Y, fu + 0.4 * side, fy + 1.2, 2.9, 1.7)), _SHOES)
        L.add(_cov(_box(U, Y, 0.0, 41.5, 6.5, 1.8)), _PANTS)
        L.add(_cov(_box(U, Y, 0.0, 33.0, 7.2, 6.5, 2.5)), "shirt")
        L.add(_cov(_box(U, Y, 0.0, 39.2, 7.4, 0.9)), _BELT)
        hands = {}
        for side, fwd in ((-1.0, (-s).clamp(min=0)), (1.0, s.clamp(min=0))):
            hu, hy = 9.6 * side, 37.8 - 2.0 * fwd
            su, sy = 7.3 * side + 0.45 * (hu - 7.3 * side), 27.8 + 0.45 * (hy - 27.8)
            L.add(_cov(_capsule(U, Y, 7.3 * side, 27.8, hu, hy, 2.0)), "skin")
            L.add(_cov(_capsule(U, Y, 7.3 * side, 27.8, su, sy, 2.6)), "shirt")
            hands[side] = (hu, hy)
        L.add(_cov(torch.minimum(_box(U, Y, -6.6, 25.0, 2.4, 8.0, 1.5),
                                 _box(U, Y, 6.6, 25.0, 2.4, 8.0, 1.5))), hair_rgb, gate=has(1))
        L.add(_cov(_circle(U, Y, 0.0, 20.0, 7.0)), "skin")
        L.add(_cov(torch.minimum(_circle(U, Y, -2.6, 20.6, 1.0), _circle(U, Y, 2.6, 20.6, 1.0))), _EYE)
        head = _circle(U, Y, 0.0, 20.0, 7.8)
        cap = torch.minimum(torch.maximum(head, Y - 16.5),
                            torch.maximum(torch.maximum(head, 5.6 - U.abs()), Y - 21.5))
        L.add(_cov(cap), hair_rgb)
        spikes = torch.minimum(torch.minimum(
            _triangle(U, Y, (-7.0, 15.0), (-2.0, 13.0), (-5.0, 8.5)),
            _triangle(U, Y, (-2.5, 13.0), (2.5, 13.0), (0.0, 6.5))),
            _triangle(U, Y, (2.0, 13.0), (7.0, 15.0), (5.0, 8.5)))
        L.add(_cov(spikes), hair_rgb, gate=has(2))
        L.add(_cov(_circle(U, Y, 0.0, 11.0, 3.3)), hair_rgb, gate=has(4))
        hu, hy = hands[-1.0]                              # the character's right hand
        blade = (-math.sin(math.radians(15)), -math.cos(math.radians(15)))
        shield = lambda: (_circle(U, Y, hu - 0.5, hy - 1.0, 5.6),            # noqa: E731
                          _circle(U, Y, hu - 0.5, hy - 1.0, 4.4))
    else:
        raise ValueError(f"view must be 'front' or 'left', got {view!r}")

    # held items: sword and staff are gripped (the fist is drawn over them), the shield covers it
    bu, by = blade
    gu, gy = hu + 2.5 * bu, hy + 2.5 * by
    L.add(_cov(_capsule(U, Y, gu, gy, hu + 16.0 * bu, hy + 16.0 * by, 1.1)), _STEEL, gate=holds(1))
    L.add(_cov(_capsule(U, Y, gu - 3.0 * by, gy + 3.0 * bu, gu + 3.0 * by, gy - 3.0 * bu, 0.9)),
          _GOLD, gate=holds(1))
    L.add(_cov(_capsule(U, Y, hu - 1.5 * bu, hy - 1.5 * by, gu, gy, 0.9)), _WOOD, gate=holds(1))
    L.add(_cov(_capsule(U, Y, hu, hy + 9.0, hu, hy - 19.0, 1.15)), _WOOD, gate=holds(3))
    L.add(_cov(_circle(U, Y, hu, hy - 21.5, 2.6)), _ORB, gate=holds(3))
    L.add(_cov(_circle(U, Y, hu, hy, 2.3)), "skin")
    rim, face = shield()
    L.add(_cov(rim), _GOLD, gate=holds(2))
    L.add(_cov(face), _SHIELD, gate=holds(2))
    L.add(_cov(_circle(U, Y, hu - (2.0 if view == "left" else 0.5), hy - 1.0, 1.2)), _GOLD, gate=holds(2))
    return L.flatten()


@lru_cache(maxsize=1)
def _geometries_cpu():
    """The linear form of the G = 6·3·5·4 geometries in the order (pose, direction, hair, item),
    cropped to the box ``(r0, c0, h, w)`` outside which every geometry is background:
    ``(F (G, 3, h·w), W_skin (G, h·w), W_shirt (G, h·w), box)``, float32."""
    p, h, i = torch.meshgrid(torch.arange(N_POSES), torch.arange(FACTORS["hair"]),
                             torch.arange(FACTORS["item"]), indexing="ij")
    p, h, i = p.reshape(-1), h.reshape(-1), i.reshape(-1)
    front = _draw("front", p, h, i)
    left = _draw("left", p, h, i)
    right = tuple(a.flip(-1) for a in left)               # the exact mirror image
    shape = (N_POSES, FACTORS["hair"], FACTORS["item"])
    full = []
    for views in zip(front, left, right):                 # F, then W_skin, then W_shirt
        v = torch.stack([a.reshape(*shape, *a.shape[1:]) for a in views], dim=1)
        full.append(v.reshape(-1, *v.shape[4:]).to(torch.float32))
    used = ((full[0].abs().sum(1) + full[1] + full[2]) > 0).any(0)
    rows, cols = used.any(1).nonzero().ravel(), used.any(0).nonzero().ravel()
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    if min(r0, c0) < MAX_SHIFT or max(r1, c1) > SIZE - MAX_SHIFT:
        raise RuntimeError(f"the sprites reach rows {r0}..{r1 - 1}, columns {c0}..{c1 - 1}: closer to "
                           f"the border than the largest shift {MAX_SHIFT}")
    crop = [a[..., r0:r1, c0:c1].reshape(*a.shape[:-2], -1).contiguous() for a in full]
    return (*crop, (r0, c0, r1 - r0, c1 - c0))


_DEVICE_CACHE: dict = {}


def _geometries(device):
    """:func:`_geometries_cpu` on ``device``, plus the (9·9, h·w) table of the output pixel that
    each box pixel lands on, for each shift (dy, dx)."""
    device = torch.device(device)
    if device not in _DEVICE_CACHE:
        fixed, w_skin, w_shirt, (r0, c0, h, w) = _geometries_cpu()
        rr, cc = torch.arange(h)[:, None] + r0, torch.arange(w)[None, :] + c0
        dest = torch.stack([((rr + dy) * SIZE + (cc + dx)).reshape(-1) for dy in SHIFTS for dx in SHIFTS])
        _DEVICE_CACHE[device] = tuple(a.to(device) for a in (fixed, w_skin, w_shirt, dest))
    return _DEVICE_CACHE[device]


def render(identity, pose, direction, dx=0, dy=0) -> torch.Tensor:
    """Sprites (N, 3, 64, 64) float32 in [0, 1] of the given factors.

    ``identity`` (N,) sets N; ``pose``, ``direction``, ``dx``, ``dy`` are (N,) or scalars (shared).
    The result is on ``identity``'s device when it is a tensor, else on the CPU."""
    device = identity.device if isinstance(identity, torch.Tensor) else torch.device("cpu")
    ident = _ints("identity", identity, device)
    n = ident.numel()
    if n == 0:
        raise ValueError("identity must hold at least one identity")
    _in_range("identity", ident, 0, N_IDENTITIES - 1)
    given = {"pose": pose, "direction": direction, "dx": dx, "dy": dy}
    lims = {"pose": (0, N_POSES - 1), "direction": (0, len(DIRECTIONS) - 1),
            "dx": (-MAX_SHIFT, MAX_SHIFT), "dy": (-MAX_SHIFT, MAX_SHIFT)}
    f = {}
    for name, value in given.items():
        t = _ints(name, value, device)
        if t.numel() not in (1, n):
            raise ValueError(f"{name} has {t.numel()} values but identity has {n}")
        _in_range(name, t, *lims[name])
        f[name] = t.expand(n)
    parts = identity_factors(ident)
    geo = ((f["pose"] * len(DIRECTIONS) + f["direction"]) * FACTORS["hair"] + parts["hair"]) \
        * FACTORS["item"] + parts["item"]
    shift = (f["dy"] + MAX_SHIFT) * len(SHIFTS) + (f["dx"] + MAX_SHIFT)
    fixed, w_skin, w_shirt, dest = _geometries(device)
    skin = _SKIN_RGB.to(device)[parts["skin"]]
    shirt = _SHIRT_RGB.to(device)[parts["shirt"]]
    out = torch.zeros(n, 3, SIZE * SIZE, dtype=torch.float32, device=device)   # black background
    chunk = 1024
    for a in range(0, n, chunk):
        g, b = geo[a:a + chunk], slice(a, a + chunk)
        box = fixed[g]                                    # element-wise only: exact, batch-independent
        box.addcmul_(w_skin[g][:, None], skin[b, :, None]).addcmul_(w_shirt[g][:, None], shirt[b, :, None])
        out[b].scatter_(2, dest[shift[b]][:, None, :].expand(-1, 3, -1), box.clamp_(0.0, 1.0))
    return out.view(n, 3, SIZE, SIZE)


# ----------------------------------------------------------------------------- data sets

def _identity_pool(identities) -> torch.Tensor:
    if identities is None:
        return torch.arange(N_IDENTITIES)
    pool = _ints("identities", identities, "cpu")
    if pool.numel() == 0:
        raise ValueError("identities must name at least one identity")
    _in_range("identities", pool, 0, N_IDENTITIES - 1)
    return pool


def _draw_factors(n: int, seed: int, stream: int) -> dict:
    """The unspecified factors of n sprites; each from its own stream, so prefix-stable in n."""
    out = {}
    highs = {"pose": N_POSES, "direction": len(DIRECTIONS), "dx": len(SHIFTS), "dy": len(SHIFTS)}
    for k, name in enumerate(UNSPECIFIED):
        v = np.random.default_rng([seed, stream, k]).integers(0, highs[name], n)
        out[name] = torch.from_numpy(v) - (MAX_SHIFT if name in ("dx", "dy") else 0)
    return out


def _draw_identities(n: int, seed: int, stream: int, identities) -> torch.Tensor:
    pool = _identity_pool(identities)
    pick = np.random.default_rng([seed, stream, 99]).integers(0, pool.numel(), n)
    return pool[torch.from_numpy(pick)]


def make(n: int, seed: int = 0, identities=None, device="cpu") -> dict:
    """n sprites with every factor drawn uniformly: ``{"x" (N, 3, 64, 64), "identity", "pose",
    "direction", "dx", "dy"}``. ``identities`` restricts the identities drawn (e.g. one side of
    :func:`split_identities`)."""
    n, seed = _count("n", n), _seed(seed)
    ident = _draw_identities(n, seed, 0, identities)
    f = _draw_factors(n, seed, 1)
    out = {"identity": ident, **f}
    out = {k: v.to(device) for k, v in out.items()}
    return {"x": render(out["identity"], out["pose"], out["direction"], out["dx"], out["dy"]), **out}


def pairs(n: int, seed: int = 0, identities=None, device="cpu") -> dict:
    """n pairs of sprites of the same identity with independently drawn unspecified factors:
    ``{"x1", "x2", "identity", "pose1", "direction1", "dx1", "dy1", "pose2", …, "dy2"}`` — the
    weak supervision of the cycle-consistent VAE."""
    n, seed = _count("n", n), _seed(seed)
    ident = _draw_identities(n, seed, 10, identities).to(device)
    out = {"identity": ident}
    for j, stream in (("1", 11), ("2", 12)):
        f = {k: v.to(device) for k, v in _draw_factors(n, seed, stream).items()}
        out["x" + j] = render(ident, f["pose"], f["direction"], f["dx"], f["dy"])
        out.update({k + j: v for k, v in f.items()})
    return {"x1": out.pop("x1"), "x2": out.pop("x2"), **out}


class ToySprites(torch.utils.data.Dataset):
    """A fixed set of toy sprites (``paired=False``: :func:`make`) or pairs (:func:`pairs`);
    items are dicts of the per-sprite entries."""

    def __init__(self, n: int, seed: int = 0, identities=None, paired: bool = False, device="cpu"):
        self.data = (pairs if paired else make)(n, seed, identities, device=device)

    def __len__(self) -> int:
        return len(self.data["identity"])

    def __getitem__(self, i):
        return {k: v[i] for k, v in self.data.items()}


from .reed_sprites import load_reed  # noqa: E402,F401  (the real data's loader, re-exported)
