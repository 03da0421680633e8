"""The toy 2D sprites (known factors: identity = skin × shirt × hair × item; pose, direction, shift)
and the loader of Reed et al.'s real 2D Sprites, on a small file written here in Reed's layout."""
import numpy as np
import pytest
import torch

from vaelab.data import sprites as S
from vaelab.data.mnist import DataError

FRONT, LEFT, RIGHT = (S.DIRECTIONS.index(d) for d in ("front", "left", "right"))


@pytest.fixture(scope="module")
def all_front():
    """Every identity at pose 0, facing front, unshifted: (5, 5, 5, 4, 3, 64, 64)."""
    x = S.render(torch.arange(S.N_IDENTITIES), 0, FRONT)
    return x.view(*(S.FACTORS[f] for f in S.SPECIFIED), 3, 64, 64)


def test_factors_and_identity_codes():
    assert S.N_IDENTITIES == 500 >= 100
    assert S.FACTORS == {"skin": 5, "shirt": 5, "hair": 5, "item": 4,
                         "pose": 6, "direction": 3, "dx": 9, "dy": 9}
    ids = torch.arange(S.N_IDENTITIES)
    parts = S.identity_factors(ids)
    assert list(parts) == ["skin", "shirt", "hair", "item"]
    for name, v in parts.items():
        assert v.min() == 0 and v.max() == S.FACTORS[name] - 1
    assert torch.equal(S.identity_of(**parts), ids)
    # identity 123 = ((skin·5 + shirt)·5 + hair)·4 + item, worked by hand: 123 = ((1·5 + 1)·5 + 0)·4 + 3
    one = S.identity_factors(torch.tensor([123]))
    assert [int(one[k]) for k in S.SPECIFIED] == [1, 1, 0, 3]


def test_same_seed_same_bytes_and_prefix():
    a, b, c = S.make(48, seed=5), S.make(48, seed=5), S.make(48, seed=6)
    assert set(a) == {"x", "identity", "pose", "direction", "dx", "dy"}
    assert a["x"].shape == (48, 3, 64, 64) and a["x"].dtype == torch.float32
    assert a["x"].numpy().tobytes() == b["x"].numpy().tobytes()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["x"], c["x"]) and not torch.equal(a["identity"], c["identity"])
    short = S.make(10, seed=5)                            # sprite i depends on (seed, i) only
    assert all(torch.equal(short[k], a[k][:10]) for k in a)
    x = a["x"]
    assert 0 <= x.min() and x.max() <= 1 and (x[:, :, 0, 0] == 0).all()      # black background
    # the drawn factors are the ones reported: rendering them again gives the same bytes
    again = S.render(a["identity"], a["pose"], a["direction"], a["dx"], a["dy"])
    assert torch.equal(again, x)
    for name in S.UNSPECIFIED:
        vals = S.make(2000, seed=1)[name]
        lo, hi = (-S.MAX_SHIFT, S.MAX_SHIFT) if name in ("dx", "dy") else (0, S.FACTORS[name] - 1)
        assert vals.min() == lo and vals.max() == hi   # the whole range is drawn


def test_pairs_share_identity_and_differ_in_the_rest():
    p = S.pairs(300, seed=2)
    assert p["x1"].shape == p["x2"].shape == (300, 3, 64, 64)
    for j in "12":                                        # each image is its identity at its own factors
        f = [p[k + j] for k in S.UNSPECIFIED]
        assert torch.equal(p["x" + j], S.render(p["identity"], *f))
    same = torch.ones(300, dtype=torch.bool)
    for name in S.UNSPECIFIED:
        differs = p[name + "1"] != p[name + "2"]
        assert differs.float().mean() > 0.5               # drawn independently of each other
        same &= ~differs
    assert same.sum() <= 3                                # 1 in 6·3·9·9 by chance
    assert (p["x1"] != p["x2"]).flatten(1).any(1).float().mean() > 0.98
    train, test = S.split_identities(seed=0)
    q = S.pairs(200, seed=3, identities=test)
    assert torch.isin(q["identity"], test).all()
    ds = S.ToySprites(5, seed=1, paired=True)
    assert len(ds) == 5 and ds[2]["x1"].shape == (3, 64, 64) and ds[2]["identity"] == ds.data["identity"][2]


