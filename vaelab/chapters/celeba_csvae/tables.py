"""Tables and verdicts of the CelebA chapter, from the per-seed metrics of :func:`celeba_csvae.evaluate`."""
from __future__ import annotations

import numpy as np

from ... import report
from .. import celeba_csvae as cc

EDIT_COLUMNS = {"success": "judged success %", "flips": "other attributes flipped %",
                "drift": "factor drift", "truth_mse": "MSE to the true edit",
                "truth_recon_mse": "reconstruction's MSE to the true edit"}
EDIT_DIGITS = {"success": 1, "flips": 1, "drift": 3, "truth_mse": 4, "truth_recon_mse": 4}
SUMMARY_COLUMNS = {"recon_mse": "reconstruction MSE", "kl_z": "KL of z (nats per face)",
                   "kl_w": "KL of w (nats per face)", "probe_z": "per-label probe accuracy on z, mean %",
                   "probe_z_bits": "label information in z (bits)", "judge_recon": "judge on reconstructions %",
                   "drift_recon": "factor drift, reconstructions", "drift_unrelated": "factor drift, unrelated faces",
                   "interp_success": "interpolation ends in glasses %",
                   "interp_monotone": "interpolation monotone %"}
SUMMARY_DIGITS = {"recon_mse": 4, "kl_z": 1, "kl_w": 1, "probe_z": 1, "probe_z_bits": 2, "judge_recon": 1,
                  "drift_recon": 3, "drift_unrelated": 3,
                  "interp_success": 1, "interp_monotone": 1}
DIS_COLUMNS = {"mig": "MIG", "dci_disentanglement": "DCI disentanglement", "dci_completeness": "DCI completeness",
               "dci_informativeness": "DCI informativeness", "sap": "SAP"}


def _present(R, columns, models):
    return {k: v for k, v in columns.items() if any(report.per_seed(R, m, k) for m in models)}


def edit_table(R: dict, experiment: str, models=cc.MODELS):
    """One row per model: the experiment's numbers, mean ± sd over seeds."""
    cols = {f"{k}_{experiment}": v for k, v in EDIT_COLUMNS.items()}
    digits = {f"{k}_{experiment}": d for k, d in EDIT_DIGITS.items()}
    return report.table(R, models, _present(R, cols, models), digits)


def summary_table(R: dict, models=cc.MODELS):
    return report.table(R, models, _present(R, SUMMARY_COLUMNS, models), SUMMARY_DIGITS)


def judge_recon_table(R: dict, models=cc.MODELS):
    """The judge's accuracy per label on each model's reconstructions, beside the real faces (one column)."""
    import pandas as pd

    cols = {}
    first = next((m for m in models if report.per_seed(R, m, f"judge_real_{cc.LABELS[0]}")), None)
    if first is not None:
        cols["real faces"] = [f"{_mean(R, first, f'judge_real_{k}'):.1f}" for k in cc.LABELS]
    for m in models:
        cols[m] = [report.cell(report.per_seed(R, m, f"judge_recon_{k}"), 1) for k in cc.LABELS]
    return pd.DataFrame(cols, index=list(cc.LABELS))


def disentanglement_table(R: dict, models=cc.MODELS):
    return report.table(R, models, _present(R, DIS_COLUMNS, models), 3)


def _mean(R, m, k) -> float:
    v = report.per_seed(R, m, k)
    return float(np.mean(v)) if v else float("nan")


def _relation(R, a: str, b: str, key: str) -> tuple[str, float]:
    """("above" | "below" | "level with" | "beside", Welch p) of model ``a`` against ``b``: a direction only
    where the test finds a difference, "beside" where there is no test."""
    va, vb = report.per_seed(R, a, key), report.per_seed(R, b, key)
    p = report.welch_p(va, vb)
    if report.significant(p):
        return ("above" if np.mean(va) > np.mean(vb) else "below"), p
    return ("level with" if np.isfinite(p) else "beside"), p


def _versus(R, a: str, b: str, key: str, digits: int = 1, unit: str = " %") -> str:
    """"<a> x against <b> y (Welch p …)" with the direction said only where the test finds a difference."""
    rel, p = _relation(R, a, b, key)
    test = f"Welch p = {p:.2g}" if np.isfinite(p) else report.NO_TEST
    va, vb = report.per_seed(R, a, key), report.per_seed(R, b, key)
    return (f"{a} {np.mean(va):.{digits}f}{unit} is {rel} {b}'s {np.mean(vb):.{digits}f}{unit} ({test})")


