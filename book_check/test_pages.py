"""Every page of the built book, opened in headless Chromium without network.

Run by `make browser` (part of `make test`) after `make html`; `make unit` runs tests/ only.
"""
from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from conftest import HTML, ROOT, SHOTS, TOC
from pagecheck import check_page, expected_outputs, serve, source_file, toc_pages

PAGES = toc_pages(TOC)
SHOT_NAMES = {p: Path(p).name for p in PAGES}
assert len(set(SHOT_NAMES.values())) == len(PAGES), f"two toc pages share a file name: {PAGES}"

# a 1x1 PNG
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGA"
                       "WjR9awAAAABJRU5ErkJggg==")
FILLER = "<p>" + "This paragraph is here so that the page is not empty. " * 6 + "</p>"


def test_checker_fails_on_a_bad_page(browser, tmp_path):
    """The checker must be able to fail: a broken image, unrendered math, a console error, a
    remote script, a missing table, a shown code cell and a table wider than the column are all reported; a
    clean page (its code cell folded) passes."""
    (tmp_path / "ok.png").write_bytes(PNG)
    (tmp_path / "good.html").write_text(
        f"<!doctype html><html><head><title>good</title></head><body><main><h1>Good</h1>{FILLER}"
        '<img id="fine" src="ok.png"><table><tr><td>1</td></tr></table>'
        '<div class="cell"><details class="hide above-input"><summary>Show code cell source</summary>'
        '<div class="cell_input"><pre>folded = True</pre></div></details></div></main></body></html>')
    (tmp_path / "bad.html").write_text(
        '<!doctype html><html><head><title>bad</title>'
        '<script src="https://cdn.example.invalid/mathjax/tex-chtml.js"></script></head>'
        f"<body><main><h1>Bad</h1>{FILLER}"
        '<img id="broken" src="missing.png">'
        r'<p>Inline <span class="math notranslate nohighlight">\(x\)</span> math.</p>'
        '<div class="cell"><div class="cell_input"><pre>plumbing = True</pre></div></div>'
        '<table id="wide" style="width: 3000px"><tr><td>1</td></tr></table>'
        '<script>console.error("deliberate console error")</script></main></body></html>')
    (tmp_path / "empty.html").write_text("<!doctype html><html><head><title>e</title></head><body></body></html>")
    with serve(tmp_path) as url:
        good = check_page(browser, url + "good.html", "good", {"images": 1, "tables": 1})
        bad = check_page(browser, url + "bad.html", "bad", {"tables": 2})
        empty = check_page(browser, url + "empty.html", "empty")
    assert good.failures == []
    text = "\n".join(bad.failures)
    for needle in ("image did not load: img#broken", "math not rendered by MathJax: span",
                   "deliberate console error", "refers to a remote resource: script[src=\"https://cdn.example.invalid",
                   "TeX left in the visible text", "HTML-table outputs",
                   "a code cell's source is shown without a click: div", "table#wide"):
        assert needle in text, f"the checker missed {needle!r}; it reported:\n{text}"
    assert any("(nearly) empty" in f for f in empty.failures), empty.failures


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_offline(browser, book_url, reports, page):
    html = HTML / (page + ".html")
    assert html.is_file(), f"{page}: {html.relative_to(ROOT)} was not built (make html)"
    expected = expected_outputs(source_file(ROOT, page))
    rep = check_page(browser, book_url + page + ".html", page, expected,
                     screenshot=SHOTS / (SHOT_NAMES[page] + ".png"))
    reports.append(rep)
    assert not rep.failures, "\n".join(rep.failures)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_from_disk(browser, reports, page):
    """The same page opened as a file:// URL, as a reader who downloaded the book would open it
    (Chromium keeps no resource timing for files; the other checks apply)."""
    html = HTML / (page + ".html")
    if not html.is_file():
        pytest.fail(f"{page}: {html.relative_to(ROOT)} was not built (make html)")
    rep = check_page(browser, html.as_uri(), page, expected_outputs(source_file(ROOT, page)))
    reports.append(rep)
    assert not rep.failures, "\n".join(rep.failures)


_REMOTE_ASSET = re.compile(
    r"""<(?:script|img|iframe|source|embed)\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//|@import\s+["']?(?:https?:)?//""", re.I)


def test_built_html_and_css_name_no_remote_asset():
    """Every built .html (search and index pages too) and every stylesheet under _static/."""
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML}/index.html is missing: build the book first (make html)")
    bad = []
    files = [p for p in HTML.rglob("*") if p.suffix in (".html", ".css")
             and "_static/mathjax" not in p.as_posix() and "_sources" not in p.parts]
    for p in files:
        for m in _REMOTE_ASSET.finditer(p.read_text(errors="replace")):
            bad.append(f"{p.relative_to(HTML)}: {m.group(0)[:160]}")
    assert files and not bad, "\n".join(bad)
