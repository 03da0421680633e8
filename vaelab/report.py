"""Tables and statistics that every chapter writes from its results.

A chapter's ``results`` (:class:`vaelab.runs.Results`) maps ``(model name, seed)`` to ``{"model", "record",
"metrics"}``; a function asked for one name reads only that name's entries.
"""
from __future__ import annotations

import functools

import numpy as np


def sd(vals) -> float:
    """Sample standard deviation over seeds (ddof = 1; 0 for a single seed)."""
    return float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0


def per_seed(results: dict, name: str, key: str) -> list:
    """``metrics[key]`` of every seed of model ``name``, in the order of ``results``."""
    return [r["metrics"][key] for (m, _), r in results.items() if m == name and key in r["metrics"]]


#: the significance level of every test over seeds, in the findings and in the claims (:mod:`vaelab.claims`)
ALPHA = 0.05


def significant(p: float) -> bool:
    """A test's p-value is below :data:`ALPHA` (an undefined, NaN, test is not significant)."""
    return bool(np.isfinite(p) and p < ALPHA)


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def count(n: int) -> str:
    """A count as prose writes it: "no" to "ten" in words, digits above."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def series(items) -> str:
    """Words joined as prose: "a", "a and b", "a, b and c"."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def welch_p(a, b) -> float:
    """Two-sided p-value of Welch's t-test between two lists of per-seed values (NaN if undefined)."""
    from scipy.stats import ttest_ind

    if len(a) < 2 or len(b) < 2:
        return float("nan")
    return float(ttest_ind(a, b, equal_var=False).pvalue)


def paired_p(a, b) -> float:
    """Two-sided p-value of the paired t-test between per-seed values a[i], b[i] (NaN if undefined)."""
    from scipy.stats import ttest_rel

    if len(a) != len(b) or len(a) < 2 or np.allclose(np.subtract(a, b), np.mean(np.subtract(a, b))):
        return float("nan")
    return float(ttest_rel(a, b).pvalue)


#: what a verdict says where a test over seeds is undefined
NO_TEST = "no test: fewer than two seeds or no spread"


def paired_text(a, b) -> str:
    """"paired p = …" for per-seed values a[i], b[i] (:func:`paired_p`), or :data:`NO_TEST`."""
    p = paired_p(a, b)
    return f"paired p = {p:.2g}" if np.isfinite(p) else NO_TEST


def cell(vals, digits: int = 3, one_seed_sd: bool = True) -> str:
    """"mean ± sd" of the finite per-seed values, with "(k NaN)" appended when k seeds gave NaN (a metric
    that is undefined for a run, e.g. ACAI's smoothness); "—" for no values, "undefined" if none is finite.
    ``one_seed_sd=False`` gives a single finite value bare, without its "± 0"."""
    if not len(vals):
        return "—"
    ok = [v for v in vals if np.isfinite(v)]
    if len(ok) == 1 and not one_seed_sd:
        out = f"{ok[0]:.{digits}f}"
    else:
        out = f"{np.mean(ok):.{digits}f} ± {sd(ok):.{digits}f}" if ok else "undefined"
    return out + (f" ({len(vals) - len(ok)} NaN)" if len(ok) < len(vals) else "")


def table(results: dict, models, columns: dict, digits: int | dict = 3):
    """One row per model, one column per ``columns`` entry (metric key -> header): :func:`cell` over
    seeds as strings; ``digits`` is one number or a dict per metric key; a pandas DataFrame."""
    import pandas as pd

    rows = {}
    for name in models:
        row = {}
        for key, col in columns.items():
            d = digits[key] if isinstance(digits, dict) else digits
            row[col] = cell(per_seed(results, name, key), d)
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def summary(results: dict, names) -> dict:
    """Means (``"<name>.<metric>"``) and sample standard deviations (``"….std"``) over seeds."""
    out = {}
    for name in names:
        ms = [r["metrics"] for (m, _), r in results.items() if m == name]
        for key in ms[0] if ms else []:
            vals = [m[key] for m in ms]
            out[f"{name}.{key}"], out[f"{name}.{key}.std"] = float(np.mean(vals)), sd(vals)
    return out


