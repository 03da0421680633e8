"""CSVAE against CondVAE, CondVAE-info and a VAE on faces (Klys, Snell, Zemel, NeurIPS'18, CelebA), after
alexlyzhov/latent-subspaces and its slides. Figures: :mod:`vaelab.chapters.celeba_csvae.figures`; the
convergence curves: :mod:`~vaelab.chapters.celeba_csvae.length`; the adversary ablation:
:mod:`~vaelab.chapters.celeba_csvae.ablation`.

Every model is conditioned on the seven attributes of the slides' experiments (:data:`LABELS`). The CSVAE trains
twice, with the notebook's loss weights ("CSVAE") and with the paper's (:data:`PAPER_CSVAE`). Per seed the
VAE trains first; CSVAE, CondVAE and CondVAE-info copy its convolutions
(:func:`vaelab.models.conv_vae.copy_convolutions`) and train on. The face judge (:mod:`vaelab.metrics.face_judge`)
scores every edit. Metrics (:func:`evaluate`), on test faces; "drift" is the mean |Δ| of the judge's 14 factor
targets ([0, 1] units). The drifts, the true-edit metrics and the disentanglement scores need the generator's
ground truth: ToyFaces only.

* ``recon_mse`` (per element, [0, 1] units); ``judge_recon``, the judge's accuracy (%) on the seven labels of
  the reconstructions, per label ``judge_recon_<label>`` beside ``judge_real_<label>`` on the real faces;
  ``drift_recon`` (input to reconstruction) and ``drift_unrelated`` (between unrelated test faces);
* ``kl_z`` (and the CSVAE's ``kl_w``): mean KL per face in nats of the posterior to its prior (:func:`kl_terms`);
* ``probe_z`` (and per label ``probe_z_<label>``), % of test faces whose label a linear probe reads off z, beside
  ``probe_z_majority`` (and ``probe_z_majority_<label>``); ``probe_z_bits``: how much of the labels z still holds
  (:func:`label_probes`);
* per experiment ``e`` of :data:`EXPERIMENTS` (``n_eval`` faces that meet its source condition):
  ``success_e``, % of edits on which the judge reads every target attribute at its target value;
  ``flips_e``, % of its decisions on the other ten attributes that change; ``drift_e`` (input to edit) and
  ``drift_truth_e`` (input to the true edit, the same face redrawn with the target attributes);
  ``truth_mse_e``, the edit's MSE to the true edit, beside ``truth_recon_mse_e``, the reconstruction's;
  ``success_mean``, the mean of the ``success_e``, the page's headline (:func:`success_mean`);
* glasses interpolation (8 steps from faces without glasses): ``interp_success``, % of paths whose last face
  the judge reads as wearing glasses; ``interp_monotone``, % of paths whose glasses probability never falls
  by more than 0.05 from one step to the next;
* ``mig``, ``dci_disentanglement``, ``dci_completeness``, ``dci_informativeness`` (test) and ``sap``
  (:mod:`vaelab.metrics.disentanglement`, DCI with gradient-boosted trees) of the posterior means (the VAE's
  and CondVAEs' z, the CSVAE's (z, w)) of ``n_dis`` training and ``n_dis`` test faces against the 14 factor
  targets and the seven labels.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from ... import runs
from ...data import toyfaces
from ...metrics import disentanglement as dis
from ...metrics.face_judge import factor_targets
from ...models.conv_csvae import ConvCSVAE, ConvCSVAEConfig
from ...models.conv_cvae import ConvCondVAE, ConvCondVAEConfig
from ...models.conv_vae import ConvVAE, ConvVAEConfig, attribute_directions, copy_convolutions
from ...nets import ConvDecoder, channels_last
from ..shared import chunks, mse

CHAPTER = "celeba_csvae"
LABELS = ("Eyeglasses", "Smiling", "Male", "Heavy_Makeup", "Wearing_Lipstick", "Receding_Hairline", "Mustache")
#: the CSVAE trained with the paper's loss weights (:meth:`ConvCSVAEConfig.paper`); "CSVAE" has the notebook's
PAPER_CSVAE = "CSVAE-paper"
MODELS = ("VAE", "CondVAE", "CondVAE-info", "CSVAE", PAPER_CSVAE)
SLUG = {"VAE": "vae", "CondVAE": "condvae", "CondVAE-info": "condvae_info", "CSVAE": "csvae",
        PAPER_CSVAE: "csvae_paper"}


@dataclass(frozen=True)
class Experiment:
    title: str
    target: dict    # label -> value after the edit
    source: dict    # label -> value the edited test faces have


#: the slides' four experiments
EXPERIMENTS = {
    "eyeglasses": Experiment("Eyeglasses", {"Eyeglasses": 1}, {"Eyeglasses": 0}),
    "eyeglasses_smiling": Experiment("Eyeglasses + Smiling", {"Eyeglasses": 1, "Smiling": 1},
                                     {"Eyeglasses": 0, "Smiling": 0}),
    "male": Experiment("Male without Heavy_Makeup and Wearing_Lipstick",
                       {"Male": 1, "Heavy_Makeup": 0, "Wearing_Lipstick": 0}, {"Male": 0}),
    "makeup": Experiment("Heavy_Makeup without Male, Receding_Hairline, Eyeglasses and Mustache",
                         {"Heavy_Makeup": 1, "Male": 0, "Receding_Hairline": 0, "Eyeglasses": 0, "Mustache": 0},
                         {"Heavy_Makeup": 0}),
}
INTERP_STEPS = 8


@dataclass(frozen=True)
class Profile:
    n_images: int           # ToyFaces drawn (seed 0), CelebA's partition fractions (the face judge's set)
    width: int              # the networks' base width (the reference's KOF)
    vae_iterations: int     # the base VAE
    iterations: int         # each model trained from the VAE's convolutions
    n_eval: int             # test faces per experiment
    n_dis: int              # training and test faces for MIG / DCI / SAP
    n_directions: int = 4000  # training faces for the VAE's attribute directions
    batch_size: int = 32


PROFILES = {
    "smoke": Profile(n_images=2500, width=8, vae_iterations=3, iterations=2, n_eval=12, n_dis=60,
                     n_directions=400),
    # the published pages (CPU-trained): width 32 (the reference VAE script's KOF; 64 would make a float16
    # file of 61 MB), 2,400 + 1,000 iterations at batch 32
    "book": Profile(n_images=40_000, width=32, vae_iterations=2400, iterations=1000, n_eval=256, n_dis=800),
    # the notebook's setting: width 64, batch 128, 250 epochs of CelebA's 162,770 training faces
    "paper": Profile(n_images=202_599, width=64, vae_iterations=250 * 1272, iterations=250 * 1272, n_eval=1000,
                     n_dis=5000, batch_size=128),
}
STORAGE = "float16"


# ----------------------------------------------------------------------------------------------- data
def labels(part: dict, names) -> torch.Tensor:
    """(N, 7) float labels :data:`LABELS` from a split's attribute matrix whose columns are ``names``."""
    names = list(names)
    missing = [k for k in LABELS if k not in names]
    if missing:
        raise ValueError(f"the data has no attribute columns {missing}; this chapter needs {list(LABELS)}")
    return part["attrs"][:, [names.index(k) for k in LABELS]].float()


