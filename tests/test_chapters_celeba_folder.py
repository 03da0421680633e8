"""The face chapters on CelebA's folder layout (written here by ToyFaces), smoke profile: what a reader with
the real CelebA runs. A file of its own so that the parallel test run (``make test``) can start it beside
the other chapters' smoke runs."""
import json
import subprocess
import sys

import pytest

from vaelab import REPO
from notebook_text import output_text


@pytest.fixture(scope="module")
def celeba_folder(tmp_path_factory):
    """2,500 ToyFaces written in CelebA's folder layout."""
    from vaelab.data import toyfaces

    root = tmp_path_factory.mktemp("celeba_root")
    toyfaces.write_celeba(root / "celeba", 2500, progress=False)
    return root


def _run_on_celeba(chapter: str, root, tmp_path) -> str:
    out = tmp_path / f"{chapter}.ipynb"
    cmd = [sys.executable, "-m", "papermill", "--cwd", str(REPO / "book"), str(REPO / "book" / f"{chapter}.ipynb"),
           str(out), "-p", "profile", "smoke", "-p", "train", "True", "-p", "dataset", "celeba",
           "-p", "data_root", str(root), "-y", "seeds: [0]", "--no-progress-bar"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cells = json.loads(out.read_text())["cells"]
    return output_text(cells)


def test_celeba_chapter_runs_on_a_celeba_folder(celeba_folder, tmp_path):
    """The CelebA chapter on CelebA's layout: edits judged, the ToyFaces-only numbers (truth, drift,
    disentanglement) left out rather than faked."""
    text = _run_on_celeba("celeba_csvae", celeba_folder, tmp_path)
    assert "judged success %" in text and "5_o_Clock_Shadow" in text
    assert "MSE to the true edit" not in text and "MIG" not in text


def test_domain_translation_runs_on_a_celeba_folder(celeba_folder, tmp_path):
    """``dataset=celeba`` reads CelebA's layout (written here by ToyFaces) and runs the whole page; the
    numbers that need ToyFaces' truth are left out rather than faked."""
    text = _run_on_celeba("domain_translation", celeba_folder, tmp_path)
    assert "5_o_Clock_Shadow" in text and "added: the judge sees it %" in text
    assert "factor targets: mean absolute error" not in text
