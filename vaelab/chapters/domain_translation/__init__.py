"""Content/attribute disentanglement by domain translation (Press, Galanti, Benaim, Wolf, ICLR'19): domains,
data, the face judge, training and the numbers. Figures: :mod:`vaelab.chapters.domain_translation.figures`.

Domains (:data:`DOMAINS`) as the reference's ``preprocess.py`` (oripress/ContentDisentanglement): ``glasses``,
A = Eyeglasses, B = the rest; ``beard``, A = Male, no 5_o_Clock_Shadow and (Mustache or Goatee or not
No_Beard), B = Male, No_Beard, no 5_o_Clock_Shadow and not in A (ToyFaces draws no five-o'clock shadow);
``mouth`` (not in the book), A = Mouth_Slightly_Open, B = the rest.

Metrics (:func:`evaluate`) on ``n_eval`` test images of each domain, each B image given the specific code of
a random A image (a fixed permutation); "drift" is the mean |Δ| of the face judge's 14 factor targets ([0, 1]
units), "flips" the % of its decisions on the other attributes that change, both from the input:

* ``add_success`` / ``remove_success``: % of ``G(E1(b), E2(a))`` that the judge (:mod:`vaelab.metrics.face_judge`)
  reads with the attribute / of ``G(E1(a), 0)`` without it; ``judge_real`` / ``judge_recon``, its accuracy on
  the same question for the real test images / for their reconstructions;
* ``recon_mse``: per-element MSE in [0, 1] units of both domains' reconstructions (B with a zero specific code);
* ToyFaces only, against the true translation (the same face with the attribute drawn in or out; for the
  beard, a donor's Mustache/Goatee/No_Beard): ``add_mse``/``remove_mse``, beside ``add_recon_mse``/
  ``remove_recon_mse`` (the input's reconstruction) and ``add_copy_mse``/``remove_copy_mse`` (the input);
  for the glasses the same inside :func:`vaelab.data.toyfaces.eye_region` (``add_eye_mse`` …
  ``remove_eye_recon_mse``);
* ``drift_add``/``drift_remove``, ``drift_recon``, ``drift_truth`` (the true translations) and
  ``drift_unrelated`` (two unrelated test faces); ``flips_add``/``flips_remove``/``flips_recon``/``flips_truth``;
* ``probe_common``/``probe_specific``: test accuracy (%) of a linear probe predicting the domain from E1's /
  E2's code, trained on balanced validation images (chance 50 %); ``probe_truth``, the same on the ground
  truth other than the domain's own attributes: how much the content itself tells about the domain.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ... import report, runs
from ...data import toyfaces
from ...metrics.face_judge import FaceJudge, FaceJudgeConfig, factor_targets
from ...metrics.probes import train_probe
from ...models.domain_translation import ContentConfig, ContentDisentanglement, domain_data, to_unit
from ..shared import chunks, from_uint8, mse

CHAPTER = "domain_translation"
JUDGE_CHAPTER = "face_judge"   # shared with the CelebA chapter
SHADOW = "5_o_Clock_Shadow"


@dataclass(frozen=True)
class Domain:
    owned: dict     # the attributes the translation changes, with their value in B (absent)
    noun: str       # the attribute in a verdict's words


#: runs are saved as weights/domain_translation/<domain>-s<seed>
DOMAINS = {"glasses": Domain({"Eyeglasses": 0}, "the glasses"),
           "beard": Domain({"Mustache": 0, "Goatee": 0, "No_Beard": 1}, "facial hair"),
           "mouth": Domain({"Mouth_Slightly_Open": 0}, "an open mouth")}
BOOK_DOMAINS = ("glasses", "beard")


def _domain(name: str) -> Domain:
    if name not in DOMAINS:
        raise ValueError(f"unknown domain {name!r}; choose one of {', '.join(DOMAINS)}")
    return DOMAINS[name]


def attr_dict(attrs: torch.Tensor, names) -> dict:
    """{name: (N,) bool} from an (N, K) 0/1 matrix whose columns are ``names``."""
    if attrs.shape[1] != len(names):
        raise ValueError(f"attrs has {attrs.shape[1]} columns but {len(names)} names were given")
    return {n: attrs[:, j] > 0.5 for j, n in enumerate(names)}


def split(domain: str, a: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """(in A, in B) masks by the reference's ``preprocess.py`` rules; ``a`` maps names to bool tensors."""
    _domain(domain)
    need = {"glasses": ("Eyeglasses",), "mouth": ("Mouth_Slightly_Open",),
            "beard": ("Male", "Mustache", "Goatee", "No_Beard")}[domain]
    missing = [k for k in need if k not in a]
    if missing:
        raise ValueError(f"domain {domain!r} needs the attributes {missing}")
    if domain == "glasses":
        return a["Eyeglasses"], ~a["Eyeglasses"]
    if domain == "mouth":
        return a["Mouth_Slightly_Open"], ~a["Mouth_Slightly_Open"]
    shadow = a.get(SHADOW, torch.zeros_like(a["Male"]))
    in_a = a["Male"] & ~shadow & (a["Mustache"] | a["Goatee"] | ~a["No_Beard"])
    in_b = a["Male"] & a["No_Beard"] & ~shadow & ~in_a
    return in_a, in_b


