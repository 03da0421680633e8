"""Every chapter runs end to end on its smoke profile (CPU, seconds), trained from scratch,
without touching the committed weights."""
import json
import subprocess
import sys

import pytest

from vaelab import REPO
from vaelab.chapters.registry import RUNS, pages
from notebook_text import output_text

#: chapters whose book weights are not committed yet: their page waits in pending/ (see the Makefile), so
#: book/_toc.yml does not list it yet; its smoke profile is tested all the same
PENDING: set = set()
CHAPTERS = pages() + sorted(PENDING)
#: what each chapter's NBVAL_CHECK_OUTPUT cells must mention
EXPECT = {"toy_csvae": ("VAE", "CondVAE", "CondVAE-info", "CSVAE", "CSVAE-noadv", "CSVAE-strongadv"),
          "cycle_vae": ("guessing the most common class", "MNIST 16/16 (ours)", "MNIST 16/16 (paper)",
                        "ToySprites 512/64 (ours)", "no reverse cycle", "swap MSE vs truth"),
          "vae_playground": ("-log 4", "VAE", "AVB", "Conjoint VAE", "Conjoint AVB", "pass 4", "private0 → digit"),
          "datasets": ("Eyeglasses", "four points"),
          "face_edits": ("add glasses", "remove a moustache", "Press et al.", "CSVAE-paper",
                         "ToyFaces' true edit",
                         "no edit (the input)", "MSE to the true edit", "factor drift"),
          "zoo": ("toy_csvae", "cycle_vae/mnist16-s0", "face_judge", "training=False"),
          "acai": ("Mean Distance", "Smoothness", "Baseline AE", "VQ-VAE", "ACAI", "probe % (256)", "LTAE-M",
                   "Cross-aug AE"),
          "celeba_csvae": ("Eyeglasses", "factor targets", "judged success %", "MSE to the true edit",
                           "CSVAE-paper",
                           "CondVAE-info", "DCI disentanglement", "interpolation monotone %"),
          "domain_translation": ("Eyeglasses", "factor targets", "added: the judge sees it %", "factor drift, truth",
                                 "glasses", "beard", "E1 (common) → domain %")}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_smoke_profile_runs(chapter, tmp_path):
    weights = sorted((REPO / "weights").rglob("*"))
    before = {p: p.stat().st_mtime_ns for p in weights if p.is_file()}
    out = tmp_path / f"{chapter}.ipynb"
    page = REPO / ("pending" if chapter in PENDING else "book") / f"{chapter}.ipynb"
    cmd = [sys.executable, "-m", "papermill", "--cwd", str(REPO / "book"), str(page),
           str(out), "-p", "profile", "smoke", "-p", "train", "True", "-y", "seeds: [0]", "--no-progress-bar"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cells = json.loads(out.read_text())["cells"]
    text = output_text(cells, checked_only=True)
    for word in EXPECT[chapter]:
        assert word in text, word
    after = {p: p.stat().st_mtime_ns for p in sorted((REPO / "weights").rglob("*")) if p.is_file()}
    assert after == before, "the smoke profile must not write weights"


def test_the_registry_knows_every_page_and_every_page_that_trains():
    """book/_toc.yml is the list of pages (the Makefile reads it too): every page has this test's expectations,
    every page that trains has its RUNS entry (which check-weights and the benchmarks read), and every weights
    folder but the shared face judge's belongs to a page that trains."""
    assert CHAPTERS[0] == "toy_csvae" and "zoo" in CHAPTERS
    assert set(EXPECT) == set(CHAPTERS), set(EXPECT) ^ set(CHAPTERS)
    assert set(RUNS) <= set(CHAPTERS)
    folders = {p.name for p in (REPO / "weights").iterdir() if p.is_dir()} - {"face_judge"}
    assert folders == set(RUNS), folders ^ set(RUNS)
    make = subprocess.run(["make", "-s", "-C", str(REPO), "--no-print-directory", "page", "C=?"],
                          capture_output=True, text=True)  # refused, naming the Makefile's CHAPTERS
    assert make.stdout.split("one of: ", 1)[1].split() == pages(), make.stdout + make.stderr


def test_chapter_parameters_are_validated(tmp_path):
    out = tmp_path / "bad.ipynb"
    cmd = [sys.executable, "-m", "papermill", "--cwd", str(REPO / "book"), str(REPO / "book" / "toy_csvae.ipynb"),
           str(out), "-p", "profile", "huge", "--no-progress-bar"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "profile='huge' is not valid; choose one of smoke, book, paper" in proc.stderr + proc.stdout
