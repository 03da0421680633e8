"""book/results.md pastes tables that chapter pages glue: every pasted key must be glued by the page it names,
or the built book shows a hole where a table should be."""
import json
import re

from vaelab import REPO


def glued_keys(page: dict) -> set:
    """The names a page's outputs glue (myst-nb/scrapbook metadata)."""
    return {o.get("metadata", {}).get("scrapbook", {}).get("name") for c in page["cells"]
            for o in c.get("outputs", [])} - {None}


def pasted(markdown: str) -> list:
    """``(key, page)`` of every ``{glue} key`` directive with a ``:doc:`` option."""
    return re.findall(r"```\{glue\} (\S+)\n:doc: (\S+)\n```", markdown)


def test_pasted_finds_the_directives():
    md = "x\n```{glue} claims_table\n:doc: toy_csvae.ipynb\n```\n```{glue} t\n:doc: a.ipynb\n```\n"
    assert pasted(md) == [("claims_table", "toy_csvae.ipynb"), ("t", "a.ipynb")]


def test_every_table_the_results_page_pastes_is_glued_by_its_page():
    found = pasted((REPO / "book" / "results.md").read_text(encoding="utf-8"))
    assert len(found) >= 8
    for key, doc in found:
        page = json.loads((REPO / "book" / doc).read_text(encoding="utf-8"))
        assert key in glued_keys(page), f"book/results.md pastes {key!r} from {doc}, which does not glue it"


def inline(markdown: str) -> list:
    """``(key, page)`` of every inline ``{glue:text}`` role, parsed as myst-nb does: the format spec after the
    last colon first, then ``page::key`` (so ``page::key`` without a format spec names the key ``page:`` on
    this page, and the built page shows nothing there)."""
    out = []
    for text in re.findall(r"\{glue:text\}`([^`]+)`", markdown):
        key = text.rsplit(":", 1)[0] if ":" in text else text
        doc, _, name = key.rpartition("::") if "::" in key else ("", "", key)
        out.append((name, doc))
    return out


def test_every_inline_glue_from_another_page_is_glued_by_it():
    assert inline("a {glue:text}`face_edits.ipynb::verdict:s` b") == [("verdict", "face_edits.ipynb")]
    assert inline("a {glue:text}`face_edits.ipynb::verdict` b") == [("face_edits.ipynb:", "")]
    for key, doc in inline((REPO / "book" / "results.md").read_text(encoding="utf-8")):
        assert doc, f"book/results.md: {{glue:text}} of {key!r} names no page (write page::key:s)"
        page = json.loads((REPO / "book" / doc).read_text(encoding="utf-8"))
        assert key in glued_keys(page), f"book/results.md pastes {key!r} from {doc}, which does not glue it"


def test_the_results_page_pastes_the_claims_of_every_page_in_the_registry():
    """A chapter added to book/_toc.yml whose page decides claims must have its table on the results page."""
    from vaelab.chapters import registry

    pasted_docs = {doc for key, doc in pasted((REPO / "book" / "results.md").read_text(encoding="utf-8"))
                   if key == "claims_table"}
    deciding = [p for p in registry.pages() if (REPO / "book" / f"{p}.ipynb").exists()
                and "claims_table" in glued_keys(json.loads((REPO / "book" / f"{p}.ipynb").read_text()))]
    assert len(deciding) >= 6
    missing = [p for p in deciding if f"{p}.ipynb" not in pasted_docs]
    assert not missing, f"book/results.md pastes no claims table from {', '.join(missing)}"
