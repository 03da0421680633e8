"""Serve MathJax from the built book instead of a CDN, so the HTML renders offline.

MathJax 3.2.2 comes from the pinned PyPI package ``django-static-mathjax`` (its top-level
package ``mathjax`` holds the upstream ``es5/`` build). This extension points Sphinx's
``mathjax_path`` at ``_static/mathjax/tex-chtml.js`` (a relative ``mathjax_path`` is relative
to ``_static/``) and copies the ``es5/`` folder there once the HTML is written.

It also drops sphinx-thebe's scripts from every page: jupyter-book always loads that
extension, whose inline script names ``https://unpkg.com/thebe@.../index.js`` for a Binder
launch button, and emits that inline script twice (Chromium logs "Identifier 'THEBE_JS_URL'
has already been declared" on every page). The book configures no launch button, so the
scripts could never run, and an offline book should name no remote script at all.
"""
from __future__ import annotations

import shutil
from pathlib import Path

MATHJAX_PATH = "mathjax/tex-chtml.js"


def mathjax_es5() -> Path:
    import mathjax  # django-static-mathjax

    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (es5 / "tex-chtml.js").is_file():
        raise RuntimeError(f"MathJax's es5 build is missing: {es5}/tex-chtml.js "
                           "(is django-static-mathjax installed from requirements.txt?)")
    return es5


def _config_inited(app, config) -> None:
    mathjax_es5()  # fail at the start of the build, not after it
    config.mathjax_path = MATHJAX_PATH


def _build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    es5 = mathjax_es5()
    shutil.copytree(es5, target, dirs_exist_ok=True)
    if (es5.parent / "LICENSE").is_file():  # Apache-2.0: the licence travels with the copy
        shutil.copy2(es5.parent / "LICENSE", target / "LICENSE")


def _is_thebe(js) -> bool:
    name = str(getattr(js, "filename", js) or "")
    body = str(getattr(js, "attributes", {}).get("body", ""))
    return name.endswith("sphinx-thebe.js") or "THEBE_JS_URL" in body


def _drop_thebe(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [js for js in scripts if not _is_thebe(js)]


def setup(app):
    app.connect("config-inited", _config_inited, priority=900)  # after other extensions
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("build-finished", _build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