def strongest(domain: str, attrs: torch.Tensor, names) -> int:
    """The index of the first face that shows the most of the domain's owned attributes (a full beard with a
    moustache rather than a moustache alone): the clearest donor for a figure."""
    a = attr_dict(attrs, names)
    count = sum((a[k] != bool(absent)).long() for k, absent in _domain(domain).owned.items())
    return int(torch.argmax(count))


def present(domain: str, a: dict) -> torch.Tensor:
    """Whether each face shows the domain's attribute: any owned attribute away from its B value."""
    out = None
    for k, absent in _domain(domain).owned.items():
        v = a[k] != bool(absent)
        out = v if out is None else out | v
    return out


# ------------------------------------------------------------------------------------------- profiles
@dataclass(frozen=True)
class Profile:
    n_images: int           # ToyFaces drawn (seed 0), split by CelebA's partition fractions
    iterations: int         # content runs, batch 32 per domain
    judge_iterations: int   # the face judge, batch 64
    n_eval: int             # test images per domain for the metrics
    n_probe: int            # validation images per domain the probes train on
    probe_steps: int = 500
    batch_size: int = 32    # train.py --bs
    judge_batch: int = 64


PROFILES = {
    "smoke": Profile(n_images=2500, iterations=4, judge_iterations=3, n_eval=12, n_probe=12, probe_steps=20),
    # the published pages: 3,000 iterations (0.24 % of the reference's 1,250,000) at batch 32 per domain
    "book": Profile(n_images=40_000, iterations=3000, judge_iterations=1500, n_eval=256, n_probe=256),
    # the reference's length on a CelebA-sized set
    "paper": Profile(n_images=202_599, iterations=1_250_000, judge_iterations=20_000, n_eval=1000, n_probe=1000),
}
STORAGE = "float16"  # 13.9 MB per content model, 42.6 MB for the judge


# ----------------------------------------------------------------------------------------------- data
def load_data(profile: Profile, dataset: str = "toyfaces", data_root=None, progress: bool = True) -> dict:
    """``{"train"|"valid"|"test": {"x" uint8, "attrs", ["factors"]}, "attributes": names, "dataset"}``."""
    if dataset == "toyfaces":
        d = toyfaces.load(profile.n_images, seed=0, progress=progress)
        out = {}
        for k, split_name in enumerate(("train", "valid", "test")):
            m = d["partition"] == k
            out[split_name] = {"x": d["x"][m], "attrs": d["attrs"][m],
                               "factors": {f: v[m] for f, v in d["factors"].items()}}
        return {**out, "attributes": toyfaces.ATTRIBUTES, "dataset": dataset}
    if dataset == "celeba":
        from ...data import celeba

        names = (*toyfaces.ATTRIBUTES, SHADOW)
        root = celeba.find_root(Path(data_root if data_root is not None else "data") / "celeba")
        out = {}
        for s in ("train", "valid", "test"):
            x, at = celeba.load_tensors(root, s, 64, attributes=names, dtype=torch.uint8,
                                        limit=profile.n_images if s == "train" else None)
            out[s] = {"x": x, "attrs": at}
        return {**out, "attributes": names, "dataset": dataset}
    raise ValueError(f"dataset={dataset!r} is not valid; choose one of toyfaces, celeba")