def source_mask(y: torch.Tensor, exp: Experiment) -> torch.Tensor:
    m = torch.ones(len(y), dtype=torch.bool)
    for k, v in exp.source.items():
        m &= y[:, LABELS.index(k)] == v
    return m


def target_labels(y: torch.Tensor, exp: Experiment) -> torch.Tensor:
    out = y.clone()
    for k, v in exp.target.items():
        out[:, LABELS.index(k)] = float(v)
    return out


def _take(part: dict, idx: torch.Tensor) -> dict:
    out = {"x": part["x"][idx], "attrs": part["attrs"][idx]}
    if "factors" in part:
        out["factors"] = {k: v[idx] for k, v in part["factors"].items()}
    return out


def eval_sets(D: dict, profile: Profile) -> dict:
    """``{experiment: test faces}`` (the first ``n_eval`` that meet its source condition), ``"test"`` (the first
    ``n_eval`` test faces) and ``"dis_train"``/``"dis_test"`` (``n_dis`` each)."""
    te, tr = D["test"], D["train"]
    y = labels(te, D["attributes"])
    out = {"test": _take(te, torch.arange(min(profile.n_eval, len(y))))}
    for name, exp in EXPERIMENTS.items():
        idx = torch.nonzero(source_mask(y, exp)).flatten()[:profile.n_eval]
        if len(idx) == 0:
            raise ValueError(f"experiment {name!r}: no test face meets {exp.source}; draw more images (n_images)")
        out[name] = _take(te, idx)
    out["dis_train"] = _take(tr, torch.arange(min(profile.n_dis, len(tr["x"]))))
    out["dis_test"] = _take(te, torch.arange(min(profile.n_dis, len(te["x"]))))
    return out


