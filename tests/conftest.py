"""The tests compute on the pages' code paths: the CPU pins (vaelab.cpu), opted in before any test runs."""
import shutil

import pytest

from vaelab import cpu

cpu.pin()


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A scratch ``runs.ROOT`` holding a copy of the committed toy VAE seed 0 (weights/toy_csvae/vae-s0)."""
    from vaelab import REPO, runs

    (tmp_path / "weights" / "toy_csvae").mkdir(parents=True)
    for ext in (".pt", ".json"):
        shutil.copy(REPO / "weights" / "toy_csvae" / f"vae-s0{ext}", tmp_path / "weights" / "toy_csvae")
    monkeypatch.setattr(runs, "ROOT", tmp_path)
    monkeypatch.delenv("VAELAB_OVERWRITE_WEIGHTS", raising=False)
    return tmp_path
