"""Did it reproduce? One rule that turns a paper's claim and our measurements into a verdict.

A chapter states each claim of its paper as a :class:`Claim`: the paper's number where it prints one, ours, and
the evidence that decides it. :func:`decide` gives the verdict from three facts measured by the chapter: whether
our numbers point where the paper's do, a p-value over seeds where the claim compares runs, and whether our run
reached the length where its metric has stopped moving or the reference's own length. What explains a
remaining difference is named by the ladder's rung: protocol, hyperparameters or length.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from . import report

REPRODUCED = "reproduced"
DIRECTION = "in the paper's direction, not significant"
NOT_REPRODUCED = "not reproduced where the metric has stopped moving"
AT_REFERENCE = "not reproduced at the reference's length"
OPEN = "not decided at this length"
NOT_TESTED = "not tested"
VERDICTS = (REPRODUCED, DIRECTION, AT_REFERENCE, NOT_REPRODUCED, OPEN, NOT_TESTED)
#: the rungs of the ladder that can explain a difference from the paper; "" where nothing is left to explain
RUNGS = ("protocol", "hyperparameters", "length", "the method as specified", "")
#: significance level of every test over seeds (:func:`vaelab.report.significant`)
ALPHA = report.ALPHA


@dataclass(frozen=True)
class Claim:
    """One claim of a paper with our verdict on it."""
    claim: str          # what the paper says, in one line
    paper: str          # the paper's number, or "—" where it shows a figure only
    ours: str           # our number(s), with the length and seeds they come from
    verdict: str        # one of VERDICTS, from decide()
    explained_by: str   # one of RUNGS: what explains the difference that remains
    evidence: str       # the numbers and the test that decide the verdict


def decide(holds: bool | None, p: float | None = None, settled: bool = True, at_reference: bool = False) -> str:
    """The verdict. ``holds``: our numbers point the paper's way (None: the claim could not be measured here);
    ``p``: the test over seeds where the claim compares runs (None where it compares a number with the paper's or
    with a released model; NaN where a test is undefined); ``settled``: the metric has stopped moving, or the run
    reached the reference's length (False where no curve shows it); ``at_reference``: the run is as long as the
    reference's (which decides a claim that fails there, whether or not the metric still moves)."""
    if holds is None:
        return NOT_TESTED
    if holds:
        return REPRODUCED if p is None or report.significant(p) else DIRECTION
    return AT_REFERENCE if at_reference else NOT_REPRODUCED if settled else OPEN


def level(ours: float, reference: float, points: float = 1.0, relative: float = 0.0) -> bool:
    """``ours`` is level with ``reference``: within ``points`` (absolute: one point of an accuracy in %) or, where
    the caller allows it, ``relative`` of the reference's value, whichever is wider."""
    return abs(ours - reference) <= max(points, relative * abs(reference))


def settled(values, tolerance: float) -> bool:
    """The last three points of a curve lie within ``tolerance`` of each other (a factor of about four in length on
    the book's log-spaced curves)."""
    tail = list(values)[-3:]
    return len(tail) == 3 and all(math.isfinite(v) for v in tail) and max(tail) - min(tail) <= tolerance


def settled_apart(ours, theirs, tolerance: float, higher: bool = True) -> bool:
    """A comparison that longer training would not reverse, on the curves' evidence (both measured at the same
    iterations): ``ours`` (the side the claim needs ahead) has settled (:func:`settled`) while ``theirs`` is ahead of
    it at the end by more than ``tolerance`` and, over its own last three points, never moves back towards it
    (``higher``: where the higher value is ahead)."""
    if not settled(ours, tolerance):
        return False
    ours, theirs = list(ours), list(theirs)[-3:]
    sign = 1.0 if higher else -1.0
    return (len(theirs) == 3 and all(math.isfinite(v) for v in theirs)
            and sign * (theirs[-1] - ours[-1]) > tolerance
            and all(sign * (b - a) >= 0 for a, b in zip(theirs, theirs[1:])))


def one_sided_p(values, bound: float, below: bool = True) -> float:
    """p-value of the one-sample t-test that the seeds' mean lies below (``below``) or above ``bound`` (NaN for
    fewer than two seeds or no spread)."""
    from scipy.stats import ttest_1samp

    vals = [v for v in values if math.isfinite(v)]
    if len(vals) < 2 or max(vals) == min(vals):
        return float("nan")
    return float(ttest_1samp(vals, bound, alternative="less" if below else "greater").pvalue)


def table(claims: list[Claim]):
    """The claims as a table whose HTML shows every cell whole (the chapters' results tables do the same)."""
    from .report import whole_table_class

    rows = [(c.claim, c.paper, c.ours, c.verdict, c.explained_by or "—", c.evidence) for c in claims]
    bad = [c.verdict for c in claims if c.verdict not in VERDICTS] + [c.explained_by for c in claims
                                                                        if c.explained_by not in RUNGS]
    if bad:
        raise ValueError(f"unknown verdict or rung {bad}; verdicts: {VERDICTS}, rungs: {RUNGS}")
    df = whole_table_class()(rows, columns=("claim", "paper", "ours", "verdict", "explained by", "evidence"))
    return df.set_index("claim")


def summary(claims: list[Claim]) -> str:
    """One sentence counting the verdicts, in the order of :data:`VERDICTS`."""
    counts = [(v, sum(c.verdict == v for c in claims)) for v in VERDICTS]
    parts = [f"{k} {v}" for v, k in counts if k]
    if not parts:
        return "No claim is decided here."
    return f"Of {len(claims)} claim{'s' if len(claims) != 1 else ''}: {report.series(parts)}."
