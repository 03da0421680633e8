"""ACAI's lines curves: seed 0 of each of Table 1's seven methods trained ten times the book's 3,000 iterations
(ACAI, whose critic reads every batch three times, about seven times), with the chapter's own
:func:`~vaelab.chapters.acai.evaluate` at log-spaced points (:mod:`vaelab.curves`). The methods are compared at the
longest length every curve reaches (:func:`at_common_length`).

The official length is 262,144 iterations (``total_kimg`` 2^14 at batch 64); the book trains 3,000, where three
baselines still draw one near-blank line for every input (their recon spread below
:data:`~vaelab.chapters.acai.PLATEAU_SPREAD`). The curves show whether, and at which length, each method leaves
that plateau, and how Mean Distance and Smoothness move meanwhile. Every point is evaluated on the model rounded to
float16, as the page loads it. ``make run M=vaelab.chapters.acai.length`` trains into ``checkpoints/acai_curves/``
(ignored by git), resuming an interrupted run; ``ARGS='--save'`` saves the finished runs under
``weights/acai/lines-<method>-<total>-s<seed>``, where :func:`load_all` finds them.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ... import REPO, curves, report
from ...data import lines
from ...models.ae_baselines import VQVAEConfig
from .. import acai

CHAPTER = acai.CHAPTER
WORK = REPO / "checkpoints" / "acai_curves"
BOOK = acai.PROFILES["book"].lines_iterations
TOTAL = 10 * BOOK
#: the curve runs (seed 0): method -> length. ACAI's critic reads every batch three times, so its step costs more
#: than the plain AE's (the records' ``wall_s`` say how much); its curve stops at 20,000 (the last log-spaced point
#: before 30,000), which the methods are compared at (:func:`at_common_length`)
CURVES = {m: TOTAL for m in acai.METHODS} | {"ACAI": 20_000}
#: curve runs declared here but not committed yet: the page neither looks them up nor draws them
PENDING: set = set()
#: how far a curve's score may move over its last three points and count as flat: one unit of the table's ×10⁻³ for
#: Mean Distance, a twentieth of Smoothness's range [0, 1]
FLAT = {"distance_e3": 1.0, "smoothness": 0.05}
#: by how much one method's score must be lower than another's to count as better (lower is better on both)
MARGIN = {"distance_e3": 1.0, "smoothness": 0.05}
#: the lines a test line's angle is read against (:func:`code_angles`): how many, and their seed (the book's lines
#: use seeds 0 to 3)
ANGLE_REFERENCE = (4000, 4)
#: the curve's metrics, with their labels
PANELS = [("recon_spread", "recon spread"), ("distance_e3", "Mean Distance (×10⁻³)"), ("smoothness", "Smoothness"),
          ("recon_mse", "recon MSE")]


def points(total: int) -> tuple:
    """500, then about three points per decade from 1,000, with the book's length and ``total``."""
    return curves.log_points(total, start=1000, extra=(500, BOOK))


def key(method: str, total: int, seed: int) -> str:
    return f"lines-{acai.ALL[method][2]}-{total}-s{seed}"


def run_config(method: str, model, total: int, seed: int, D: dict) -> dict:
    """The book run's config with the curve run's length (its points follow from it: :func:`points`)."""
    return {**acai.run_config(method, "lines", None, model, "book", seed, len(D["train"]["x"])), "iterations": total}


def setup(progress: bool = True) -> tuple[dict]:
    """The book's lines data, as the page loads it."""
    return (acai.lines_data(acai.PROFILES["book"]),)


def train_curve(method: str, total: int, D: dict, seed: int = 0, work: Path = WORK, progress: bool = True) -> dict:
    """Train ``method`` on lines for ``total`` iterations, evaluated at :func:`points`; the record lands in
    ``work``."""
    profile = acai.PROFILES["book"]
    torch.manual_seed(seed)  # as runs.obtain_all seeds a book run before building it
    model = acai.build(method, "lines")
    return curves.train(model, {"x": D["train"]["x"]}, lambda m: acai.evaluate(m, "lines", D, profile, seed),
                        points(total), Path(work) / key(method, total, seed), batch_size=profile.batch_size,
                        seed=seed, config=run_config(method, model, total, seed, D), progress=progress,
                        storage=acai.STORAGE)


