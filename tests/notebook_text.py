"""What a reader sees as text in an executed page's code cells: printed text and the plain text of displayed
outputs (tables shown with vaelab.report.show), for the tests that run a page and look for words in it."""


def output_text(cells, checked_only: bool = False) -> str:
    """The text of every code cell's outputs (``checked_only``: of the ``# NBVAL_CHECK_OUTPUT`` cells only)."""
    code = [c for c in cells if c["cell_type"] == "code"
            and (not checked_only or "NBVAL_CHECK_OUTPUT" in "".join(c["source"]))]
    return "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                   for c in code for o in c["outputs"])
