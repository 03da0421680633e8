"""A newcomer's chapter: python -m vaelab.new_chapter writes a chapter module and its page from the template,
and the page runs its smoke profile end to end (train, evaluate, a checked table, a glued verdict)."""
import ast
import json
import subprocess
import sys

import pytest

from vaelab import REPO
from vaelab.new_chapter import create, main


def test_the_template_chapter_runs_its_smoke_profile(tmp_path):
    weights = {p: p.stat().st_mtime_ns for p in (REPO / "weights").rglob("*") if p.is_file()}
    module, page = create("my_method", 'My "method" against a $\\beta$-VAE', into=tmp_path)
    assert module == tmp_path / "my_method" / "__init__.py"  # a chapter is a package
    assert 'CHAPTER = "my_method"' in module.read_text() and "__CHAPTER__" not in module.read_text()
    assert ast.get_docstring(ast.parse(module.read_text())).startswith('My "method" against a $\\beta$-VAE.')
    out = tmp_path / "executed.ipynb"
    cmd = [sys.executable, "-m", "papermill", "--cwd", str(tmp_path), str(page), str(out), "-p", "profile", "smoke",
           "-p", "train", "True", "-y", "seeds: [0]", "--no-progress-bar"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cells = json.loads(out.read_text())["cells"]
    assert cells[0]["source"][0] == '# My "method" against a $\\beta$-VAE\n'
    checked = next(c for c in cells if "NBVAL_CHECK_OUTPUT" in "".join(c["source"]))
    text = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in checked["outputs"])
    assert "VAE" in text and "recon MSE" in text
    glued = {o["metadata"]["scrapbook"]["name"]: o["data"] for o in checked["outputs"]
             if "scrapbook" in o.get("metadata", {})}
    assert "The VAE's test reconstruction MSE is" in glued["verdict"]["application/papermill.record/text/plain"]
    assert {p: p.stat().st_mtime_ns for p in (REPO / "weights").rglob("*") if p.is_file()} == weights


def test_new_chapter_refuses_bad_names_and_existing_files(tmp_path, capsys):
    with pytest.raises(ValueError, match="lower-case"):
        create("My-Method", "x", into=tmp_path)
    with pytest.raises(ValueError, match="lower-case"):
        create("class", "x", into=tmp_path)
    for taken in ("abc", "torch", "vaelab"):  # the page in the folder would import that one
        with pytest.raises(ValueError, match="importable"):
            create(taken, "x", into=tmp_path)
    with pytest.raises(ValueError, match='"""'):
        create("quotes", 'a """ title', into=tmp_path)
    assert main(["intro", "x"]) == 2 and main(["face_judge", "x"]) == 2  # book/intro.md, weights/face_judge/
    capsys.readouterr()
    assert main(["toy_csvae", "x"]) == 2  # the book's own chapter: nothing is overwritten
    assert "exists" in capsys.readouterr().err
    create("again", "x", into=tmp_path)
    with pytest.raises(FileExistsError):
        create("again", "x", into=tmp_path)