# --------------------------------------------------------------------------------------------- models
def build(name: str, seed: int, profile: Profile) -> torch.nn.Module:
    torch.manual_seed(seed)
    w = profile.width
    if name == "VAE":
        return ConvVAE(ConvVAEConfig(width=w))
    if name in ("CondVAE", "CondVAE-info"):
        return ConvCondVAE(ConvCondVAEConfig(width=w, info=name == "CondVAE-info"))
    if name == "CSVAE":
        return ConvCSVAE(ConvCSVAEConfig(width=w))
    if name == PAPER_CSVAE:
        return ConvCSVAE(ConvCSVAEConfig.paper(width=w))
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


def run_config(name: str, model, params, dataset: str, base_sha: str | None) -> dict:
    p = PROFILES[params.profile]
    return {"chapter": CHAPTER, "model": name, "dataset": dataset, "model_config": asdict(model.cfg),
            "labels": list(LABELS), "profile": params.profile, "batch_size": p.batch_size, "n_images": p.n_images,
            "iterations": p.vae_iterations if name == "VAE" else p.iterations, "storage": STORAGE,
            "pretrained": base_sha}   # the sha256 of the VAE whose convolutions it started from


def unit_interval(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] model output or uint8 -> [0, 1]."""
    return x.float() / 255.0 if x.dtype == torch.uint8 else ((x + 1) / 2).clamp(0, 1)


def edit(model, x, y, y_new, directions=None) -> torch.Tensor:
    """The model's attribute edit, in [0, 1]."""
    if isinstance(model, ConvVAE):
        return unit_interval(chunks(lambda a, b, c: model.manipulate(a, b, c, directions), x, y, y_new))
    return unit_interval(chunks(model.manipulate, x, y, y_new))


def interpolate(model, x, y, column: int, directions=None, steps: int = INTERP_STEPS) -> torch.Tensor:
    """(steps, N, 3, 64, 64) in [0, 1]."""
    if isinstance(model, ConvVAE):
        return unit_interval(model.interpolate(x, y, column, directions, steps))
    return unit_interval(model.interpolate(x, y, column, steps))


def codes(model, x, y) -> torch.Tensor:
    """The posterior means a model's latent holds: z, or (z, w) for the CSVAE."""
    lat = {k: torch.cat([model.latents(x[i:i + 256], y[i:i + 256])[k] for i in range(0, len(x), 256)])
           for k in model.latents(x[:2], y[:2])}
    return torch.cat([lat[k] for k in ("z", "w") if k in lat], 1)


def directions_for(model, D: dict, profile: Profile):
    """The VAE's attribute directions from ``n_directions`` training faces (None for the other models)."""
    if not isinstance(model, ConvVAE):
        return None
    tr = D["train"]
    n = min(profile.n_directions, len(tr["x"]))
    y = labels(tr, D["attributes"])[:n]
    return attribute_directions(codes(model, tr["x"][:n], y), y)


# -------------------------------------------------------------------------------------------- metrics
def _drift(r_in: dict, r_out: dict) -> float:
    return float((r_in["factors"] - r_out["factors"]).abs().mean())


