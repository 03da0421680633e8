"""Tables and verdicts of the CelebA chapter, from the per-seed metrics of :func:`celeba_csvae.evaluate`."""
from __future__ import annotations

import numpy as np

from .. import report
from . import celeba_csvae as cc

EDIT_COLUMNS = {"success": "judged success %", "flips": "other attributes flipped %",
                "drift": "factor drift", "truth_mse": "MSE to the true edit",
                "truth_recon_mse": "reconstruction's MSE to the true edit"}
EDIT_DIGITS = {"success": 1, "flips": 1, "drift": 3, "truth_mse": 4, "truth_recon_mse": 4}
SUMMARY_COLUMNS = {"recon_mse": "reconstruction MSE", "kl_z": "KL of z (nats per face)",
                   "kl_w": "KL of w (nats per face)", "judge_recon": "judge on reconstructions %",
                   "drift_recon": "factor drift, reconstructions", "drift_unrelated": "factor drift, unrelated faces",
                   "interp_success": "interpolation ends in glasses %",
                   "interp_monotone": "interpolation monotone %"}
SUMMARY_DIGITS = {"recon_mse": 4, "kl_z": 1, "kl_w": 1, "judge_recon": 1, "drift_recon": 3, "drift_unrelated": 3,
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


def _versus(R, a: str, b: str, key: str, digits: int = 1, unit: str = " %") -> str:
    """"<a> x against <b> y (Welch p …)" with the direction said only where the test finds a difference."""
    va, vb = report.per_seed(R, a, key), report.per_seed(R, b, key)
    p = report.welch_p(va, vb)
    test = f"Welch p = {p:.2g}" if np.isfinite(p) else report.NO_TEST
    if np.isfinite(p) and p < 0.05:
        rel = "above" if np.mean(va) > np.mean(vb) else "below"
    elif np.isfinite(p):
        rel = "level with"
    else:
        rel = "beside"
    return (f"{a} {np.mean(va):.{digits}f}{unit} is {rel} {b}'s {np.mean(vb):.{digits}f}{unit} ({test})")


#: below this success rate (%) for every model, a finding names no model as the one whose edits are accepted most
FEW_EDITS = 10.0


def edit_findings(R: dict, models=cc.MODELS) -> str:
    """Per experiment: which model's edits the judge accepts most often, the CSVAE set beside the CondVAE, and
    (ToyFaces) how far the edit moved the other factors beside the true edit."""
    out = []
    for name, exp in cc.EXPERIMENTS.items():
        key = f"success_{name}"
        have = [m for m in models if report.per_seed(R, m, key)]
        if not have:
            continue
        best = max(have, key=lambda m: _mean(R, m, key))
        top = _mean(R, best, key)
        if top < FEW_EDITS:
            s = f"{exp.title}: the judge accepts few edits from any model (at most {top:.1f} %, from {best})"
        else:
            s = f"{exp.title}: the judge accepts most edits from {best} ({top:.1f} %)"
        if "CSVAE" in have and "CondVAE" in have:
            s += "; " + _versus(R, "CSVAE", "CondVAE", key)
        if report.per_seed(R, have[0], f"drift_{name}"):
            drifts = ", ".join(f"{m} {_mean(R, m, f'drift_{name}'):.3f}" for m in have)
            s += (f"; the judge's factor readings move by {drifts}, against "
                  f"{_mean(R, have[0], f'drift_truth_{name}'):.3f} for the true edit and "
                  f"{_mean(R, have[0], 'drift_unrelated'):.3f} between unrelated faces")
        out.append(s + ".")
    return " ".join(out)


def disentanglement_findings(R: dict, models=cc.MODELS) -> str:
    have = [m for m in models if report.per_seed(R, m, "mig")]
    if not have:
        return "The ground-truth scores need ToyFaces' factors; this dataset has none."
    parts = []
    for key, label in (("mig", "MIG"), ("dci_disentanglement", "DCI disentanglement"), ("sap", "SAP")):
        best = max(have, key=lambda m: _mean(R, m, key))
        parts.append(f"{label} is highest for {best} ({_mean(R, best, key):.3f})")
    s = "; ".join(parts)
    if "CSVAE" in have and "VAE" in have:
        s += "; " + _versus(R, "CSVAE", "VAE", "mig", 3, "")
    return s[0].upper() + s[1:] + "."


def information_findings(R: dict, models=cc.MODELS) -> str:
    """Where the latent's information sits: the KL of each model's latent per face, and the CSVAE's split between
    z and w."""
    have = [m for m in models if report.per_seed(R, m, "kl_z")]
    if not have:
        return ""
    s = "Per test face, the latent carries " + ", ".join(
        f"{_mean(R, m, 'kl_z') + (_mean(R, m, 'kl_w') if m == 'CSVAE' else 0):.1f} nats ({m})" for m in have)
    if "CSVAE" in have and report.per_seed(R, "CSVAE", "kl_w"):
        z, w = _mean(R, "CSVAE", "kl_z"), _mean(R, "CSVAE", "kl_w")
        c = cc.ConvCSVAEConfig()
        where = "w" if w > z else "z"
        s += (f". The CSVAE puts {z:.1f} nats in z and {w:.1f} in w: with the notebook's weights (the KL on w "
              f"weighs {c.beta2:g} per face against {c.beta3:g} on z) the face is coded mostly in {where}")
        if where == "w":
            s += (", so an edit that replaces a subspace w_i by its prior mean also replaces what w_i carried "
                  "about the rest of the face")
    return s + "."