def test_direction_mirrors_the_character():
    ids = torch.tensor([0, 77, 123, 256, 499])
    for pose in range(S.N_POSES):
        for dx in (-3, 0, 2):
            left = S.render(ids, pose, LEFT, dx, 1)
            right = S.render(ids, pose, RIGHT, dx, 1)
            # the mirror about the character's axis (column 32 + dx): flip the image, which puts the
            # axis at 32 − dx, then move it back by 2·dx
            assert torch.equal(right, torch.roll(left.flip(-1), 2 * dx, dims=-1))
            assert torch.equal(right, S.render(ids, pose, LEFT, -dx, 1).flip(-1))
            assert not torch.equal(left, right)
            assert not torch.equal(S.render(ids, pose, FRONT, dx, 1), left)


def test_shifts_move_every_pixel_exactly():
    ids = torch.tensor([3, 141, 402])
    base = S.render(ids, 2, LEFT, 0, 0)
    for dx, dy in [(-4, 0), (1, 0), (4, 0), (0, -4), (0, 3), (-2, 4)]:
        moved = S.render(ids, 2, LEFT, dx, dy)
        rolled = torch.roll(base, (dy, dx), dims=(-2, -1))
        assert torch.equal(moved[..., 8:56, 8:56], rolled[..., 8:56, 8:56])     # away from the borders
        assert torch.equal(moved, rolled)                 # and everywhere: the border is background


def test_poses_move_the_limbs_only():
    ident = torch.full((6,), 208)                         # holding nothing
    assert S.identity_factors(ident[:1])["item"] == 0
    for direction in (FRONT, LEFT, RIGHT):
        x = S.render(ident, torch.arange(6), direction)
        for a in range(6):                                # every frame of the walk cycle is its own
            for b in range(a + 1, 6):
                assert ((x[a] - x[b]).abs().amax(0) > 0.1).sum() >= 10, (direction, a, b)
        head = x[:, :, :24]                               # the head does not bob
        assert (head == head[:1]).all()


def test_every_identity_gives_a_distinct_image(all_front):
    flat = all_front.reshape(S.N_IDENTITIES, -1)
    assert torch.unique(flat, dim=0).shape[0] == S.N_IDENTITIES
    # visibly so: changing any single part of the identity changes many pixels, in every direction
    for direction in (FRONT, LEFT, RIGHT):
        x = all_front if direction == FRONT else S.render(torch.arange(S.N_IDENTITIES), 0, direction) \
            .view(*(S.FACTORS[f] for f in S.SPECIFIED), 3, 64, 64)
        for axis, name in enumerate(S.SPECIFIED):
            k = S.FACTORS[name]
            for a in range(k):
                for b in range(a + 1, k):
                    da, db = x.select(axis, a), x.select(axis, b)
                    changed = ((da - db).abs().amax(-3) > 0.1).flatten(-2).sum(-1)
                    assert changed.min() >= 12, (direction, name, a, b, int(changed.min()))


def test_split_identities():
    train, test = S.split_identities(seed=0)
    assert len(test) == 100 and len(train) == 400
    assert not torch.isin(train, test).any()
    assert torch.equal(torch.sort(torch.cat([train, test])).values, torch.arange(S.N_IDENTITIES))
    again, other = S.split_identities(seed=0), S.split_identities(seed=1)
    assert torch.equal(again[1], test) and not torch.equal(other[1], test)
    assert len(S.split_identities(test_fraction=0.5)[1]) == 250
    d = S.make(300, seed=4, identities=train)
    assert torch.isin(d["identity"], train).all()