def save(method: str, total: int, D: dict, seed: int = 0, work: Path = WORK, overwrite: bool = False) -> Path:
    """Save the finished curve run under ``weights/acai/`` (its last point as the record's metrics)."""
    model = acai.build(method, "lines")
    return curves.save(Path(work) / key(method, total, seed), model, run_config(method, model, total, seed, D),
                       CHAPTER, key(method, total, seed), storage=acai.STORAGE, overwrite=overwrite)


def load_all(D: dict, evaluate: bool = True, seed: int = 0, runs_: dict = CURVES) -> dict:
    """Every committed curve run (not :data:`PENDING`): ``{method: {"model", "record", "metrics"}}``, the metrics
    recomputed from its weights (none when ``evaluate`` is false; the page never trains a curve run)."""
    profile, out = acai.PROFILES["book"], {}
    for method, total in runs_.items():
        if method in PENDING:
            continue
        model = acai.build(method, "lines")
        r = curves.load(CHAPTER, key(method, total, seed), model, run_config(method, model, total, seed, D),
                        (lambda m: acai.evaluate(m, "lines", D, profile, seed)) if evaluate else None)
        if r is not None:
            out[method] = r
    return out


def table(loaded: dict, digits: int = 3) -> pd.DataFrame:
    """The curve points of every committed curve run and the last point recomputed (:func:`vaelab.curves.table`)."""
    return curves.table(loaded, PANELS, digits)


def on_plateau_at_book(curve: list) -> bool:
    """Whether the curve run draws one image for every input at the book's length (as the book's runs are judged)."""
    return curves.at(curve, BOOK)["recon_spread"] < acai.PLATEAU_SPREAD


def leaves_plateau(curve: list, threshold: float = acai.PLATEAU_SPREAD) -> int | None:
    """The first point from which the recon spread stays at least ``threshold`` to the curve's end (the run has
    left the blank-image plateau for good), or None when the last point is still below it."""
    first = None
    for p in sorted(curve, key=lambda p: p["iter"]):
        if p["recon_spread"] >= threshold:
            first = p["iter"] if first is None else first
        else:
            first = None
    return first


def _lead(loaded: dict) -> str:
    """The length verdict in words: which of the methods drawing one image at the book's length leave the plateau by
    the curve's end (and where), which stay on it, and whether any method falls onto it."""
    if not loaded:
        return ("No lines curve is committed yet, so whether the baselines leave the blank-image plateau with longer "
                "training is not shown here.")
    last = {m: loaded[m]["record"]["curve"][-1]["iter"] for m in loaded}
    most = max(sorted(set(last.values()), reverse=True), key=list(last.values()).count)  # the usual end
    other = [f"{m} to {e:,}" for m, e in last.items() if e != most]
    end = f"{most:,} iterations" + (f" ({report.series(other)})" if other else "")
    on_at_book = [m for m in loaded if on_plateau_at_book(loaded[m]["record"]["curve"])]
    left = {m: leaves_plateau(loaded[m]["record"]["curve"]) for m in on_at_book}
    stay = [m for m, it in left.items() if it is None]
    went = [m for m, it in left.items() if it is not None]
    fell = [m for m in loaded if m not in on_at_book and leaves_plateau(loaded[m]["record"]["curve"]) is None]
    parts = []
    if not on_at_book:
        parts.append(f"No method is on the blank-image plateau at the book's {BOOK:,} iterations")
    else:
        subject = lambda ms, one, many: f"{report.series(ms)} {one if len(ms) == 1 else many}"
        where = "the blank-image plateau {} on at the book's length"
        if went:
            parts.append(f"Trained to {end}, {subject(went, 'leaves', 'leave')} "
                         + where.format("it is" if len(went) == 1 else "they are")
                         + " (" + ", ".join(f"{m} from {left[m]:,}" for m in went) + ")")
        if stay:
            parts.append(f"and {subject(stay, 'stays', 'stay')} on it" if went else
                         f"Trained to {end}, {subject(stay, 'stays', 'stay')} on the blank-image plateau, "
                         "as at the book's length")
    text = (", ".join(parts) if len(parts) > 1 else parts[0]) + "."
    if fell:
        text += f" {report.series(fell)} {'ends' if len(fell) == 1 else 'end'} on the plateau, though off it at the " \
                "book's length."
    pending = [m for m in CURVES if m not in loaded]
    if pending:
        text += (f" The curve of {pending[0]} is not committed yet." if len(pending) == 1 else
                 f" The curves of {report.series(pending)} are not committed yet.")
    return text