def true_edit(part: dict, y_new: torch.Tensor, names) -> torch.Tensor:
    """ToyFaces' answer: each face redrawn with its factors and the edited labels, in [0, 1]."""
    attrs = part["attrs"].clone().float()
    names = list(names)
    for j, k in enumerate(LABELS):
        attrs[:, names.index(k)] = y_new[:, j]
    return toyfaces.render(attrs, part["factors"])


def _judged(read: dict, exp: Experiment, names) -> torch.Tensor:
    """Per face: the judge reads every target attribute at its target value."""
    ok = torch.ones(len(read["attrs"]), dtype=torch.bool)
    for k, v in exp.target.items():
        ok &= (read["attrs"][:, list(names).index(k)] > 0.5) == bool(v)
    return ok


def _flips(r_in: dict, r_out: dict, keep: torch.Tensor) -> float:
    return 100 * float(((r_in["attrs"] > 0.5) != (r_out["attrs"] > 0.5))[:, keep].float().mean())


@torch.no_grad()
def kl_terms(model, x, y) -> dict:
    """Mean KL per face (nats) of the posterior to its prior on the faces given: ``kl_z`` for the VAE's and the
    CondVAEs' latent and the CSVAE's z, ``kl_w`` for the CSVAE's w against p(w | y). How much each part of the
    latent carries."""
    from ...losses import gaussian_kl

    out = {"kl_z": [], "kl_w": []}
    for i in range(0, len(x), 256):
        xb, yb = x[i:i + 256], y[i:i + 256]
        if isinstance(model, ConvCSVAE):
            (mz, lz), (mw, lw) = model.encode(xb, yb)
            out["kl_w"].append(gaussian_kl(mw, lw, *model.prior(yb)).sum(1))
        else:
            mz, lz = model.encode(xb) if isinstance(model, ConvVAE) else model.encode(xb, yb)
        out["kl_z"].append(gaussian_kl(mz, lz).sum(1))
    return {k: float(torch.cat(v).mean()) for k, v in out.items() if v}


@torch.no_grad()
def label_probes(model, S: dict, names, steps: int = 500) -> dict:
    """How much of the seven labels z still holds: a linear probe per label (:func:`vaelab.metrics.probes.
    train_probe`) trained on the z posterior means of the ``dis_train`` faces, scored on the ``dis_test`` faces.
    The CSVAE's adversary and the CondVAEs' conditioning are there to keep the labels out of z; the VAE's z holds
    them. ``probe_z_<label>`` (%) beside ``probe_z_majority_<label>`` (always the commoner training label), their
    means ``probe_z`` and ``probe_z_majority``, and ``probe_z_bits``, the Barber-Agakov bounds on I(label; z) (each
    at least 0) summed over the labels."""
    from ...metrics.probes import train_probe

    def z_of(part):
        y = labels(part, names)
        return torch.cat([model.latents(part["x"][i:i + 256], y[i:i + 256])["z"] for i in range(0, len(y), 256)]), y

    (z_tr, y_tr), (z_te, y_te) = z_of(S["dis_train"]), z_of(S["dis_test"])
    out, bits = {}, 0.0
    for j, k in enumerate(LABELS):
        r = train_probe(z_tr, y_tr[:, j], z_te, y_te[:, j], hidden=0, steps=steps, seed=0)
        out[f"probe_z_{k}"], out[f"probe_z_majority_{k}"] = 100 * r.accuracy, 100 * r.majority
        bits += max(r.mi_bits, 0.0)
    out.update(probe_z=float(np.mean([out[f"probe_z_{k}"] for k in LABELS])),
               probe_z_majority=float(np.mean([out[f"probe_z_majority_{k}"] for k in LABELS])), probe_z_bits=bits)
    return out


