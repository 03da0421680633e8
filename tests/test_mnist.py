"""The idx reader on files the test writes, the checksum check, and the committed MNIST."""
import gzip
import hashlib
import struct

import numpy as np
import pytest

from vaelab import REPO
from vaelab.data import mnist
from vaelab.data.mnist import DataError


def write_idx(path, arr, gz=True):
    arr = np.asarray(arr, dtype=np.uint8)
    raw = bytes([0, 0, 0x08, arr.ndim]) + b"".join(struct.pack(">I", s) for s in arr.shape) + arr.tobytes()
    (gzip.open if gz else open)(path, "wb").write(raw)
    return raw


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_round_trip(tmp_path, gz):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    p = tmp_path / ("a.idx.gz" if gz else "a.idx")
    write_idx(p, arr, gz)
    np.testing.assert_array_equal(mnist.read_idx(p), arr)


def test_truncated_and_missing_files_name_the_file(tmp_path):
    p = tmp_path / "t.idx"
    raw = write_idx(p, np.zeros((5, 2, 2)), gz=False)
    p.write_bytes(raw[:-3])
    with pytest.raises(DataError, match="t.idx.*truncated"):
        mnist.read_idx(p)
    with pytest.raises(DataError, match="nothere.gz is missing"):
        mnist.read_idx(tmp_path / "nothere.gz")
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"not a gzip file")
    with pytest.raises(DataError, match="bad.gz"):
        mnist.read_idx(bad)


def _small_mnist(folder, n=7):
    folder.mkdir()
    rng = np.random.default_rng(0)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, n))
    sums = [f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}" for f in sorted(folder.iterdir())]
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n")


def test_checksum_refusal(tmp_path):
    folder = tmp_path / "mnist"
    _small_mnist(folder)
    x, y = mnist.load("test", root=folder)
    assert x.shape == (7, 1, 28, 28) and y.shape == (7,) and 0 <= x.min() and x.max() <= 1
    f = folder / "t10k-labels-idx1-ubyte.gz"
    write_idx(f, np.ones(7))  # same size, other content
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz fails its checksum"):
        mnist.load("test", root=folder)
    f.unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz is missing"):
        mnist.load("test", root=folder)


def test_committed_mnist_matches_shared_sums():
    x, y = mnist.load("test")
    assert x.shape == (10_000, 1, 28, 28)
    assert np.bincount(y.numpy(), minlength=10).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    shared = REPO.parent / "shared" / "data" / "SHA256SUMS"
    if shared.exists():  # the committed files are the shared ones
        want = {l.split()[1].split("/")[-1]: l.split()[0] for l in shared.read_text().splitlines() if "mnist/" in l
                and "fashion" not in l}
        assert want == mnist.read_sums(REPO / "data" / "mnist")


def test_bad_split():
    with pytest.raises(ValueError, match="split"):
        mnist.load("valid")