def at_common_length(loaded: dict) -> tuple[int, dict]:
    """The longest iteration at which every curve of ``loaded`` has a point, and each method's point there."""
    if not loaded:
        raise ValueError("no curve run to compare")
    shared = set.intersection(*({p["iter"] for p in r["record"]["curve"]} for r in loaded.values()))
    if not shared:
        raise ValueError("the curves share no iteration: " + "; ".join(
            f"{m}: {[p['iter'] for p in r['record']['curve']]}" for m, r in loaded.items()))
    it = max(shared)
    return it, {m: curves.at(r["record"]["curve"], it) for m, r in loaded.items()}


def off_plateau(point: dict) -> bool:
    """The point's model draws different images for different inputs (recon spread at least the plateau's edge)."""
    return point["recon_spread"] >= acai.PLATEAU_SPREAD


def scores(point: dict, key: str) -> bool:
    """The point's model has a ``key`` score: it is off the plateau (:func:`off_plateau`) and the score is defined
    (Smoothness is undefined where no interpolation moves between lines)."""
    return off_plateau(point) and bool(np.isfinite(point[key]))


def ranking(loaded: dict, seed: int | None = None) -> str:
    """The committed curves compared at equal length (:func:`at_common_length`): the methods off the plateau there
    ranked on Mean Distance and on Smoothness, lower first, as Table 1 reads them; the methods on it named apart (one
    image for every input: no interpolation to score). ``seed`` is named beside the length where given. Empty with
    fewer than two curves."""
    if len(loaded) < 2:
        return ""
    it, pts = at_common_length(loaded)
    off = [m for m in pts if off_plateau(pts[m])]
    on = [m for m in pts if m not in off]

    def value(m: str, k: str, digits: int) -> str:
        return f"{pts[m][k]:.{digits}f}" if np.isfinite(pts[m][k]) else "undefined"

    def order(k: str, digits: int) -> str:
        ok = sorted((m for m in off if scores(pts[m], k)), key=lambda m: pts[m][k])
        nan = [m for m in off if m not in ok]
        said = ", ".join(f"{m} {value(m, k, digits)}" for m in ok)
        if not nan:
            return said
        return f"{said} (undefined for {report.series(nan)})" if ok else f"undefined for {report.series(nan)}"

    which = f" (seed {seed})" if seed is not None else ""
    text = f"At {it:,} iterations{which}, the longest every committed curve reaches, "
    if not off:
        return text + "every method is on the plateau."
    if len(off) == 1:
        m = off[0]
        text += (f"only {m} is off the plateau (Mean Distance {value(m, 'distance_e3', 2)} ×10⁻³, Smoothness "
                 f"{value(m, 'smoothness', 3)})")
    else:
        text += (f"the methods off the plateau rank, lower first: Mean Distance (×10⁻³) {order('distance_e3', 2)}; "
                 f"Smoothness {order('smoothness', 3)}")
    if on:
        text += f"; {report.series(on)} {'is' if len(on) == 1 else 'are'} on the plateau there"
    return text + "."


def code_angles(loaded: dict, D: dict) -> dict:
    """``{method: degrees}``: how far off a test line's angle reads from the encoder's code of each committed curve run
    (:func:`vaelab.chapters.acai.code_angle_error`, against :data:`ANGLE_REFERENCE` other lines; 90 where the code
    holds nothing of the angle)."""
    n, seed = ANGLE_REFERENCE
    images, _, angles = lines.sample(n, seed=seed)
    queries = (D["test"]["x"], D["test"]["angle"])
    return {m: acai.code_angle_error(r["model"], (images, angles), queries) for m, r in loaded.items()}