def disentanglement(model, S: dict, names) -> dict:
    """MIG, DCI (gradient-boosted trees) and SAP of the model's codes against the 14 factor targets and the
    seven labels."""
    def truth(part):
        return torch.cat([factor_targets(part["factors"]), labels(part, names)], 1).numpy()

    tr, te = S["dis_train"], S["dis_test"]
    c_tr = codes(model, tr["x"], labels(tr, names)).numpy()
    c_te = codes(model, te["x"], labels(te, names)).numpy()
    f_tr, f_te = truth(tr), truth(te)
    continuous = [True] * (f_tr.shape[1] - len(LABELS)) + [False] * len(LABELS)
    d = dis.dci(c_tr, f_tr, c_te, f_te, model="gbt", continuous=continuous)
    return {"mig": dis.mig(np.concatenate([c_tr, c_te]), np.concatenate([f_tr, f_te]), continuous=continuous)["mig"],
            "dci_disentanglement": d["disentanglement"], "dci_completeness": d["completeness"],
            "dci_informativeness": d["informativeness_test"],
            "sap": dis.sap(c_tr, f_tr, c_te, f_te, continuous=continuous)["sap"]}


def reference(S: dict, judge, names) -> dict:
    """What :func:`evaluate` compares every model with, computed once per set of faces: the judge's readings of
    the test faces and of each experiment's inputs, and on ToyFaces each experiment's true edit and its reading.
    ``{"test": reading, "metrics": {...}, experiment: {"y", "y_new", "read"[, "truth", "truth_read"]}}``."""
    names = list(names)
    T = S["test"]
    yt = labels(T, names)
    r_x = judge.read(T["x"])
    cols = [names.index(k) for k in LABELS]
    m = {f"judge_real_{k}": 100 * float(((r_x["attrs"][:, c] > 0.5) == yt[:, j].bool()).float().mean())
         for j, (k, c) in enumerate(zip(LABELS, cols))}
    toy = "factors" in T
    if toy:
        m["drift_unrelated"] = float((r_x["factors"] - r_x["factors"].roll(1, 0)).abs().mean())
    out = {"test": r_x, "metrics": m}
    for name, exp in EXPERIMENTS.items():
        P = S[name]
        y = labels(P, names)
        ref = {"y": y, "y_new": target_labels(y, exp), "read": judge.read(P["x"])}
        if toy:
            ref["truth"] = true_edit(P, ref["y_new"], names)
            ref["truth_read"] = judge.read(ref["truth"])
            m[f"drift_truth_{name}"] = _drift(ref["read"], ref["truth_read"])
        out[name] = ref
    return out


def evaluate(model, S: dict, judge, names, directions=None, ref: dict | None = None, disentangle: bool = True) -> dict:
    """The metrics of the module docstring for one trained model; ``ref``: :func:`reference` of ``S`` (computed
    here when not given); ``disentangle=False`` leaves out MIG, DCI and SAP (the slowest part: the convergence
    curves measure without them). The decoders run channels-last (:func:`vaelab.nets.channels_last`)."""
    model = model.cpu().eval()
    with channels_last(*[m for m in model.modules() if isinstance(m, ConvDecoder)]):
        return _evaluate(model, S, judge, list(names), directions, ref, disentangle)


