"""Small generated sets (AVB's four points, MNIST on backgrounds, the swiss roll) and Fashion-MNIST."""
import shutil

import numpy as np
import pytest
import torch

from vaelab.data import backgrounds, fashion_mnist, points, swissroll
from vaelab.data.mnist import DataError


def test_four_points():
    x, lab = points.make(4000, seed=1)
    assert x.shape == (4000, 4) and torch.equal(x, torch.nn.functional.one_hot(lab, 4).float())
    assert (torch.bincount(lab, minlength=4).float() / 4000 - 0.25).abs().max() < 0.03
    xn, lab2 = points.make(4000, noise=0.1, seed=1)
    assert torch.equal(lab, lab2) and abs(float((xn - x).std()) - 0.1) < 0.005
    with pytest.raises(ValueError, match="noise"):
        points.make(3, noise=-1)


def test_patterns():
    h, v, c = (backgrounds.pattern(s) for s in ("horizontal", "vertical", "checkerboard"))
    assert h[0].tolist() == [1.0] * 28 and h[1].tolist() == [0.0] * 28
    np.testing.assert_array_equal(v, h.T)
    assert c[0, 0] == 1 and c[0, 1] == 0 and c[1, 0] == 0 and c[1, 1] == 1 and c.mean() == 0.5
    m = backgrounds.pattern("mosaic")
    assert m.shape == (28, 28) and 0 <= m.min() and m.max() <= 1 and m.std() > 0.1
    assert not backgrounds.pattern("blank").any()
    with pytest.raises(ValueError, match="unknown background style 'stripes'"):
        backgrounds.pattern("stripes")


def test_compose_keeps_the_digit():
    d = torch.zeros(1, 1, 28, 28)
    d[0, 0, 10:18, 12:15] = 0.7
    out = backgrounds.compose(d, "checkerboard")
    assert (out[0, 0, 10:18, 12:15] == 0.7).all()
    mask = d[0, 0] == 0
    assert torch.equal(out[0, 0][mask], torch.from_numpy(backgrounds.pattern("checkerboard"))[mask])


def test_mnist_on_backgrounds():
    a = backgrounds.make("test", styles=("horizontal", "mosaic"), seed=0, n=500)
    b = backgrounds.make("test", styles=("horizontal", "mosaic"), seed=0, n=500)
    assert torch.equal(a["x"], b["x"]) and a["x"].shape == (500, 1, 28, 28)
    assert set(a["background"].tolist()) == {0, 1}
    # an image on horizontal stripes shows the stripes wherever the digit is dark
    i = int((a["background"] == 0).nonzero()[0])
    assert a["x"][i, 0, 0].tolist() == [1.0] * 28 and a["x"][i, 0, 1, :5].tolist() == [0.0] * 5


def test_swissroll_labels_follow_the_rule():
    x, y, t = swissroll.make(1000, seed=0)
    assert torch.equal(y[:, 0], (x[:, 0] >= 10).float())
    assert 0.1 < float(y.mean()) < 0.2
    d = swissroll.splits(100, 100, seed=1)
    assert not torch.equal(d["train"]["x"], d["test"]["x"])


def test_fashion_mnist_loader(tmp_path):
    root = next((c for c in fashion_mnist.CANDIDATES if c.is_dir()), None)
    if root is None:
        pytest.skip("Fashion-MNIST files are not beside the repository")
    x, y = fashion_mnist.load("test")
    assert x.shape == (10_000, 1, 28, 28) and torch.bincount(y).tolist() == [1000] * 10
    bad = tmp_path / "fm"
    shutil.copytree(root, bad)
    (bad / "t10k-labels-idx1-ubyte.gz").write_bytes((root / "train-labels-idx1-ubyte.gz").read_bytes())
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz fails its checksum"):
        fashion_mnist.load("test", root=bad)
