"""One face-editing benchmark across the book: every method that edits a ToyFaces attribute, on the same test
faces, scored by the same judge against the true edit that ToyFaces draws.

Methods (:data:`METHODS`), as their chapters train them (nothing is trained here): the VAE's attribute
direction (``z + Δy · directions``), CondVAE, CondVAE-info and the CSVAE of :mod:`vaelab.chapters.celeba_csvae`
(with the notebook's and with the paper's loss weights), each by its own ``manipulate``; Press et al.'s
common/specific split of :mod:`vaelab.chapters.domain_translation` (its ``glasses`` model for the glasses, its
``beard`` model for the moustache), adding with the specific code of a test face that has the attribute (a donor,
fixed per seed), removing with a zero specific code.

Edits (:data:`EDITS`): add and remove Eyeglasses, add and remove a Mustache; the moustache edits use men with
no beard and no goatee, so that every method's edit has one true answer.

Metrics per edit ``e`` (:func:`score`, a pure function of the judge's readings and the images): ``success_e``,
% of edited faces the judge reads with the attribute at its target value, beside ``recon_success_e``, the same
for the plain reconstructions (a blurred reconstruction may lose a thin attribute without any edit);
``mse_e``, the edit's MSE to the true edit, beside ``recon_mse_e``, the reconstruction's (the blur every edit
carries); ``drift_e``, mean |Δ| of the judge's 14 factor targets between input and edit; ``flips_e``, % of the
judge's decisions on the 16 other attributes that change between input and edit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ... import report, runs
from ...models.domain_translation import to_unit
from ...nets import ConvDecoder, channels_last
from .. import celeba_csvae as cc
from .. import domain_translation as dt
from ..shared import chunks

PRESS = "Press et al."
METHODS = (*cc.MODELS, PRESS)


@dataclass(frozen=True)
class Edit:
    attribute: str    # the ToyFaces attribute the edit sets (one of celeba_csvae.LABELS)
    value: int        # its value after the edit
    source: dict      # attribute -> value of the test faces edited
    domain: str       # the domain-translation model that edits it


EDITS = {
    "add glasses": Edit("Eyeglasses", 1, {"Eyeglasses": 0}, "glasses"),
    "remove glasses": Edit("Eyeglasses", 0, {"Eyeglasses": 1}, "glasses"),
    "add a moustache": Edit("Mustache", 1, {"Male": 1, "Mustache": 0, "Goatee": 0, "No_Beard": 1}, "beard"),
    "remove a moustache": Edit("Mustache", 0, {"Male": 1, "Mustache": 1, "Goatee": 0, "No_Beard": 1}, "beard"),
}
#: the metrics of one edit, with their table headers
COLUMNS = {"success": "judged success %", "recon_success": "its reconstruction judged so %",
           "mse": "MSE to the true edit",
           "recon_mse": "its reconstruction's MSE to the true edit", "drift": "factor drift",
           "flips": "other attributes flipped %"}
DIGITS = {"success": 1, "recon_success": 1, "mse": 4, "recon_mse": 4, "drift": 3, "flips": 1}
#: the two rows every edit is compared with: ToyFaces' own edit, and no edit at all
TRUTH, INPUT = "ToyFaces' true edit", "no edit (the input)"
#: the verdict's words: a method "alone" adds where every other stays below ONLY_BELOW % judged success; a
#: model's reconstruction "loses" an attribute where the judge misses it on at least LOST_FROM % of them
ONLY_BELOW, LOST_FROM = 10.0, 90.0


def _mask(attrs: torch.Tensor, names, condition: dict) -> torch.Tensor:
    a = dt.attr_dict(attrs, names)
    m = torch.ones(len(attrs), dtype=torch.bool)
    for k, v in condition.items():
        m &= a[k] == bool(v)
    return m


def _take(part: dict, idx: torch.Tensor) -> dict:
    return {"x": part["x"][idx], "attrs": part["attrs"][idx],
            "factors": {k: v[idx] for k, v in part["factors"].items()}}


def sets(D: dict, n: int) -> dict:
    """``{edit: {"faces", "donors"}}``: the first ``n`` test faces that meet the edit's condition (``n_eval`` of
    the CelebA chapter's profile: fewer where fewer meet it), and the test
    faces that have the attribute under the same condition (Press et al.'s donors for an addition)."""
    if "factors" not in D["test"]:
        raise ValueError(f"the face-editing benchmark needs ToyFaces (the true edits), not {D['dataset']!r}")
    te, names = D["test"], D["attributes"]
    out = {}
    for name, e in EDITS.items():
        idx = torch.nonzero(_mask(te["attrs"], names, e.source)).flatten()[:n]
        donor = torch.nonzero(_mask(te["attrs"], names, {**e.source, e.attribute: 1})).flatten()
        if len(idx) == 0 or len(donor) == 0:
            raise ValueError(f"edit {name!r}: {len(idx)} test faces meet {e.source} and {len(donor)} have "
                             f"{e.attribute}; draw more images (n_images)")
        out[name] = {"faces": _take(te, idx), "donors": _take(te, donor)}
    return out


def _target(faces: dict, e: Edit, names) -> tuple[torch.Tensor, torch.Tensor]:
    """The faces' labels (:data:`celeba_csvae.LABELS`) and the same with the edit's attribute at its value."""
    y = cc.labels(faces, names)
    y_new = y.clone()
    y_new[:, cc.LABELS.index(e.attribute)] = float(e.value)
    return y, y_new


def truth(faces: dict, e: Edit, names) -> torch.Tensor:
    """ToyFaces' answer in [0, 1]: every face redrawn with the attribute at its target value."""
    return cc.true_edit(faces, _target(faces, e, names)[1], names)


def donors(n: int, n_donors: int, seed: int) -> torch.Tensor:
    """The donor of each face for Press et al.'s addition: a fixed random choice per seed."""
    return torch.from_numpy(np.random.default_rng([seed, 31]).integers(0, n_donors, n))


@torch.no_grad()
def apply(method: str, model, S: dict, e: Edit, names, seed: int, directions=None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(edited, reconstructed)`` faces in [0, 1]: the method's edit of the set's faces and its plain
    reconstruction of them."""
    x = S["faces"]["x"]
    if method == PRESS:
        has = e.value == 0   # the faces edited have the attribute when it is removed
        if e.value:
            d = S["donors"]["x"][donors(len(x), len(S["donors"]["x"]), seed)]
            out = chunks(model.add_attribute, x, d)
        else:
            out = chunks(model.remove_attribute, x)
        return to_unit(out), to_unit(chunks(lambda b: model.reconstruct(b, has), x))
    y, y_new = _target(S["faces"], e, names)
    with channels_last(*[m for m in model.modules() if isinstance(m, ConvDecoder)]):
        return cc.edit(model, x, y, y_new, directions), to_unit(chunks(model.reconstruct, x, y))


def score(read_in: dict, read_out: dict, read_rec: dict, out: torch.Tensor, recon: torch.Tensor,
          true: torch.Tensor, column: int, value: int) -> dict:
    """The metrics of one edit (module docstring) from the judge's readings of the inputs, the edited faces and
    the reconstructions (``{"attrs": probabilities, "factors"}``), the edited faces, the reconstructions and the
    true edit (all in [0, 1]); ``column``: the edited attribute's column in the readings, ``value``: its
    target."""
    keep = torch.ones(read_in["attrs"].shape[1], dtype=torch.bool)
    keep[column] = False
    flips = ((read_in["attrs"] > 0.5) != (read_out["attrs"] > 0.5))[:, keep]
    judged = lambda r: 100 * float(((r["attrs"][:, column] > 0.5) == bool(value)).float().mean())  # noqa: E731
    return {"success": judged(read_out), "recon_success": judged(read_rec),
            "mse": float(((out - true) ** 2).mean()), "recon_mse": float(((recon - true) ** 2).mean()),
            "drift": float((read_in["factors"] - read_out["factors"]).abs().mean()),
            "flips": 100 * float(flips.float().mean())}


def reference(E: dict, judge, names) -> dict:
    """Per edit, the judge's reading of the inputs, the true edits and their reading, and the two reference
    rows: the truth scored as an edit, and the input left unedited."""
    out = {}
    for name, e in EDITS.items():
        S = E[name]
        x = S["faces"]["x"].float() / 255
        t = truth(S["faces"], e, names)
        r_in, r_t = judge.read(S["faces"]["x"]), judge.read(t)
        col = list(names).index(e.attribute)
        out[name] = {"read": r_in, "truth": t,
                     TRUTH: score(r_in, r_t, r_t, t, t, t, col, e.value),
                     INPUT: score(r_in, r_in, r_in, x, x, t, col, e.value)}
    return out


def evaluate(method: str, model, E: dict, ref: dict, judge, names, seed: int, directions=None) -> dict:
    """``{"<metric>_<edit>": value}`` for one trained model, and its edited faces (``"images"``)."""
    metrics, images = {}, {}
    for name, e in EDITS.items():
        m = model[e.domain] if method == PRESS else model
        out, rec = apply(method, m, E[name], e, names, seed, directions)
        s = score(ref[name]["read"], judge.read(out), judge.read(rec), out, rec, ref[name]["truth"],
                  list(names).index(e.attribute), e.value)
        metrics.update({f"{k}_{name}": v for k, v in s.items()})
        images[name] = out
    return {"metrics": metrics, "images": images}


def run(params, D: dict, J: dict, progress: bool = True) -> dict:
    """Load (or, with ``train``, train) every method's runs through its own chapter and score them:
    ``{(method, seed): {"metrics", "images", "record"}}``, with the edit sets and the true edits' and plain
    reconstructions' scores in ``extra["sets"]`` and ``extra["reference"]``."""
    names = D["attributes"]
    E = sets(D, cc.PROFILES[params.profile].n_eval)
    ref = reference(E, J["model"], names)
    faces = cc.run(params, D, J, progress=progress, evaluate_loaded=False)
    domains = sorted({e.domain for e in EDITS.values()})
    press = dt.run(params, D, J, domains=domains, progress=progress, evaluate_loaded=False)
    prof = cc.PROFILES[params.profile]
    out = runs.Results()
    for seed in params.seeds:
        for method in METHODS:
            if method == PRESS:
                model = {d: press[(d, seed)]["model"] for d in domains}
                record = {d: press[(d, seed)]["record"] for d in domains}
                directions = None
            else:
                model, record = faces[(method, seed)]["model"], faces[(method, seed)]["record"]
                directions = cc.directions_for(model, D, prof)
            out[(method, seed)] = {**evaluate(method, model, E, ref, J["model"], names, seed, directions),
                                   "record": record}
    out.extra["sets"], out.extra["reference"] = E, ref
    return out


# ---------------------------------------------------------------------------------------------- tables
def table(R: dict):
    """One row per (edit, method) with the two reference rows, one column per metric: mean ± sd over seeds."""
    import pandas as pd

    ref = R.extra["reference"]
    rows = {}
    for name in EDITS:
        for method in METHODS:
            rows[(name, method)] = {COLUMNS[k]: report.cell(report.per_seed(R, method, f"{k}_{name}"), DIGITS[k])
                                    for k in COLUMNS}
        for row in (TRUTH, INPUT):
            rows[(name, row)] = {COLUMNS[k]: f"{ref[name][row][k]:.{DIGITS[k]}f}" for k in COLUMNS}
        for row in (TRUTH, INPUT):
            for k in ("recon_success", "recon_mse"):
                rows[(name, row)][COLUMNS[k]] = "—"
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.names = ["edit", "method"]
    return df


def counts(R: dict) -> dict:
    """Test faces per edit."""
    return {name: len(S["faces"]["x"]) for name, S in R.extra["sets"].items()}


def _mean(R, method, key) -> float:
    return float(np.mean(report.per_seed(R, method, key)))


def best(R: dict, edit: str) -> tuple[str, str]:
    """The method with the highest mean judged success on ``edit``, and the runner-up."""
    order = sorted(METHODS, key=lambda m: -_mean(R, m, f"success_{edit}"))
    return order[0], order[1]


def closer_than_reconstruction(R: dict, method: str, edit: str) -> bool:
    """The edit is closer to the true edit than the model's own reconstruction of the input, in every seed."""
    a, b = report.per_seed(R, method, f"mse_{edit}"), report.per_seed(R, method, f"recon_mse_{edit}")
    return bool(a) and all(x < y for x, y in zip(a, b))


def _what(edit: str) -> str:
    return edit.split(" ", 1)[1]   # "add glasses" -> "glasses"


def findings(R: dict) -> dict:
    """The page's verdict, one plain sentence (who adds what the judge sees; whether removing tells the methods
    apart), and its details: the verdict's numbers, then the best two per edit and the edits closer to the truth
    than their own reconstruction, all from the numbers."""
    import warnings

    ref = R.extra["reference"]
    adds = [n for n, e in EDITS.items() if e.value]
    removes = [n for n, e in EDITS.items() if not e.value]
    leaders = {n: best(R, n)[0] for n in adds}
    top = max(_mean(R, m, f"success_{n}") for m in METHODS for n in adds)
    named = None   # the one method the verdict names as the adder
    if len(set(leaders.values())) == 1:
        m = leaders[adds[0]]
        rest = max(_mean(R, o, f"success_{n}") for n in adds for o in METHODS if o != m)
        rates = " and ".join(f"{_what(n)} on {_mean(R, m, f'success_{n}'):.1f} %" for n in adds)
        numbers = f"{m} adds {rates} of the faces (the other {len(METHODS) - 1} methods: at most {rest:.1f} %)"
        if top < ONLY_BELOW:
            verdict = "No method adds attributes that the judge sees"
        elif rest < ONLY_BELOW and min(_mean(R, m, f"success_{n}") for n in adds) >= ONLY_BELOW:
            verdict, named = f"Only {m} adds attributes that the judge sees", m
        else:
            verdict, named = f"{m} leads every addition", m
    else:
        verdict = "No method adds attributes that the judge sees" if top < ONLY_BELOW else \
            "No method leads every addition"
        numbers = ", ".join(f"{leaders[n]} adds {_what(n)} most often ({_mean(R, leaders[n], f'success_{n}'):.1f} %)"
                            for n in adds)
    numbers += "."
    blurred = [m for m in METHODS if all(_mean(R, m, f"recon_success_{n}") >= LOST_FROM for n in removes)]
    if blurred:
        kept = [m for m in METHODS if m not in blurred]
        if not kept:
            who = "every method"
        elif kept == [named]:
            who = "the other " + report.count(len(blurred))
        else:
            who = report.series(blurred)
        loses = "loses" if who == "every method" or len(blurred) == 1 else "lose"
        verdict += (f", and removing cannot tell the methods apart, because {who} {loses} both attributes even in "
                    "plain reconstruction")
        low = min(_mean(R, m, f"recon_success_{n}") for m in blurred for n in removes)
        numbers += (f" {report.series(blurred)} {'loses' if len(blurred) == 1 else 'lose'} both attributes in plain "
                    f"reconstruction (at least {low:.1f} % of reconstructions judged without)")
        if kept:
            numbers += ", while " + ", ".join(
                f"{m} keeps them in reconstruction (at most "
                f"{max(_mean(R, m, f'recon_success_{n}') for n in removes):.1f} % judged without) and removes them "
                f"by the edit on " + " and ".join(f"{_mean(R, m, f'success_{n}'):.1f} %" for n in removes)
                for m in kept)
        numbers += "."
    verdict += "."
    per_edit = []
    for name in EDITS:
        first, second = best(R, name)
        a, b = (report.per_seed(R, m, f"success_{name}") for m in (first, second))
        with warnings.catch_warnings():   # seeds that all score 100 % have no spread to test
            warnings.simplefilter("ignore", RuntimeWarning)
            p = report.welch_p(a, b)
        sig = f"Welch p = {p:.2g}" if np.isfinite(p) else report.NO_TEST
        per_edit.append(f"{name}: {first} {np.mean(a):.1f} %, then {second} {np.mean(b):.1f} % ({sig}; the true "
                        f"edit {ref[name][TRUTH]['success']:.1f} %, no edit {ref[name][INPUT]['success']:.1f} %)")
    closer = [(m, n) for m in METHODS for n in EDITS if closer_than_reconstruction(R, m, n)]
    details = numbers + " Judged success, best two: " + "; ".join(per_edit) + ". "
    details += ("Closer to the true edit than its own reconstruction in every seed: "
                + (", ".join(f"{m} ({n})" for m, n in closer) if closer else "no method on any edit") + ".")
    return {"verdict": verdict, "details": details}


def lengths(R: dict) -> str:
    """The training length of every method's runs, from their records."""
    seed = next(s for (m, s) in R if m == METHODS[0])
    out = []
    for m in METHODS:
        rec = R[(m, seed)]["record"]
        its = sorted({r.get("iterations") for r in rec.values()}) if m == PRESS else [rec.get("iterations")]
        out.append(f"{m} {' / '.join(f'{i:,}' for i in its if i is not None)}")
    return ", ".join(out)


# --------------------------------------------------------------------------------------------- figures
def figure(R: dict, seed: int, per_edit: int = 3):
    """One row per method (seed ``seed``) under the inputs and the true edits: ``per_edit`` faces per edit."""
    from ...plots import image_rows

    E, ref = R.extra["sets"], R.extra["reference"]
    cut = lambda t: t[:per_edit]  # noqa: E731
    rows = [torch.cat([cut(E[n]["faces"]["x"]).float() / 255 for n in EDITS]),
            torch.cat([cut(ref[n]["truth"]) for n in EDITS])]
    labels = ["input", "true edit"]
    for m in METHODS:
        imgs = R[(m, seed)]["images"]
        rows.append(torch.cat([cut(imgs[n]) for n in EDITS]))
        labels.append(m)
    title = "  |  ".join(EDITS) + f"  ({per_edit} faces each, seed {seed})"
    return image_rows(rows, labels, title=title)