def provenance(results: dict):
    """One row per saved run, read from its weights record (runs without a saved record are skipped): the
    run, its weights file (under ``weights/<chapter>/``) with size and full sha256 (verified on load),
    profile, seed, iterations, device, training wall time, torch and the git commit that trained it. A
    commit marked "+dirty" had uncommitted changes under vaelab/ when the run was saved."""
    import pandas as pd

    rows = []
    for (name, seed), r in results.items():
        rec = r.get("record") or {}
        if "sha256" not in rec:
            continue
        chapter = rec["config"].get("chapter", "")
        rows.append({"run": rec["run"], "profile": rec["config"]["profile"], "seed": seed,
                     "iterations": rec.get("iterations"), "device": rec["device"],
                     "wall s": round(rec["wall_s"], 1), "torch": rec["torch"],
                     "commit": rec["git_commit"][:10] + ("+dirty" if rec.get("git_dirty") else ""),
                     "file": f"weights/{chapter}/{rec['file']}" if chapter else rec["file"],
                     "MB": round(rec["bytes"] / 1e6, 2) if "bytes" in rec else None,
                     "sha256": rec["sha256"]})
    return pd.DataFrame(rows)


def provenance_summary(results: dict) -> str:
    """One sentence over the saved runs of :func:`provenance`: how many, which profile(s) and seeds, on which
    device(s), the training time summed over runs, the commit(s) and the weights' total size."""
    df = provenance(results)
    if df.empty:
        return "No run of this page was loaded from saved weights."
    join = lambda xs: ", ".join(map(str, sorted(set(xs), key=str)))  # noqa: E731
    mb = df["MB"].dropna().sum()
    return (f"{len(df)} runs of profile {join(df['profile'])}, seeds {join(df['seed'])}, trained on "
            f"{join(df['device'])} for {df['wall s'].sum() / 60:.1f} min in all (training only, summed over "
            f"runs), at commit {join(df['commit'])}, with torch {join(df['torch'])}; {mb:.1f} MB of weights, "
            "each file's sha256 checked against its record when it was loaded.")


@functools.cache
def whole_table_class():
    """A DataFrame subclass whose HTML and text show every cell whole: pandas cuts cells past
    ``display.max_colwidth`` (50 characters) with "…", and the results' setup differences and the claims'
    evidence are longer (nbval compares the text)."""
    import pandas as pd

    class ResultsTable(pd.DataFrame):
        @property
        def _constructor(self):
            return ResultsTable

        def _repr_html_(self):
            with pd.option_context("display.max_colwidth", None):
                return super()._repr_html_()

        def __repr__(self):
            with pd.option_context("display.max_colwidth", None, "display.width", 10_000):
                return super().__repr__()

    return ResultsTable


class Shown:
    """A table as a page shows it: HTML for the book (an HTML table that the book's CSS fits to the text column,
    every cell whole) and, as its plain text, exactly ``table.to_string()``. nbval compares both, so a change
    in pandas' HTML markup shows as a failure too."""

    def __init__(self, table, index: bool = True, wrap: bool = False):
        self.table, self.index, self.wrap = table, index, wrap

    def _repr_html_(self) -> str:
        import pandas as pd

        with pd.option_context("display.max_colwidth", None):
            return self.table.to_html(border=0, index=self.index, classes="wrap" if self.wrap else None)

    def __repr__(self) -> str:
        return self.table.to_string(index=self.index)


def show(table, index: bool = True, wrap: bool = False) -> None:
    """Display ``table`` (a DataFrame) on a page as :class:`Shown`: an HTML table, checked as its plain text
    (``index=False`` leaves the row labels out of both). ``wrap=True`` lets the book break its cells anywhere
    (long file names and hashes), so that a wide table still fits the text column."""
    from IPython.display import display

    display(Shown(table, index, wrap))