#: below this success rate (%) for every model, a finding names no model as the one whose edits are accepted most
FEW_EDITS = 10.0
#: each experiment in a verdict's words ("the glasses edits")
PLAIN = {"eyeglasses": "glasses", "eyeglasses_smiling": "glasses-and-smile", "male": "gender", "makeup": "make-up"}


def _edits(names, article: str = "the ") -> str:
    return article + report.series([PLAIN.get(n, cc.EXPERIMENTS[n].title) for n in names]) + " edits"


def _edit_lead(few: list, best_of: dict, rel: dict, rel_paper: dict | None = None) -> str:
    """One plain sentence: the experiments whose edits the judge accepts from no model, the model it accepts
    most from in the others, and where the CSVAE stands against the CondVAE (``rel``: experiment -> relation),
    with the notebook's weights and (``rel_paper``) with the paper's."""
    parts = []
    if few:
        parts.append(f"the judge accepts few of any model's {_edits(few, '')}")
    if best_of:
        parts.append(("it" if few else "the judge") + " accepts " + report.series(
            f"{_edits(ns)}{' most often' if i == 0 else ''} from {m}" for i, (m, ns) in enumerate(best_of.items())))
    s = "; ".join(parts)
    first = _against(rel, "the CSVAE")
    s += first + _against(rel_paper or {}, f"the {cc.PAPER_CSVAE}", "; " if first else ", and ")
    return s[0].upper() + s[1:] + "."


def _against(rel: dict, who: str, join: str = ", and ") -> str:
    """"<join><who> is above the CondVAE on … but below it on …" from ``rel`` (experiment -> relation)."""
    above, below = ([n for n, r in rel.items() if r == w] for w in ("above", "below"))
    tested = "beside" not in rel.values()
    if above and below:
        return f"{join}{who} is above the CondVAE on {_edits(above)} but below it on {_edits(below)}"
    if above or below:
        one, other = ("above", "below") if above else ("below", "above")
        return (f"{join}{who} is never {other} the CondVAE and is {one} it on {_edits(above or below)}" if tested
                else f"{join}{who} is {one} the CondVAE on {_edits(above or below)}")
    if rel and tested:
        return f"{join}{who} is never above or below the CondVAE"
    return ""


def edit_findings(R: dict, models=cc.MODELS) -> str:
    """One plain sentence (:func:`_edit_lead`), then per experiment: which model's edits the judge accepts most
    often, each CSVAE (the notebook's and the paper's loss weights) set beside the CondVAE, and (ToyFaces) how far
    the edit moved the other factors beside the true edit."""
    out, few, best_of, rel, rel_paper = [], [], {}, {}, {}
    for name, exp in cc.EXPERIMENTS.items():
        key = f"success_{name}"
        have = [m for m in models if report.per_seed(R, m, key)]
        if not have:
            continue
        best = max(have, key=lambda m: _mean(R, m, key))
        top = _mean(R, best, key)
        if top < FEW_EDITS:
            few.append(name)
            s = f"{exp.title}: the judge accepts few edits from any model (at most {top:.1f} %, from {best})"
        else:
            best_of.setdefault(best, []).append(name)
            s = f"{exp.title}: the judge accepts most edits from {best} ({top:.1f} %)"
        if "CSVAE" in have and "CondVAE" in have:
            rel[name] = _relation(R, "CSVAE", "CondVAE", key)[0]
            s += "; " + _versus(R, "CSVAE", "CondVAE", key)
        if cc.PAPER_CSVAE in have and "CondVAE" in have:
            rel_paper[name] = _relation(R, cc.PAPER_CSVAE, "CondVAE", key)[0]
            s += "; " + _versus(R, cc.PAPER_CSVAE, "CondVAE", key)
        if report.per_seed(R, have[0], f"drift_{name}"):
            drifts = ", ".join(f"{m} {_mean(R, m, f'drift_{name}'):.3f}" for m in have)
            s += (f"; the judge's factor readings move by {drifts}, against "
                  f"{_mean(R, have[0], f'drift_truth_{name}'):.3f} for the true edit and "
                  f"{_mean(R, have[0], 'drift_unrelated'):.3f} between unrelated faces")
        out.append(s + ".")
    return " ".join([_edit_lead(few, best_of, rel, rel_paper), *out]) if out else ""