def _take(part: dict, mask: torch.Tensor, n: int | None = None) -> dict:
    idx = torch.nonzero(mask).flatten()[:n]
    out = {"x": part["x"][idx], "attrs": part["attrs"][idx]}
    if "factors" in part:
        out["factors"] = {k: v[idx] for k, v in part["factors"].items()}
    return out


def domain_sets(D: dict, domain: str, profile: Profile) -> dict:
    """The domain's training pairs (``{"a", "b"}`` tiled to one length), probe and test images per domain."""
    out = {}
    for s in ("train", "valid", "test"):
        in_a, in_b = split(domain, attr_dict(D[s]["attrs"], D["attributes"]))
        if not in_a.any() or not in_b.any():
            raise ValueError(f"domain {domain!r}: the {s} split has {int(in_a.sum())} images in A and "
                             f"{int(in_b.sum())} in B; both need some (draw more images: n_images)")
        if s == "train":
            sel = in_a | in_b
            out["train"] = domain_data(D[s]["x"][sel], in_a[sel])
            out["n_train"] = (int(in_a.sum()), int(in_b.sum()))
        else:
            n = profile.n_probe if s == "valid" else profile.n_eval
            n = min(n, int(in_a.sum()), int(in_b.sum()))   # balanced: chance is 50 %
            out["probe" if s == "valid" else "test"] = {"a": _take(D[s], in_a, n), "b": _take(D[s], in_b, n)}
    return out


