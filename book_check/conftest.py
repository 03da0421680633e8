"""Fixtures for the browser test of the built book (run by `make browser`, not by `make unit`)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from pagecheck import Browser, serve, summary_table

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
TOC = ROOT / "book" / "_toc.yml"

REPORTS: list = []
_T0 = time.time()


@pytest.fixture(scope="session")
def browser():
    # a missing chromium / chromedriver raises here: an error, never a skip
    with Browser() as b:
        yield b


@pytest.fixture(scope="session")
def book_url():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML}/index.html is missing: build the book first (make html)")
    with serve(HTML) as url:
        yield url


@pytest.fixture
def reports():
    return REPORTS


def pytest_terminal_summary(terminalreporter):
    book = sorted((r for r in REPORTS if r.page != "good" and r.page != "bad" and r.page != "empty"),
                  key=lambda r: r.url.startswith("file:"))
    if book:
        terminalreporter.write_sep("-", f"pages of {HTML.relative_to(ROOT)} in headless Chromium")
        terminalreporter.write_line(summary_table(book))
        terminalreporter.write_line(f"screenshots in {SHOTS.relative_to(ROOT)}/; "
                                    f"{time.time() - _T0:.1f} s with the browser's start")