def disentanglement_findings(R: dict, models=cc.MODELS) -> str:
    """One plain sentence (which model scores highest on each ground-truth score, and each CSVAE's MIG against the
    VAE's), then the numbers."""
    have = [m for m in models if report.per_seed(R, m, "mig")]
    if not have:
        return "The ground-truth scores need ToyFaces' factors; this dataset has none."
    parts, leads = [], {}
    for key, label in (("mig", "MIG"), ("dci_disentanglement", "DCI disentanglement"), ("sap", "SAP")):
        best = max(have, key=lambda m: _mean(R, m, key))
        leads.setdefault(best, []).append(label)
        parts.append(f"{label} is highest for {best} ({_mean(R, best, key):.3f})")
    said = [f"{m} scores highest on {report.series(labels)}" for m, labels in leads.items()]
    lead = " while ".join(said) if len(said) == 2 else report.series(said)
    s = "; ".join(parts)
    rels = []
    for m in (m for m in ("CSVAE", cc.PAPER_CSVAE) if m in have and "VAE" in have):
        s += "; " + _versus(R, m, "VAE", "mig", 3, "")
        rel = _relation(R, m, "VAE", "mig")[0]
        if rel != "beside":
            rels.append(f"{m}'s MIG is {rel} VAE's")
    if rels:
        lead += ", and " + report.series(rels)
    return f"{lead}. {s[0].upper() + s[1:]}."


def information_findings(R: dict, models=cc.MODELS) -> str:
    """Where the latent's information sits: one plain sentence (whose latent carries the most, and where the CSVAE
    codes the face), then the KL of each model's latent per face, the CSVAE's split between z and w, and how much
    of the labels a linear probe reads off z."""
    have = [m for m in models if report.per_seed(R, m, "kl_z")]
    if not have:
        return ""
    has_w = [m for m in have if report.per_seed(R, m, "kl_w")]
    total = {m: _mean(R, m, 'kl_z') + (_mean(R, m, 'kl_w') if m in has_w else 0) for m in have}
    most = max(have, key=total.get)
    lead = f"The {most}'s latent carries the most information per test face"
    s = "Per test face, the latent carries " + ", ".join(f"{total[m]:.1f} nats ({m})" for m in have)
    weights = {"CSVAE": ("the notebook's weights", cc.ConvCSVAEConfig()),
               cc.PAPER_CSVAE: ("the paper's weights", cc.ConvCSVAEConfig.paper())}
    where = {m: "w" if _mean(R, m, "kl_w") > _mean(R, m, "kl_z") else "z" for m in has_w if m in weights}
    coded = []
    for m, w in where.items():
        who = "it" if most == m and not coded else f"the {m}"
        coded.append(f"{who} codes the face mostly in {w}, " + (
            "the latent meant for the attributes, so its edits also replace some of the rest of the face" if w == "w"
            else "the latent meant for all but the attributes"))
    if coded:
        lead += ", and " + "; ".join(coded)
    for m, w in where.items():
        label, c = weights[m]
        s += (f". The {m} puts {_mean(R, m, 'kl_z'):.1f} nats in z and {_mean(R, m, 'kl_w'):.1f} in w: with {label} "
              f"(the KL on w weighs {c.beta2:g} per face against {c.beta3:g} on z) the face is coded mostly in {w}")
        if w == "w":
            s += (", so an edit that replaces a subspace w_i by its prior mean also replaces what w_i carried "
                  "about the rest of the face")
    probed = [m for m in have if report.per_seed(R, m, "probe_z")]
    if probed:
        s += (". A linear probe per label reads a label off z on "
              + ", ".join(f"{_mean(R, m, 'probe_z'):.1f} % ({m})" for m in probed)
              + " of the test faces on average over the seven labels, against "
              f"{_mean(R, probed[0], 'probe_z_majority'):.1f} % for always answering the commoner label; the "
              "Barber-Agakov lower bounds on each label's information in z, summed over the seven labels, are "
              + ", ".join(f"{_mean(R, m, 'probe_z_bits'):.2f} bits ({m})" for m in probed)
              + ", where the CondVAEs' conditioning and the CSVAEs' adversaries are meant to leave none")
    return f"{lead}. {s}."