# ---------------------------------------------------------------------------------------------- judge
def judge(params, D: dict, progress: bool = True) -> dict:
    """Train or load the face judge (seed 0): ``{"model", "record", "metrics"}``."""
    profile = PROFILES[params.profile]
    tr, te = D["train"], D["test"]
    has_factors = "factors" in tr
    data = {"x": tr["x"], "attrs": tr["attrs"]}
    if has_factors:
        data["targets"] = factor_targets(tr["factors"])

    def evaluate(m):
        r = m.read(te["x"])  # once: reading the test faces is most of the judge's evaluation
        acc = m.attribute_accuracy(te["x"], te["attrs"], reading=r)
        out = {f"acc_{k}": a for k, (a, _) in acc.items()}
        out.update({f"majority_{k}": b for k, (_, b) in acc.items()})
        if has_factors:
            out["factor_mae"] = float((r["factors"] - factor_targets(te["factors"])).abs().mean())
        return out

    declared = runs.Run(
        key="judge", seed=0, name=f"resnet34-{D['dataset']}-s0",
        build=lambda: FaceJudge(FaceJudgeConfig(attributes=tuple(D["attributes"]),
                                                n_factors=14 if has_factors else 0)),
        config=lambda m: {"chapter": JUDGE_CHAPTER, "model_config": asdict(m.cfg), "dataset": D["dataset"],
                          "profile": params.profile, "iterations": profile.judge_iterations,
                          "batch_size": profile.judge_batch, "n_train": len(tr["x"]), "seed": 0, "storage": STORAGE},
        data=data, iterations=profile.judge_iterations, batch_size=profile.judge_batch, evaluate=evaluate,
        options={"storage": STORAGE, "log_every": max(profile.judge_iterations // 10, 1)})
    return runs.obtain_all(JUDGE_CHAPTER, [declared], params, progress)[("judge", 0)]


def factor_mae_baseline(D: dict) -> float:
    """The judge's factor error's reference: the test faces' mean absolute error of always answering the
    training faces' mean factor targets."""
    mean = factor_targets(D["train"]["factors"]).mean(0)
    return float((factor_targets(D["test"]["factors"]) - mean).abs().mean())


def judge_table(J: dict):
    """Per-attribute test accuracy of the judge beside always answering the commoner value."""
    import pandas as pd

    m = J["metrics"]
    names = [k[4:] for k in m if k.startswith("acc_")]
    return pd.DataFrame({"judge %": [round(m[f"acc_{n}"], 1) for n in names],
                         "commoner value %": [round(m[f"majority_{n}"], 1) for n in names]}, index=names)


# ---------------------------------------------------------------------------------------------- runs
def build(seed: int) -> ContentDisentanglement:
    torch.manual_seed(seed)
    return ContentDisentanglement(ContentConfig(size=64))


def run_config(domain: str, model, params, n_train: tuple, dataset: str) -> dict:
    p = PROFILES[params.profile]
    return {"chapter": CHAPTER, "domain": domain, "dataset": dataset, "model_config": asdict(model.cfg),
            "profile": params.profile, "iterations": p.iterations, "batch_size": p.batch_size,
            "n_images": p.n_images, "n_train": list(n_train), "storage": STORAGE}


def donors(n_b: int, n_a: int, seed: int) -> torch.Tensor:
    """The A image whose specific code each B test image receives: a fixed random choice per seed."""
    return torch.from_numpy(np.random.default_rng([seed, 23]).integers(0, n_a, n_b))


def truths(domain: str, A: dict, B: dict, donor: torch.Tensor, names) -> tuple[torch.Tensor, torch.Tensor]:
    """ToyFaces' true translations in [0, 1]: each B face with its donor's owned attributes, each A face with
    them set to their B values; same factors."""
    own = _domain(domain).owned
    add, rem = B["attrs"].clone(), A["attrs"].clone()
    for k, absent in own.items():
        j = list(names).index(k)
        add[:, j] = A["attrs"][donor, j]
        rem[:, j] = float(absent)
    return toyfaces.render(add, B["factors"]), toyfaces.render(rem, A["factors"])


def _flips(jin: dict, jout: dict, keep: torch.Tensor) -> float:
    return 100 * float(((jin["attrs"] > 0.5) != (jout["attrs"] > 0.5))[:, keep].float().mean())


def probe(codes_tr, codes_te, n_tr: int, n_te: int, steps: int, seed: int) -> float:
    """Linear probe accuracy (%) for A (label 1: the first ``n``) against B (label 0: the rest)."""
    y_tr = torch.cat([torch.ones(n_tr), torch.zeros(len(codes_tr) - n_tr)]).long()
    y_te = torch.cat([torch.ones(n_te), torch.zeros(len(codes_te) - n_te)]).long()
    return 100 * train_probe(codes_tr, y_tr, codes_te, y_te, hidden=0, steps=steps, seed=seed).accuracy


def evaluate(model, S: dict, judge_model, domain: str, names, profile: Profile, seed: int) -> dict:
    """The metrics of the module docstring for one trained model on its domain sets ``S``."""
    model = model.cpu().eval()
    A, B = S["test"]["a"], S["test"]["b"]
    donor = donors(len(B["x"]), len(A["x"]), seed)
    add = to_unit(chunks(model.add_attribute, B["x"], A["x"][donor]))
    rem = to_unit(chunks(model.remove_attribute, A["x"]))
    rec_a = to_unit(chunks(lambda x: model.reconstruct(x, True), A["x"]))
    rec_b = to_unit(chunks(lambda x: model.reconstruct(x, False), B["x"]))
    out = {"recon_mse": 0.5 * (mse(rec_a, from_uint8(A["x"])) + mse(rec_b, from_uint8(B["x"])))}
    names = list(names)
    read = {k: judge_model.read(v) for k, v in (("a", A["x"]), ("b", B["x"]), ("add", add), ("rem", rem),
                                                  ("rec_a", rec_a), ("rec_b", rec_b))}
    pres = {k: present(domain, attr_dict(v["attrs"], names)) for k, v in read.items()}
    out["add_success"] = 100 * float(pres["add"].float().mean())
    out["remove_success"] = 100 * float((~pres["rem"]).float().mean())
    out["judge_real"] = 100 * float(torch.cat([pres["a"], ~pres["b"]]).float().mean())
    out["judge_recon"] = 100 * float(torch.cat([pres["rec_a"], ~pres["rec_b"]]).float().mean())
    keep = torch.tensor([n not in _domain(domain).owned for n in names])
    out["flips_add"] = _flips(read["b"], read["add"], keep)
    out["flips_remove"] = _flips(read["a"], read["rem"], keep)
    out["flips_recon"] = 0.5 * (_flips(read["a"], read["rec_a"], keep) + _flips(read["b"], read["rec_b"], keep))
    if "factors" in A:
        t_add, t_rem = truths(domain, A, B, donor, names)
        out["add_mse"], out["add_copy_mse"] = mse(add, t_add), mse(from_uint8(B["x"]), t_add)
        out["remove_mse"], out["remove_copy_mse"] = mse(rem, t_rem), mse(from_uint8(A["x"]), t_rem)
        # the model's own reconstruction of the input, against the same truth: what its blur costs alone
        out["add_recon_mse"], out["remove_recon_mse"] = mse(rec_b, t_add), mse(rec_a, t_rem)
        if domain == "glasses":  # the same three inside the reach of the glasses
            eb = toyfaces.eye_region(B["factors"]).unsqueeze(1).expand_as(add)
            ea = toyfaces.eye_region(A["factors"]).unsqueeze(1).expand_as(rem)
            out["add_eye_mse"], out["add_eye_recon_mse"] = mse(add[eb], t_add[eb]), mse(rec_b[eb], t_add[eb])
            out["remove_eye_mse"], out["remove_eye_recon_mse"] = mse(rem[ea], t_rem[ea]), mse(rec_a[ea], t_rem[ea])
        rt_add, rt_rem = judge_model.read(t_add), judge_model.read(t_rem)
        drift = lambda x, y: float((x["factors"] - y["factors"]).abs().mean())
        out["drift_add"], out["drift_remove"] = drift(read["add"], read["b"]), drift(read["rem"], read["a"])
        out["drift_recon"] = 0.5 * (drift(read["rec_a"], read["a"]) + drift(read["rec_b"], read["b"]))
        out["drift_truth"] = 0.5 * (drift(rt_add, read["b"]) + drift(rt_rem, read["a"]))
        fb = read["b"]["factors"]
        out["drift_unrelated"] = float((fb - fb.roll(1, 0)).abs().mean())
        out["flips_truth"] = 0.5 * (_flips(read["b"], rt_add, keep) + _flips(read["a"], rt_rem, keep))
    P = S["probe"]
    x_tr, x_te = torch.cat([P["a"]["x"], P["b"]["x"]]), torch.cat([A["x"], B["x"]])
    n_tr, n_te = len(P["a"]["x"]), len(A["x"])
    c_tr, c_te = chunks(model.latents, x_tr), chunks(model.latents, x_te)
    for key, part in (("probe_common", "common"), ("probe_specific", "specific")):
        out[key] = probe(c_tr[part], c_te[part], n_tr, n_te, profile.probe_steps, seed)
    g_tr, g_te = content_truth(P, keep), content_truth(S["test"], keep)
    out["probe_truth"] = probe(g_tr, g_te, n_tr, n_te, profile.probe_steps, seed)
    return out


def content_truth(part: dict, keep: torch.Tensor) -> torch.Tensor:
    """The ground truth other than the domain's attributes, A rows then B rows: kept attributes and, on
    ToyFaces, the factor targets."""
    rows = []
    for d in (part["a"], part["b"]):
        cols = [d["attrs"][:, keep].float()]
        if "factors" in d:
            cols.append(factor_targets(d["factors"]))
        rows.append(torch.cat(cols, 1))
    return torch.cat(rows)


def run(params, D: dict, J: dict, domains=BOOK_DOMAINS, progress: bool = True, evaluate_loaded: bool = True) -> dict:
    """Train or load every (domain, seed): ``{(domain, seed): {"model", "record", "metrics", "sets"}}``; the
    sets are :func:`domain_sets` without the tiled training pairs (about 0.7 GB for the book's glasses).
    ``evaluate_loaded=False`` loads committed runs without evaluating them (empty metrics); a trained run is
    always evaluated, so that its record holds its metrics."""
    profile = PROFILES[params.profile]
    out, dataset = runs.Results(), None if D["dataset"] == "toyfaces" else D["dataset"]
    for domain in domains:   # one domain's tiled training pairs at a time (about 0.7 GB for the book's glasses)
        S = domain_sets(D, domain, profile)
        kept = {k: v for k, v in S.items() if k != "train"}
        runs.obtain_all(CHAPTER, [runs.Run(
            key=domain, seed=seed, name=runs.run_name(domain, seed, dataset), build=lambda seed=seed: build(seed),
            config=lambda m, n=S["n_train"]: run_config(domain, m, params, n, D["dataset"]), data=S["train"],
            iterations=profile.iterations, batch_size=profile.batch_size,
            evaluate=(lambda m, s=seed, S=S: evaluate(m, S, J["model"], domain, D["attributes"], profile, s))
            if evaluate_loaded or params.train else None,
            extra=lambda: {"sets": kept}, options={"storage": STORAGE}) for seed in params.seeds],
            params, progress, into=out)
        del S
    return out


# ---------------------------------------------------------------------------------------------- tables
TRANSLATION_COLUMNS = {
    "add_success": "added: the judge sees it %", "remove_success": "removed: the judge misses it %",
    "judge_real": "judge on real faces %", "judge_recon": "judge on reconstructions %",
    "recon_mse": "reconstruction MSE",
    "add_mse": "added: MSE vs truth", "add_recon_mse": "added: the input's reconstruction vs truth",
    "add_copy_mse": "added: the input vs truth",
    "remove_mse": "removed: MSE vs truth", "remove_recon_mse": "removed: the input's reconstruction vs truth",
    "remove_copy_mse": "removed: the input vs truth",
    "add_eye_mse": "added, eye region: MSE vs truth", "add_eye_recon_mse": "added, eye region: reconstruction vs truth",
    "remove_eye_mse": "removed, eye region: MSE vs truth",
    "remove_eye_recon_mse": "removed, eye region: reconstruction vs truth",
    "drift_add": "factor drift, added", "drift_remove": "factor drift, removed",
    "drift_recon": "factor drift, reconstructions", "drift_truth": "factor drift, truth",
    "drift_unrelated": "factor drift, unrelated faces",
    "flips_add": "other attributes flipped, added %", "flips_remove": "other attributes flipped, removed %",
    "flips_recon": "other attributes flipped, reconstructions %", "flips_truth": "other attributes flipped, truth %"}
DIGITS = {k: 1 if k.endswith(("success", "real", "judge_recon")) or k.startswith("flips") else 4 if "mse" in k else 3
          for k in TRANSLATION_COLUMNS}
PROBE_COLUMNS = {"probe_specific": "E2 (specific) → domain %", "probe_common": "E1 (common) → domain %",
                 "probe_truth": "ground truth without the attribute → domain %"}


def _ms(results, name, key, digits=1, unit=" %"):
    return report.cell(report.per_seed(results, name, key), digits) + unit


def _relation(a, b) -> str:
    """How per-seed MSEs ``a`` stand to ``b``: a direction only where the paired test finds one (or cannot test)."""
    p = report.paired_p(a, b)
    if np.isfinite(p) and not report.significant(p):
        return "about as close to the truth as"
    return "closer to the truth than" if np.mean(a) < np.mean(b) else "farther from the truth than"


def _closer(results, name, key, ref, what: str) -> str:
    """"closer to the truth than <what> (a vs b, paired p …)" or "not closer …" from per-seed MSEs."""
    a, b = report.per_seed(results, name, key), report.per_seed(results, name, ref)
    return f"{_relation(a, b)} {what} ({np.mean(a):.4f} against {np.mean(b):.4f}, {report.paired_text(a, b)})"


#: a translation succeeds "on most faces" where the judge sees it on more than this % (chance is 50 %)
MOST = 50.0
_JUDGED = {(True, True): "{} added and removed on most faces",
           (True, False): "{} added on most faces but removed on at most half",
           (False, True): "{} removed on most faces but added on at most half",
           (False, False): "{} added and removed on at most half of the faces"}


def _translation_lead(results: dict, domains) -> str:
    """The verdict in words: whether the judge sees each attribute added and removed on most faces and, on
    ToyFaces, how many whole-image translations land closer to the true one than the input's reconstruction."""
    mean = lambda d, k: np.mean(report.per_seed(results, d, k))  # noqa: E731
    judged = {d: (mean(d, "add_success") > MOST, mean(d, "remove_success") > MOST) for d in domains}
    if len(set(judged.values())) == 1:
        s = _JUDGED[judged[domains[0]]].format(report.series(_domain(d).noun for d in domains))
        join = ", and "
    else:
        s = report.series(_JUDGED[v].format(_domain(d).noun) for d, v in judged.items())
        join = "; "
    pairs = [(report.per_seed(results, d, f"{k}_mse"), report.per_seed(results, d, f"{k}_recon_mse"))
             for d in domains if report.per_seed(results, d, "add_mse") for k in ("add", "remove")]
    if pairs:
        k = sum(_relation(a, b).startswith("closer") for a, b in pairs)
        what = "closer to the true translation than the input's own reconstruction does"
        if k == len(pairs):
            s += f"{join}on ToyFaces every translation lands {what}"
        elif k == 0:
            s += f"{'; but ' if join == '; ' else ', but '}on ToyFaces no translation lands {what}"
        else:
            s += f"{join}on ToyFaces {k} of the {len(pairs)} translations {'lands' if k == 1 else 'land'} {what}"
    return "The judge sees " + s + "."


def translation_findings(results: dict, domains=BOOK_DOMAINS) -> str:
    """The verdict in one plain sentence (:func:`_translation_lead`), then one paragraph per domain from the
    per-seed numbers: the judge's verdicts (beside its reading of the model's own reconstructions), the
    distance to the true translation (beside the input's reconstruction, which carries the same blur), and how
    far the other factors moved."""
    out = []
    mean = lambda d, k: np.mean(report.per_seed(results, d, k))  # noqa: E731
    domains = [d for d in domains if report.per_seed(results, d, "add_success")]
    for d in domains:
        s = (f"{d.capitalize()}: the judge sees the attribute on {_ms(results, d, 'add_success')} of the faces it "
             f"was added to and misses it on {_ms(results, d, 'remove_success')} of those it was removed from; it "
             f"tells the two domains apart on {mean(d, 'judge_recon'):.1f} % of the model's own reconstructions and "
             f"on {mean(d, 'judge_real'):.1f} % of the real faces")
        if report.per_seed(results, d, "add_mse"):
            s += ("; adding the donor's specific code gives an image "
                  + _closer(results, d, "add_mse", "add_recon_mse", "the B face's own reconstruction")
                  + ", and removing it one " + _closer(results, d, "remove_mse", "remove_recon_mse",
                                                      "the A face's own reconstruction"))
            if report.per_seed(results, d, "add_eye_mse"):
                s += ("; inside the reach of the glasses, adding is "
                      + _closer(results, d, "add_eye_mse", "add_eye_recon_mse", "the reconstruction")
                      + " and removing " + _closer(results, d, "remove_eye_mse", "remove_eye_recon_mse",
                                                   "the reconstruction"))
            s += (f"; the judge's factor readings move by {mean(d, 'drift_add'):.3f} (added) and "
                  f"{mean(d, 'drift_remove'):.3f} (removed), against {mean(d, 'drift_recon'):.3f} for plain "
                  f"reconstructions, {mean(d, 'drift_truth'):.3f} for the true translations and "
                  f"{mean(d, 'drift_unrelated'):.3f} between unrelated faces")
        out.append(s + ".")
    return " ".join([_translation_lead(results, domains), *out]) if out else ""


_HOLDS = {"level": "no more", "below": "less", "above": "more"}


def probe_findings(results: dict, domains=BOOK_DOMAINS) -> str:
    """Does E2 hold the domain and E1 not (beyond what the content itself tells)? One plain sentence (E2 against
    E1 seed by seed; E1 against the ground truth without the attribute), then each domain's numbers."""
    out, better, held = [], {True: [], False: []}, {"level": [], "below": [], "above": []}
    for d in domains:
        sp, co, tr = (report.per_seed(results, d, k) for k in ("probe_specific", "probe_common", "probe_truth"))
        if not sp:
            continue
        p, test = report.paired_p(co, tr), report.paired_text(co, tr)
        level = np.isfinite(p) and not report.significant(p)
        rel = "level" if level else "below" if np.mean(co) < np.mean(tr) else "above"
        held[rel].append(d)
        better[len(sp) == len(co) and all(a > b for a, b in zip(sp, co))].append(d)
        out.append(f"{d.capitalize()}: a linear probe reads the domain from E2's code at "
                   f"{_ms(results, d, 'probe_specific')} and from E1's at {_ms(results, d, 'probe_common')}, "
                   f"{'level with' if level else rel} the ground truth's {np.mean(tr):.1f} % ({test}; chance is "
                   f"50 %).")
    if not out:
        return ""
    names = lambda ds: "the " + report.series(ds) + (" domains" if len(ds) > 1 else " domain")  # noqa: E731
    yes, no = better[True], better[False]
    lead = (f"A linear probe {'reads' if yes else 'does not read'} {names(yes or no)} better from E2's code than "
            f"from E1's in every seed" + (f", but not {names(no)}" if yes and no else ""))
    groups = [(_HOLDS[r], ds) for r, ds in held.items() if ds]
    e1 = f"E1 holds {groups[0][0]} of {names(groups[0][1])} than the rest of the face tells"
    if len(groups) > 1:
        e1 += ", but " + report.series(f"{w} of {names(ds)}" for w, ds in groups[1:])
    return " ".join([f"{lead}, and {e1}.", *out])
