"""The cycle-VAE chapter's sprite experiment on Reed et al.'s 2D Sprites (``-p sprites reed``), on files written
here in Reed's format: the data split (pairs of one character, probe frames held out) and the whole page on
its smoke profile, as a reader with the real files runs it."""
import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch

from vaelab import REPO
from vaelab.chapters import cycle_vae as cv
from vaelab.chapters.cycle_vae.reed import reed_data
from notebook_text import output_text

CHARACTERS = (4, 7, 10, 13)   # Reed's character numbers (sprites_<k>.mat); trainidx lists them
FRAMES = 10                   # frames in each of the 20 action x viewpoint cells (+ a 21st, dropped)


def _write_reed(folder, characters=CHARACTERS, frames=FRAMES):
    """Reed's files: each frame is one flat colour that encodes (character, animation, frame) so that a
    loaded image tells where it came from."""
    from scipy.io import savemat

    folder.mkdir(parents=True)
    savemat(folder / "sprites_splits.mat", {"trainidx": np.array([[k + 1.0 for k in characters]]),  # 1-based
                                            "validx": np.array([[1.0]]), "testidx": np.array([[2.0]])})
    for k in characters:
        cells, masks = np.empty((1, 21), dtype=object), np.empty((1, 21), dtype=object)
        for a in range(21):
            cols = np.arange(frames) + 10 * a + 7 * k            # the red channel encodes the frame
            img = np.zeros((3, 3600, frames), dtype=np.uint8)
            img[0], img[1], img[2] = cols % 256, 10 * k, a
            cells[0, a] = img.reshape(10800, frames)
            masks[0, a] = np.ones((3600, frames), dtype=np.uint8)
        savemat(folder / f"sprites_{k}.mat", {"sprites": cells, "masks": masks,
                                              "labels": np.array([[0, 1, k % 3, 0, 0, 0, 0]], dtype=np.float64)})


def _source(x):
    """(character, animation) of each image written by _write_reed, read back from its centre pixel."""
    px = torch.round(x[:, :, 32, 32] * 255).long()
    return px[:, 1] // 10, px[:, 2]


@pytest.fixture(scope="module")
def reed_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("reed_root")
    _write_reed(root / "sprites")
    (root / "mnist").symlink_to(REPO / "data" / "mnist", target_is_directory=True)
    return root


def test_reed_data_pairs_one_character_and_holds_probe_frames_out(reed_root):
    prof = replace(cv.PROFILES["smoke"], probe_train=300, probe_test=200, sprite_pairs=250)
    d = reed_data(prof, reed_root)
    n = len(CHARACTERS) * 20 * FRAMES                          # the 21st cell is dropped
    assert d["n_classes"] == len(CHARACTERS) and d["characters"].tolist() == sorted(CHARACTERS)
    assert len(d["probe_test"]["x"]) == 200 and len(d["probe_train"]["x"]) == 300
    assert len(d["train"]["x1"]) == min(250, n - 500)
    c1, a1 = _source(d["train"]["x1"])
    c2, _ = _source(d["train"]["x2"])
    assert torch.equal(c1, c2) and (a1 < 20).all()             # partners are the same character
    assert not torch.equal(d["train"]["x1"], d["train"]["x2"])
    for part in ("probe_train", "probe_test"):
        c, _ = _source(d[part]["x"])
        assert torch.equal(d["characters"][d[part]["y"]], c)     # labels number the characters
    flat = {split: {tuple(v.tolist()) for v in d[split]["x"][:, :, 32, 32]} for split in ("probe_train", "probe_test")}
    pool = {tuple(v.tolist()) for v in d["train"]["x1"][:, :, 32, 32]}
    assert not flat["probe_test"] & flat["probe_train"] and not flat["probe_test"] & pool   # frames held out
    assert d["probe_test"]["view"].tolist() == (_source(d["probe_test"]["x"])[1] % 4).tolist()


def test_reed_data_says_when_the_probes_take_every_frame(reed_root):
    prof = replace(cv.PROFILES["smoke"], probe_train=700, probe_test=100)
    with pytest.raises(ValueError, match="has 800 frames.*probe_test=100 and probe_train=700"):
        reed_data(prof, reed_root)
    with pytest.raises(ValueError, match="sprites must be one of toysprites, reed, got 'reeds'"):
        cv.load_data(("sprites",), prof, reed_root, "reeds")


def test_cycle_chapter_runs_on_reed_sprites(reed_root, tmp_path):
    out = tmp_path / "cycle_vae.ipynb"
    cmd = [sys.executable, "-m", "papermill", "--cwd", str(REPO / "book"), str(REPO / "book" / "cycle_vae.ipynb"),
           str(out), "-p", "profile", "smoke", "-p", "train", "True", "-p", "sprites", "reed",
           "-p", "data_root", str(reed_root), "-y", "seeds: [0]", "--no-progress-bar"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cells = json.loads(out.read_text())["cells"]
    text = output_text(cells)
    assert "2D Sprites 512/64 (ours)" in text and "2D Sprites 512/64 (paper)" in text
    assert "ToySprites" not in text
    weights = REPO / "weights" / "cycle_vae"
    assert not list(weights.glob("reed-*")), "a smoke run must not write weights"