@pytest.mark.parametrize("call, message", [
    (lambda: S.make(0), "n must be a positive integer"),
    (lambda: S.pairs(-2), "n must be a positive integer"),
    (lambda: S.make(3, seed=-1), "seed must be a non-negative integer"),
    (lambda: S.make(3, identities=[]), "identities must name at least one"),
    (lambda: S.make(3, identities=[0, 600]), r"identities must be in \[0, 499\], got 600"),
    (lambda: S.identity_factors(torch.tensor([-1])), r"identity must be in \[0, 499\], got -1"),
    (lambda: S.render([500], 0, 0), r"identity must be in \[0, 499\], got 500"),
    (lambda: S.render([0.5], 0, 0), "identity must hold integers"),
    (lambda: S.render([0], 6, 0), r"pose must be in \[0, 5\], got 6"),
    (lambda: S.render([0], 0, 3), r"direction must be in \[0, 2\], got 3"),
    (lambda: S.render([0], 0, 0, dx=5), r"dx must be in \[-4, 4\], got 5"),
    (lambda: S.render([0], 0, 0, dy=-7), r"dy must be in \[-4, 4\], got -7"),
    (lambda: S.render([0, 1], [0, 1, 2], 0), "pose has 3 values but identity has 2"),
    (lambda: S.identity_of(skin=5, shirt=0, hair=0, item=0), r"skin must be in \[0, 4\]"),
    (lambda: S.split_identities(test_fraction=1.0), "test_fraction must be"),
    (lambda: S.load_reed(".", split="val"), "split must be one of train, valid, test"),
    (lambda: S.load_reed(".", pad_to=32), "pad_to must be"),
])
def test_bad_input_names_the_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------- Reed's files

def _frame(k, a, f):
    """A known 60×60×3 frame, different along rows and columns, as (row, col, channel)."""
    r, c, ch = np.meshgrid(np.arange(60), np.arange(60), np.arange(3), indexing="ij")
    return ((7 * r + 3 * c + 11 * ch + 5 * f + 13 * a + 17 * k) % 256) / 255.0


def _mask(a, f):
    r, c = np.meshgrid(np.arange(60), np.arange(60), indexing="ij")
    return ((r + a) > (c + f)).astype(np.float64)


def _character(k, frames_per_animation):
    """Reed's variables for character k (file sprites_k.mat): 1×A cells of 10800×F and 3600×F
    matrices (one MATLAB column-major column per frame) and 1×7 labels."""
    sprites = np.empty((1, len(frames_per_animation)), dtype=object)
    masks = np.empty((1, len(frames_per_animation)), dtype=object)
    for a, n_frames in enumerate(frames_per_animation):
        sprites[0, a] = np.stack([_frame(k, a, f).reshape(-1, order="F") for f in range(n_frames)], 1)
        masks[0, a] = np.stack([_mask(a, f).reshape(-1, order="F") for f in range(n_frames)], 1)
    labels = np.array([[k % 2, 1, 2, k, 4, 5, k % 3]], dtype=np.float64)
    return {"sprites": sprites, "masks": masks, "labels": labels}


FRAMES = {0: [3, 2], 1: [1], 2: [1] * 21}                  # character k: frames of each animation


@pytest.fixture
def reed_root(tmp_path):
    from scipy.io import savemat
    folder = tmp_path / "data" / "sprites"                  # the archive's layout
    folder.mkdir(parents=True)
    savemat(folder / "sprites_splits.mat", {"trainidx": np.array([[3.0, 1.0]]),
                                            "validx": np.array([[2.0]]), "testidx": np.array([[2.0]])})
    for k, frames in FRAMES.items():
        savemat(folder / f"sprites_{k}.mat", _character(k, frames))
    return tmp_path


def _check_loaded(d, order):
    want_x, want_m, want = [], [], {"identity": [], "animation": [], "frame": []}
    for k in order:
        for a, n_frames in enumerate(FRAMES[k]):
            for f in range(n_frames):
                want_x.append(_frame(k, a, f).transpose(2, 0, 1))
                want_m.append(_mask(a, f)[None])
                for key, v in zip(want, (k, a, f)):
                    want[key].append(v)
    n = len(want_x)
    assert d["x"].shape == (n, 3, 64, 64) and d["x"].dtype == torch.float32
    assert d["mask"].shape == (n, 1, 64, 64)
    np.testing.assert_array_equal(d["x"][:, :, 2:62, 2:62].numpy(), np.stack(want_x).astype(np.float32))
    np.testing.assert_array_equal(d["mask"][:, :, 2:62, 2:62].numpy(), np.stack(want_m).astype(np.float32))
    assert torch.equal(d["x"][:, :, 0, 2:62], d["x"][:, :, 2, 2:62])          # edge pixels repeated
    assert (d["mask"][:, :, :2] == 0).all()
    for key, v in want.items():
        assert d[key].tolist() == v, key
    return want


