"""ToyFaces: determinism, base rates and co-occurrence, locality of local attributes, partitions."""
import pytest
import torch

from vaelab.data import toyfaces as tf

IDX = {k: i for i, k in enumerate(tf.ATTRIBUTES)}


def test_same_seed_same_bytes_and_index_determinism():
    a = tf.make(40, seed=5)
    b = tf.make(40, seed=5)
    assert torch.equal(a["x"], b["x"]) and torch.equal(a["attrs"], b["attrs"])
    # image i does not depend on how many are drawn or where the batch starts
    c = tf.make(10, seed=5, start=30)
    assert torch.equal(c["x"], a["x"][30:]) and torch.equal(c["attrs"], a["attrs"][30:])
    assert not torch.equal(tf.make(40, seed=6)["x"], a["x"])


def test_base_rates_and_co_occurrence():
    attrs, _ = tf.sample(60_000, seed=0)
    rate = attrs.mean(0)
    for name, want in tf.CELEBA_RATES.items():
        assert abs(float(rate[IDX[name]]) - want) < 0.015, name
    male = attrs[:, IDX["Male"]].bool()
    for name in ("Mustache", "Goatee"):
        assert attrs[male.logical_not(), IDX[name]].sum() == 0  # only with Male
    assert attrs[male.logical_not(), IDX["No_Beard"]].min() == 1
    assert float(attrs[male, IDX["Heavy_Makeup"]].mean()) < 0.01
    assert float(attrs[male, IDX["Wearing_Lipstick"]].mean()) < 0.02
    hair = attrs[:, [IDX[k] for k in ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair")]]
    assert hair.sum(1).max() == 1  # one hair colour at a time


def _toggle(attrs, name):
    out = attrs.clone()
    out[:, IDX[name]] = 1 - out[:, IDX[name]]
    return out


def test_eyeglasses_change_only_the_eye_region():
    attrs, factors = tf.sample(64, seed=2)
    with_g = attrs.clone()
    with_g[:, IDX["Eyeglasses"]] = 1
    without = with_g.clone()
    without[:, IDX["Eyeglasses"]] = 0
    diff = (tf.render(with_g, factors) - tf.render(without, factors)).abs().amax(1)  # (B, H, W)
    region = tf.eye_region(factors)
    assert diff[~region].max() < 1e-6
    assert (diff[region] > 0.2).float().sum() > 64 * 20  # the frames are visible (> 20 px per face)


@pytest.mark.parametrize("name, rows", [("Smiling", (38, 56)), ("Wearing_Lipstick", (38, 56)),
                                        ("Mouth_Slightly_Open", (38, 56)), ("Wearing_Hat", (0, 30))])
def test_local_attributes_stay_local(name, rows):
    attrs, factors = tf.sample(32, seed=4)
    factors = {k: v.clone() for k, v in factors.items()}
    for k in ("dx", "dy", "rotation"):
        factors[k].zero_()
    factors["scale"].fill_(1.0)
    diff = (tf.render(_toggle(attrs, name), factors) - tf.render(attrs, factors)).abs().amax(1)
    outside = torch.ones(64, dtype=torch.bool)
    outside[rows[0]:rows[1]] = False
    assert diff[:, outside].max() < 1e-6, name
    assert diff.amax((1, 2)).min() > 0.1, name  # visible in every image


def test_every_attribute_is_visible():
    attrs, factors = tf.sample(16, seed=1)
    base = tf.render(attrs, factors)
    for name in tf.ATTRIBUTES:
        flipped = _toggle(attrs, name)
        if name == "Goatee":
            flipped[:, IDX["No_Beard"]] = 0
        if name.endswith("_Hair"):  # one colour at a time: switching to it clears the others
            on = flipped[:, IDX[name]] == 1
            for other in ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair"):
                if other != name:
                    flipped[on, IDX[other]] = 0
        changed = (tf.render(flipped, factors) - base).abs().amax((1, 2, 3))
        assert changed.min() > 0.05, name


def test_partitions_follow_celeba_proportions():
    p = tf.partition(torch.arange(202_599), 202_599)
    assert torch.bincount(p).tolist() == [162_770, 19_867, 19_962]
    d = tf.make(50, seed=0)
    assert d["partition"].tolist() == sorted(d["partition"].tolist())


def test_bad_input():
    with pytest.raises(ValueError, match="n must be"):
        tf.sample(0)
    attrs, factors = tf.sample(2)
    with pytest.raises(ValueError, match="attrs must have shape"):
        tf.render(attrs[:, :5], factors)
    with pytest.raises(ValueError, match="width"):
        tf.render(attrs, factors, width=8)


def test_cache_round_trip(tmp_path):
    a = tf.load(12, seed=3, cache_dir=tmp_path, progress=False)
    assert len(list(tmp_path.glob("*.pt"))) == 1
    b = tf.load(12, seed=3, cache_dir=tmp_path, progress=False)
    assert torch.equal(a["x"], b["x"])
    next(tmp_path.glob("*.pt")).write_bytes(b"corrupt")
    c = tf.load(12, seed=3, cache_dir=tmp_path, progress=False)  # regenerated, not trusted
    assert torch.equal(a["x"], c["x"])


def test_celeba_layout_round_trip(tmp_path):
    from vaelab.data.celeba import CelebAFolder

    tf.write_celeba(tmp_path / "celeba", 24, seed=7, progress=False)
    ds = CelebAFolder(tmp_path / "celeba", split="all", size=64, attributes=list(tf.ATTRIBUTES))
    native = tf.make(24, seed=7)
    assert len(ds) == 24 and ds.attr_names == list(tf.ATTRIBUTES)
    for i in range(24):
        img, a = ds[i]
        assert torch.equal(a, native["attrs"][i])
        # JPEG and two Lanczos resamplings: the same picture up to small errors
        assert (img - native["x"][i].float() / 255).abs().mean() < 0.012  # a 1-px shift gives ~0.02
    parts = [CelebAFolder(tmp_path / "celeba", split=s) for s in ("train", "valid", "test")]
    assert sum(len(p) for p in parts) == 24 and len(parts[0]) == int(native["partition"].eq(0).sum())
    names = [set(p.filenames) for p in parts]
    assert not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])  # disjoint
