"""Start a chapter from the template: ``python -m vaelab.new_chapter NAME "Title"`` writes
the chapter's package ``vaelab/chapters/NAME/`` and ``book/NAME.ipynb`` (``--into DIR`` writes both into DIR
instead, to try it out); then follow CONTRIBUTING.md's "Adding a chapter". Nothing existing is overwritten."""
from __future__ import annotations

import argparse
import importlib.util
import json
import keyword
import re
import sys
from pathlib import Path

from . import REPO

TEMPLATES = Path(__file__).parent / "templates"


def create(name: str, title: str, into: Path | None = None) -> tuple[Path, Path]:
    """Write the chapter's package (its ``__init__.py``) and its notebook; returns their paths. ``into``: one
    folder for both, the notebook importing the package from its own folder (papermill ``--cwd`` there)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or keyword.iskeyword(name):
        raise ValueError(f"chapter name {name!r}: use lower-case letters, digits and underscores, starting "
                         "with a letter (it names the module, the notebook and the weights folder)")
    if '"""' in title:
        raise ValueError(f'the title {title!r} holds """, which would end the module docstring')
    if into is None:
        module, page = REPO / "vaelab" / "chapters" / name / "__init__.py", REPO / "book" / f"{name}.ipynb"
        taken = [*(REPO / "book").glob(f"{name}.*"), REPO / "weights" / name,  # a page, or another's weights
                 module.parent, module.parent.with_suffix(".py")]              # a chapter package or module
    else:
        module, page = Path(into) / name / "__init__.py", Path(into) / f"{name}.ipynb"
        if importlib.util.find_spec(name) is not None:
            raise ValueError(f"chapter name {name!r} is an importable module already; the page in {into} would "
                             "import that one")
        taken = [module.parent]
    for p in (module, page, *taken):
        if p.exists():
            raise FileExistsError(f"{p} exists; choose another chapter name")
    module.parent.mkdir(parents=True, exist_ok=True)
    docstring_title = title.replace("\\", "\\\\")  # a backslash in the title stays one in the docstring
    module.write_text((TEMPLATES / "chapter.py").read_text().replace("__CHAPTER__", name)
                      .replace("__TITLE__", docstring_title))
    page_text = (TEMPLATES / "chapter.ipynb").read_text().replace("__CHAPTER__", name)
    if into is not None:
        page_text = page_text.replace(f"from vaelab.chapters import {name} as chapter", f"import {name} as chapter")
    page.write_text(page_text.replace("__TITLE__", json.dumps(title)[1:-1]))
    return module, page


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m vaelab.new_chapter", description=__doc__.split("\n\n")[0])
    ap.add_argument("name", help="the chapter's name: module, notebook and weights folder, e.g. my_method")
    ap.add_argument("title", help="the page's title")
    ap.add_argument("--into", type=Path, help="write both files into this folder instead of the book")
    a = ap.parse_args(argv)
    try:
        paths = create(a.name, a.title, a.into)
    except (ValueError, FileExistsError) as e:
        print(f"new_chapter: {e}", file=sys.stderr)
        return 2
    print("wrote", *paths, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