def angle_text(errors: dict, loaded: dict) -> str:
    """Where a method ends on the plateau, whether its encoder or only its decoder is stuck there: the angle errors of
    :func:`code_angles` in words, set against the spacing of the reference lines (a code that tells every line from
    its neighbours reads the angle to within it; one that holds nothing of it is off by 90°). Empty when no method
    ends on the plateau."""
    on = [m for m in errors if not off_plateau(loaded[m]["record"]["curve"][-1])]
    if not on:
        return ""
    n = ANGLE_REFERENCE[0]
    spacing = 360 / n
    text = (f"Is it the encoder or the decoder that stays on the plateau? Read off the nearest of {n:,} other lines' "
            "codes, a test line's angle comes out of the encoder's code"
            + (" (the VQ-VAE's before quantisation)" if "VQ-VAE" in errors else "")
            + f" off by (mean; the reference lines lie {spacing:.2f}° apart on average, and a code that holds nothing "
            "of the angle is off by 90°): " + ", ".join(f"{m} {errors[m]:.2f}°" for m in sorted(errors, key=errors.get))
            + ".")
    for m in on:
        if errors[m] <= spacing:
            text += (f" {m}'s code tells every line from its neighbours, so its encoder has not collapsed to one code: "
                     "what stays on the plateau is its decoder, which draws one image whatever the code.")
        elif errors[m] >= 45:
            text += f" {m}'s code holds little of the angle: its encoder is on the plateau with its decoder."
        else:
            text += (f" {m}'s code holds the angle only coarsely (more than the reference lines' spacing), and its "
                     "decoder draws one image whatever the code.")
    return text


def _codes_used_text(curve: list) -> str:
    """The VQ-VAE's codebook vectors in use on the test lines along its curve (empty for the other methods)."""
    used = [(p["iter"], p["codes_used"]) for p in curve if "codes_used" in p]
    if not used:
        return ""
    if len({u for _, u in used}) == 1:
        n = used[0][1]
        return f", {report.count(n)} codebook {'vector' if n == 1 else 'vectors'} in use at every point"
    return ", codebook vectors in use: " + ", ".join(f"{u:,} at {it:,}" for it, u in used)


def codebook_return(decay: float, epsilon: float) -> int:
    """The update after which the VQ-VAE's unused codebook vectors are back at their initial size. The official EMA
    codebook (``lib/discretization.py``) sets a vector to its EMA mean over its Laplace-smoothed EMA count; an unused
    vector's count stays 0, so its smoothed count is about ``epsilon`` while its mean is its initial value shrunk by
    ``decay`` at every update: after t updates the vector is decay^t / epsilon times its initial value, far out of
    any code's reach at first (10⁵ times with the official 10⁻⁵) and back to its size after ln ε / ln decay updates."""
    if not (0 < decay < 1 and 0 < epsilon < 1):
        raise ValueError(f"decay and epsilon must lie in (0, 1), got decay={decay!r}, epsilon={epsilon!r}")
    return math.ceil(math.log(epsilon) / math.log(decay))


def codebook_text(record: dict, decay: float, epsilon: float) -> str:
    """For a VQ-VAE curve run that uses one codebook vector at the book's length and leaves the plateau later: where its
    training reconstruction term first falls to half its value at the book's length, beside :func:`codebook_return`.
    Empty otherwise."""
    curve, history = record["curve"], record.get("history") or []
    if curves.at(curve, BOOK).get("codes_used") != 1 or leaves_plateau(curve) is None:
        return ""
    recon = [(h["iter"], h["ae/recon"]) for h in history if "ae/recon" in h]
    before = [r for it, r in recon if it <= BOOK]
    if not before:
        return ""
    halved = next((it for it, r in recon if it > BOOK and r < before[-1] / 2), None)
    back = codebook_return(decay, epsilon)
    text = (f"The VQ-VAE quantises every test line to one codebook vector at the book's length. Its official EMA "
            f"codebook sets every vector it has not used to that vector's shrinking mean over a count of about "
            f"ε = {epsilon:g}, which leaves it decay^t / ε times its initial size: out of any code's reach at first, "
            f"back to its size after ln ε / ln decay = {back:,} updates (decay {decay:g}).")
    if halved is not None:
        gap = f"{abs(halved - back):,} updates {'after' if halved >= back else 'before'} that point"
        text += (f" Its training reconstruction term ({before[-1]:.4f} at {BOOK:,}) is first below half of that at "
                 f"{halved:,} (the record keeps it every {recon[1][0] - recon[0][0]:,} updates), {gap}.")
    return text


