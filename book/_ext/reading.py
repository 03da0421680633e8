"""Pages for a reader: results, not plumbing, and tables that fit the text column.

Each code cell's source is folded behind a "Show code cell source" toggle (myst-nb's ``hide-input`` tag), the
parameters cells wholly (``hide-cell``); ``static/reading.css`` sets the output tables in a smaller face and
lets long cells (file names, hashes) wrap.

The tags are added when Sphinx reads the notebook (``source-read``), not stored in the notebooks, so a page
re-executed by papermill (which rewrites its injected-parameters cell) needs no re-tagging. A cell that
already hides or removes its source keeps its tags. ``book_check`` fails on a page that shows a code cell's
source or a table wider than the text column.
"""
from __future__ import annotations

import json
from pathlib import Path

STATIC = Path(__file__).parent / "static"

#: the tags that already decide how a cell's source is shown
DECIDED = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
PARAMETERS = {"parameters", "injected-parameters"}


def fold(notebook: dict) -> dict:
    """``notebook`` (nbformat JSON) with every code cell's source hidden; returns the same dict."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if DECIDED & set(tags):
            continue
        tags.append("hide-cell" if PARAMETERS & set(tags) else "hide-input")
    return notebook


def _source_read(app, docname: str, source: list) -> None:
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    source[0] = json.dumps(fold(json.loads(source[0])), ensure_ascii=False)


def _builder_inited(app) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app):
    app.connect("source-read", _source_read)
    app.connect("builder-inited", _builder_inited)
    app.add_css_file("reading.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