def _evaluate(model, S: dict, judge, names: list, directions, ref, disentangle: bool = True) -> dict:
    ref = reference(S, judge, names) if ref is None else ref
    T = S["test"]
    yt = labels(T, names)
    rec = unit_interval(chunks(model.reconstruct, T["x"], yt))
    r_x, r_rec = ref["test"], judge.read(rec)
    cols = [names.index(k) for k in LABELS]
    right = ((r_rec["attrs"][:, cols] > 0.5) == yt.bool()).float()
    out = {"recon_mse": mse(rec, unit_interval(T["x"])), "judge_recon": 100 * float(right.mean())}
    out.update({f"judge_recon_{k}": 100 * float(right[:, j].mean()) for j, k in enumerate(LABELS)})
    out.update(ref["metrics"])
    out.update(kl_terms(model, T["x"], yt))
    out.update(label_probes(model, S, names))
    toy = "factors" in T
    if toy:
        out["drift_recon"] = _drift(r_x, r_rec)
    for name, exp in EXPERIMENTS.items():
        P, R = S[name], ref[name]
        y, y_new, r_in = R["y"], R["y_new"], R["read"]
        e = edit(model, P["x"], y, y_new, directions)
        r_e = judge.read(e)
        keep = torch.tensor([k not in exp.target for k in names])
        out[f"success_{name}"] = 100 * float(_judged(r_e, exp, names).float().mean())
        out[f"flips_{name}"] = _flips(r_in, r_e, keep)
        if toy:
            t = R["truth"]
            out[f"drift_{name}"] = _drift(r_in, r_e)
            out[f"truth_mse_{name}"] = mse(e, t)
            out[f"truth_recon_mse_{name}"] = mse(unit_interval(chunks(model.reconstruct, P["x"], y)), t)
    out["success_mean"] = success_mean(out)
    P = S["eyeglasses"]
    col = LABELS.index("Eyeglasses")
    path = interpolate(model, P["x"], labels(P, names), col, directions)
    prob = torch.stack([judge.read(f)["attrs"][:, names.index("Eyeglasses")] for f in path])  # (steps, N)
    out["interp_success"] = 100 * float((prob[-1] > 0.5).float().mean())
    out["interp_monotone"] = 100 * float((prob.diff(dim=0) > -0.05).all(0).float().mean())
    if toy and disentangle:
        out.update(disentanglement(model, S, names))
    return out


# ----------------------------------------------------------------------------------------------- runs
def success_mean(metrics: dict) -> float:
    """The slides' four edits' mean judged success (%), the faces' headline."""
    return float(np.mean([metrics[f"success_{e}"] for e in EXPERIMENTS]))


def run(params, D: dict, J: dict, models=MODELS, progress: bool = True, evaluate_loaded: bool = True) -> dict:
    """Train or load every (model, seed): ``{(model, seed): {"model", "record", "metrics", "directions"}}``
    with the evaluation sets in ``extra["sets"]``. ``evaluate_loaded=False`` loads committed runs without
    evaluating them (empty metrics, no directions: for another page that scores the models its own way); a
    trained run is always evaluated, so that its record holds its metrics."""
    profile = PROFILES[params.profile]
    if "VAE" not in models:
        raise ValueError("models must include 'VAE': the others start from its convolutions")
    S = eval_sets(D, profile)
    names = D["attributes"]
    data = {"x": D["train"]["x"], "y": labels(D["train"], names)}
    judge = J["model"]
    scored = evaluate_loaded or params.train
    ref = reference(S, judge, names) if scored else None
    out, declared, dataset = runs.Results(), [], None if D["dataset"] == "toyfaces" else D["dataset"]
    for seed in params.seeds:
        for name in ("VAE", *[m for m in models if m != "VAE"]):
            found = {}   # the VAE's directions, computed once by the evaluation, kept for the figures
            iters = profile.vae_iterations if name == "VAE" else profile.iterations

            def build_(name=name, seed=seed):   # the others start from this seed's VAE, trained or loaded above
                model = build(name, seed, profile)
                if name != "VAE":
                    copy_convolutions(model, out[("VAE", seed)]["model"])
                return model

            def config_(model, name=name, seed=seed):
                base = out[("VAE", seed)]["record"].get("sha256", "untrained smoke run") if name != "VAE" else None
                return run_config(name, model, params, D["dataset"], base)

            def evaluate_(m, found=found):
                found["directions"] = directions_for(m, D, profile)
                return evaluate(m, S, judge, names, found["directions"], ref)

            declared.append(runs.Run(
                key=name, seed=seed, name=runs.run_name(SLUG[name], seed, dataset), build=build_, config=config_,
                data=data, iterations=iters, batch_size=profile.batch_size, evaluate=evaluate_ if scored else None,
                extra=lambda found=found: {"directions": found.get("directions")}, options={"storage": STORAGE}))
    runs.obtain_all(CHAPTER, declared, params, progress, into=out)   # in order: each seed's VAE before the others
    out.extra["sets"] = S
    return out