def findings(loaded: dict, book: dict | None = None) -> str:
    """The verdict in one plain sentence (:func:`_lead`), the methods ranked at equal length (:func:`ranking`), then
    each method's recon spread, Mean Distance and Smoothness at the book's length and at the curve's end, and how much
    the Mean Distance still moves; with the chapter's results ``book``, the recon spread of the book's own seeds at
    that length beside the curve's."""
    out = [_lead(loaded)] + [t for t in (ranking(loaded),) if t]
    for method in (m for m in CURVES if m in loaded):
        c = loaded[method]["record"]["curve"]
        b, e = curves.at(c, BOOK), c[-1]
        smooth = " → ".join("undefined" if not np.isfinite(p["smoothness"]) else f"{p['smoothness']:.3f}"
                            for p in (b, e))
        seeds = report.per_seed(book, acai.key(method, "lines", None), "recon_spread") if book else []
        beside = f" (the book's seeds: {', '.join(f'{v:.2f}' for v in seeds)})" if seeds else ""
        out.append(f"{method}: from {BOOK:,} to {e['iter']:,} iterations, recon spread {b['recon_spread']:.2f}"
                   f"{beside} → {e['recon_spread']:.2f}, Mean Distance {b['distance_e3']:.2f} → "
                   f"{e['distance_e3']:.2f} ×10⁻³ (it moves {curves.last_range(c, 'distance_e3'):.2f} over the last "
                   f"three points), Smoothness {smooth}"
                   + _codes_used_text(c) + ".")
    vq = loaded.get("VQ-VAE")
    if vq is not None:
        cfg = vq["model"].cfg if "model" in vq else VQVAEConfig()
        out += [t for t in (codebook_text(vq["record"], cfg.decay, cfg.epsilon),) if t]
    return " ".join(out)


def figure(loaded: dict):
    """The curves of :data:`PANELS`, the recon spread on a log axis above 10⁻³ (linear below, so that the plateau's
    near-zero spreads stay on the figure) with the plateau's edge drawn across it."""
    fig = curves.figure(loaded, PANELS, {f"book ({BOOK:,})": BOOK})
    ax = fig.axes[0]
    ax.set_yscale("symlog", linthresh=1e-3)   # linear below 10⁻³, where the plateau's spreads sit
    ax.axhline(acai.PLATEAU_SPREAD, color="0.3", lw=0.8, ls=":")
    ax.annotate("plateau below", (1, acai.PLATEAU_SPREAD), xycoords=("axes fraction", "data"), ha="right",
                va="top", fontsize=7, color="0.3")
    return fig


#: the command line names a curve by its method's weights slug (``--names ae acai``)
SLUGS = {acai.ALL[m][2]: m for m in CURVES}


def main(argv=None):
    curves.command(argv, module=__name__, description=__doc__.splitlines()[0], names=list(SLUGS),
                   total={slug: CURVES[m] for slug, m in SLUGS.items()}, threads=2, folder=CHAPTER, work=WORK,
                   key=lambda s, t, seed: key(SLUGS[s], t, seed),
                   setup=setup, train_one=lambda slug, total, seed, D: train_curve(SLUGS[slug], total, D, seed),
                   save_one=lambda slug, total, seed, D: save(SLUGS[slug], total, D, seed))


if __name__ == "__main__":
    main()
