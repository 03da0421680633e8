"""The README's chapter table quotes each chapter's headline numbers; they are typed there, so this
checks that every number in a headline still appears in the executed page it links to (its markdown,
its code or any of its outputs, glued records included). Re-executing a page whose numbers move then
fails here until the README says the new ones."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def chapter_rows(readme: str):
    """(page path, headline) for each row of the README's chapter table that links to a notebook."""
    rows = []
    for line in readme.splitlines():
        if not line.startswith("| ["):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        link = re.search(r"\((book/[^)]+\.ipynb)\)", cells[0])
        if link and len(cells) >= 3:
            rows.append((link.group(1), cells[2]))
    return rows


def page_text(notebook: dict) -> str:
    """Every string a reader can see in an executed notebook: sources and every output's text data."""
    parts = []
    for cell in notebook["cells"]:
        parts.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append("".join(out["text"]))
            for value in out.get("data", {}).values():
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    parts.append("".join(value))
                elif isinstance(value, str):
                    parts.append(value)
    return "\n".join(parts)


def numbers_missing(headline: str, text: str):
    return [n.rstrip(",") for n in NUMBER.findall(headline) if n.rstrip(",") not in text]


def test_numbers_missing_finds_a_number_the_page_does_not_show():
    page = {"cells": [{"source": ["ACAI "], "outputs": [
        {"data": {"application/papermill.record/text/plain": "'4.41 ± 0.25'"}},
        {"text": ["p = 0.065\n"]}]}]}
    text = page_text(page)
    assert numbers_missing("Mean Distance 4.41 ± 0.25 (Welch p = 0.065)", text) == []
    assert numbers_missing("Mean Distance 4.41 ± 0.26, 1,000 iterations,", text) == ["0.26", "1,000"]


def test_chapter_rows_reads_link_and_headline():
    readme = "| chapter | what | headline |\n|---|---|---|\n| [ACAI](book/acai.ipynb) | lines | 4.41 ± 0.25 |\n" \
             "| [Results](book/results.md) | tables | — |\n"
    assert chapter_rows(readme) == [("book/acai.ipynb", "4.41 ± 0.25")]


ROWS = chapter_rows((ROOT / "README.md").read_text(encoding="utf-8"))


def test_readme_lists_every_chapter_page():
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "book").glob("*.ipynb")}
    assert {page for page, _ in ROWS} == pages


@pytest.mark.parametrize("page,headline", ROWS, ids=[page for page, _ in ROWS])
def test_readme_headline_numbers_come_from_the_page(page, headline):
    path = ROOT / page
    text = page_text(json.loads(path.read_text(encoding="utf-8")))
    missing = numbers_missing(headline, text)
    assert not missing, f"README.md's headline for {page} quotes {missing}, which {page} does not show"


def test_the_release_is_citable_and_its_versions_agree():
    """LICENSE (MIT), CITATION.cff and the README's citation name one version, the package's."""
    import tomllib

    import vaelab

    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    cff = (ROOT / "CITATION.cff").read_text()
    assert re.search(r'^version: "?([^"\n]+)"?$', cff, re.M).group(1) == version == vaelab.__version__
    assert re.search(r"^cff-version: 1\.2\.0$", cff, re.M) and re.search(r"^license: MIT$", cff, re.M)
    readme = (ROOT / "README.md").read_text()
    cite = readme[readme.index("## How to cite"):]
    assert f"version = {{{version}}}" in cite
    assert "(this repository)" not in readme, "no placeholder in the citation"


def test_the_quick_start_runs():
    """The README's Python quick start, run as written on eight MNIST test digits (its ``images``)."""
    import torch

    from vaelab.data import mnist

    block = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S).group(1)
    images = mnist.load("test")[0][:8]
    scope = {"images": images}
    exec(compile(block, "README.md quick start", "exec"), scope)
    assert scope["z"].shape == (8, 16) and scope["s"].shape == (8, 16)
    assert scope["swapped"].shape == images.shape and torch.isfinite(scope["swapped"]).all()