def test_reed_round_trip(reed_root):
    d = S.load_reed(reed_root, "train")
    want = _check_loaded(d, order=[2, 0])                 # trainidx [3, 1]: 1-based, kept in order
    assert d["attributes"].shape == (len(want["frame"]), 7)
    assert d["attributes"][0].tolist() == [0, 1, 2, 2, 4, 5, 2]                   # character 2's labels
    anim = torch.tensor(want["animation"])
    assert d["action"].tolist() == torch.clamp(anim // 4, max=5).tolist()
    assert d["view"][:21].tolist() == [a % 4 for a in range(20)] + [-1]          # the 21st cell
    assert d["action"][5].item() == 1 and d["action"][20].item() == 5
    _check_loaded(S.load_reed(reed_root / "data" / "sprites", "valid"), order=[1])
    _check_loaded(S.load_reed(reed_root / "data", "test"), order=[1])
    native = S.load_reed(reed_root, "train", pad_to=None, characters=1)
    assert native["x"].shape == (21, 3, 60, 60) and (native["identity"] == 2).all()
    np.testing.assert_array_equal(native["x"][4].numpy(), _frame(2, 4, 0).transpose(2, 0, 1).astype(np.float32))


def test_reed_hdf5_round_trip(tmp_path):
    """The MATLAB 7.3 (HDF5) files of the real archive; needs h5py to write and read them."""
    h5py = pytest.importorskip("h5py")
    from scipy.io import savemat
    savemat(tmp_path / "sprites_splits.mat", {"trainidx": np.array([[1.0]]), "validx": np.array([[1.0]]),
                                              "testidx": np.array([[1.0]])})
    var = _character(0, FRAMES[0])
    path = tmp_path / "sprites_0.mat"
    with h5py.File(path, "w", userblock_size=512) as f:
        refs = f.create_group("#refs#")
        for key in ("sprites", "masks"):                  # h5py sees MATLAB arrays transposed
            cells = var[key].ravel()
            ds = f.create_dataset(key, (len(cells), 1), dtype=h5py.ref_dtype)
            for a, m in enumerate(cells):
                ds[a, 0] = refs.create_dataset(f"{key}{a}", data=m.T).ref
        f.create_dataset("labels", data=var["labels"].T)
    with open(path, "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file, written by the vaelab test".ljust(116))
    _check_loaded(S.load_reed(tmp_path), order=[0])


def test_reed_missing_files(tmp_path, reed_root):
    with pytest.raises(DataError, match=r"nowhere.*not a folder.*sprites_splits\.mat"):
        S.load_reed(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"no sprites_splits\.mat in .*empty.*sprites_<c-1>\.mat"):
        S.load_reed(tmp_path / "empty")
    (reed_root / "data" / "sprites" / "sprites_1.mat").unlink()
    with pytest.raises(DataError, match=r"sprites_1\.mat is missing"):
        S.load_reed(reed_root, "test")


def test_reed_hdf5_without_h5py(tmp_path, reed_root):
    try:
        import h5py  # noqa: F401
        pytest.skip("h5py is installed")
    except ImportError:
        pass
    path = reed_root / "data" / "sprites" / "sprites_1.mat"
    path.write_bytes(b"MATLAB 7.3 MAT-file".ljust(512) + b"\x89HDF\r\n\x1a\n" + bytes(64))
    with pytest.raises(DataError, match=r"sprites_1\.mat is a MATLAB 7\.3 \(HDF5\) file, which needs the h5py"):
        S.load_reed(reed_root, "valid")
