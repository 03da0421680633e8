"""Ground-truth disentanglement scores of a representation: MIG, DCI and SAP.

Each score compares codes ``(N, d)`` with the ground-truth factors ``(N, k)`` that generated the samples
(NumPy arrays or torch tensors, computed in NumPy float64 on the CPU):

* :func:`mig`, the Mutual Information Gap: Chen, Li, Grosse, Duvenaud, "Isolating Sources of Disentanglement
  in Variational Autoencoders", NeurIPS 2018;
* :func:`dci`, Disentanglement, Completeness and Informativeness: Eastwood, Williams, "A Framework for the
  Quantitative Evaluation of Disentangled Representations", ICLR 2018;
* :func:`sap`, Separated Attribute Predictability: Kumar, Sattigeri, Balakrishnan, "Variational Inference of
  Disentangled Latent Concepts from Unlabeled Observations", ICLR 2018, Section 3.

Written from the definitions of google-research/disentanglement_lib (``evaluation/metrics/``: ``mig.py``,
``dci.py``, ``sap_score.py``, ``utils.py``), not copied; with the defaults, on integer factors of which one
at least varies, the scores are the quantities it computes (``"mig"`` is its ``"discrete_mig"``, ``"sap"``
its ``"SAP_score"``). Deviations:

* arrays are ``(N, d)`` and ``(N, k)``, where disentanglement_lib passes ``(d, N)`` and ``(k, N)``;
* factors with non-integer values (or as ``continuous`` says) are continuous: binned before MIG, where each
  distinct float would be its own class, and predicted by a regressor in DCI (informativeness is its R^2);
* constant factors are skipped (NaN entries, listed under ``"skipped_factors"``) where disentanglement_lib
  divides by zero or fails to fit; a :class:`ValueError` when every factor is constant;
* DCI offers two cheaper estimators besides the reference ``"gbt"``, ``"forest"`` and ``"linear"``, whose
  scores are not comparable with published DCI numbers; ``random_state`` fixes what disentanglement_lib leaves
  unset;
* DCI disentanglement with one factor and completeness with one code dimension are NaN (entropy in base 1);
  MIG and SAP need ``d >= 2`` (a top two);
* ``sap``'s ``continuous`` defaults to False (disentanglement_lib requires it; its study configs use False);
* bad inputs raise :class:`ValueError` naming the argument, where disentanglement_lib asserts or fails in
  sklearn.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import numpy as np

__all__ = ["discretize", "mig", "mutual_info_columns", "dci", "sap", "disentanglement_from_importance",
           "completeness_from_importance"]

_EPS = 1e-11  # disentanglement_lib's offset inside the DCI entropies
DCI_MODELS = ("gbt", "forest", "linear")


# ----------------------------------------------------------------------------- inputs
def _as_matrix(x, name: str) -> np.ndarray:
    """A finite float64 (N, m) array from a NumPy array or torch tensor."""
    if hasattr(x, "detach"):  # torch.Tensor, without importing torch
        x = x.detach().cpu().numpy()
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be numeric, got {type(x).__name__}: {e}") from None
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D (N samples, columns), got shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column, got shape {a.shape}")
    if not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(f"{name} contains NaN or inf (first at row {bad[0]}, column {bad[1]})")
    return a


def _same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} differ in length: {len(a)} vs {len(b)} samples")


def _same_width(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{name_b} has {b.shape[1]} columns but {name_a} has {a.shape[1]}")


def _train_test(codes_train, factors_train, codes_test, factors_test):
    """The four arrays as float64 matrices, checked: rows match within a split, columns across splits."""
    ztr, ytr = _as_matrix(codes_train, "codes_train"), _as_matrix(factors_train, "factors_train")
    zte, yte = _as_matrix(codes_test, "codes_test"), _as_matrix(factors_test, "factors_test")
    _same_length(ztr, ytr, "codes_train", "factors_train")
    _same_length(zte, yte, "codes_test", "factors_test")
    _same_width(ztr, zte, "codes_train", "codes_test")
    _same_width(ytr, yte, "factors_train", "factors_test")
    return ztr, ytr, zte, yte


def _is_integer(a: np.ndarray) -> np.ndarray:
    """Per column: are all values integers?"""
    return (a == np.round(a)).all(axis=0)


def _factor_kinds(continuous, factors: Sequence[tuple[np.ndarray, str]], *, auto: bool = True) -> np.ndarray:
    """Boolean (k,) array, True where the factor is continuous.

    ``continuous`` is None (auto: continuous where any value is not an integer), one
    bool, or one bool per factor. Discrete factors must be integer-valued.
    """
    k = factors[0][0].shape[1]
    if continuous is None:
        if not auto:
            raise ValueError("continuous must be a bool or a sequence of bools, got None")
        kinds = ~np.logical_and.reduce([_is_integer(a) for a, _ in factors])
    elif isinstance(continuous, (bool, np.bool_)):
        kinds = np.full(k, bool(continuous))
    else:
        kinds = np.asarray(continuous)
        if kinds.shape != (k,) or kinds.dtype != bool:
            raise ValueError(f"continuous must be None, a bool or {k} bools (one per factor), got {continuous!r}")
    for a, name in factors:
        bad = np.flatnonzero(~kinds & ~_is_integer(a))
        if bad.size:
            raise ValueError(f"{name} column {bad[0]} is treated as discrete but has non-integer values; "
                             f"pass continuous=True (or one bool per factor) for continuous factors")
    return kinds


def _nanmean_or_raise(values: np.ndarray, skipped: list[int], name: str) -> float:
    if len(skipped) == len(values):
        raise ValueError(f"every column of {name} is constant: no factor varies, so the score is undefined")
    return float(np.nanmean(values))


# ------------------------------------------------------------------------------- MIG
def discretize(x, bins: int = 20) -> np.ndarray:
    """Bin each column of ``x (N, m)`` into ``bins`` equal-width bins over its range.

    As disentanglement_lib's ``utils._histogram_discretize``:
    ``np.digitize(column, np.histogram(column, bins)[1][:-1])``, so the labels are
    1..bins (the column maximum falls in bin ``bins``). Returns int64 ``(N, m)``.
    """
    a = _as_matrix(x, "x")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    out = np.empty(a.shape, dtype=np.int64)
    for j in range(a.shape[1]):
        edges = np.histogram(a[:, j], bins=int(bins))[1]
        out[:, j] = np.digitize(a[:, j], edges[:-1])
    return out


def mutual_info_columns(labels, codes) -> np.ndarray:
    """Discrete mutual information in nats between integer ``labels (N,)`` and each column of integer
    ``codes (N, d)``: ``sklearn.metrics.mutual_info_score(labels, codes[:, i])`` for every i (the same sum over
    the non-empty cells of the contingency table, clipped at 0), from one ``bincount`` of all d tables at once.
    ``codes`` must hold values in 0..N-1 (e.g. ``np.unique(..., return_inverse=True)`` indices)."""
    a = np.unique(np.asarray(labels), return_inverse=True)[1].reshape(-1)
    b = np.asarray(codes, dtype=np.int64)
    n, d = b.shape
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    cell = (np.arange(d)[None, :] * na + a[:, None]) * nb + b
    joint = np.bincount(cell.reshape(-1), minlength=d * na * nb).reshape(d, na, nb).astype(np.float64)
    pa, pb = joint.sum(2, keepdims=True), joint.sum(1, keepdims=True)
    nz = joint > 0
    terms = np.zeros_like(joint)
    terms[nz] = joint[nz] / n * (np.log(joint[nz]) + np.log(n) - np.log(np.broadcast_to(pa * pb, joint.shape)[nz]))
    terms[np.abs(terms) < np.finfo(np.float64).eps] = 0.0   # as sklearn: tiny terms are rounding noise
    return np.clip(terms.sum((1, 2)), 0.0, None)


def _entropy_nats(labels: np.ndarray) -> float:
    _, counts = np.unique(labels, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def mig(codes, factors, bins: int = 20, continuous=None) -> dict:
    """Mutual Information Gap of ``codes (N, d)`` with respect to ``factors (N, k)``.

    Codes are binned per column with :func:`discretize`; discrete factors are used as
    labels as they are, continuous ones (see ``continuous``: None detects non-integer
    columns) are binned like the codes. With ``I`` the (d, k) matrix of discrete mutual
    informations (nats) and ``H`` the factor entropies,
    ``mig_j = (largest I[:, j] - second largest I[:, j]) / H_j``, in [0, 1].

    Binning makes MIG invariant to an increasing or decreasing affine map of a code
    dimension, and to any strictly monotone map that keeps distinct code values in
    distinct bins (a relabelling of the bins). It is *not* invariant to a general
    nonlinear monotone map: equal-width bins are not, so e.g. ``exp`` of a continuous code
    or ``y**3`` of a code with values 0..6 (0 and 1 land in one bin) changes the score.

    Factors that are constant (``H_j = 0``) are skipped: their ``mig_per_factor`` entry
    is NaN, they are left out of the mean and listed in ``skipped_factors``; if every
    factor is constant a ValueError is raised.

    Returns a dict: ``mig`` (mean over varying factors), ``mig_per_factor`` (k,),
    ``mutual_info`` (d, k) in nats, ``factor_entropy`` (k,) in nats,
    ``skipped_factors`` (list of factor indices).
    """
    z = _as_matrix(codes, "codes")
    y = _as_matrix(factors, "factors")
    _same_length(z, y, "codes", "factors")
    if z.shape[1] < 2:
        raise ValueError(f"codes needs at least 2 columns for a gap between the top two, got {z.shape[1]}")
    kinds = _factor_kinds(continuous, [(y, "factors")])
    zd = discretize(z, bins)
    yd = y.astype(np.int64)
    if kinds.any():
        yd[:, kinds] = discretize(y[:, kinds], bins)
    d, k = z.shape[1], y.shape[1]
    h = np.array([_entropy_nats(yd[:, j]) for j in range(k)])
    skipped = [j for j in range(k) if h[j] <= 0.0]
    mi = np.zeros((d, k))
    per_factor = np.full(k, np.nan)
    zd = np.stack([np.unique(zd[:, i], return_inverse=True)[1].reshape(-1) for i in range(d)], 1)
    for j in range(k):
        if j in skipped:
            continue
        mi[:, j] = mutual_info_columns(yd[:, j], zd)
        top = np.sort(mi[:, j])[::-1]
        per_factor[j] = (top[0] - top[1]) / h[j]
    return {"mig": _nanmean_or_raise(per_factor, skipped, "factors"), "mig_per_factor": per_factor,
            "mutual_info": mi, "factor_entropy": h, "skipped_factors": skipped}


# ------------------------------------------------------------------------------- DCI
def _check_importance(importance) -> np.ndarray:
    r = _as_matrix(importance, "importance")
    if (r < 0).any():
        raise ValueError("importance must be non-negative")
    return r


def _one_minus_entropy(r: np.ndarray, base: int) -> np.ndarray:
    """1 - entropy (in ``base``) of each row of ``r`` after normalising it, with the offset."""
    if base < 2:
        return np.full(r.shape[0], np.nan)
    p = r + _EPS
    p = p / p.sum(axis=1, keepdims=True)
    return 1.0 - (-(p * np.log(p)).sum(axis=1) / np.log(base))


def _weights(r: np.ndarray, axis: int) -> np.ndarray:
    total = r.sum()
    if total == 0.0:  # as disentanglement_lib: an all-zero matrix weighs every row (column) equally
        r = np.ones_like(r)
        total = r.sum()
    return r.sum(axis=axis) / total


def disentanglement_from_importance(importance) -> float:
    """DCI disentanglement of an importance matrix ``(d codes, k factors)``.

    ``sum_i w_i (1 - H_k(P_i))``, with ``P_i`` row i normalised, ``H_k`` the entropy in
    base k and ``w_i`` row i's share of the total importance. NaN when k == 1.
    """
    r = _check_importance(importance)
    per_code = _one_minus_entropy(r, r.shape[1])
    return float(np.sum(per_code * _weights(r, axis=1)))


def completeness_from_importance(importance) -> float:
    """DCI completeness of an importance matrix ``(d codes, k factors)``: as
    :func:`disentanglement_from_importance` on the columns, with entropy base d. NaN
    when d == 1."""
    r = _check_importance(importance)
    per_factor = _one_minus_entropy(r.T, r.shape[0])
    return float(np.sum(per_factor * _weights(r, axis=0)))


def _dci_estimator(model: str, regression: bool, n_estimators: int | None, random_state):
    from sklearn import ensemble, linear_model

    n = 100 if n_estimators is None else int(n_estimators)
    if model == "gbt":
        cls = ensemble.GradientBoostingRegressor if regression else ensemble.GradientBoostingClassifier
        return cls(n_estimators=n, random_state=random_state)
    if model == "forest":
        cls = ensemble.RandomForestRegressor if regression else ensemble.RandomForestClassifier
        return cls(n_estimators=n, min_samples_leaf=5, max_features=None, random_state=random_state, n_jobs=1)
    if regression:
        return linear_model.Lasso(alpha=0.01, random_state=random_state)
    return linear_model.LogisticRegression(max_iter=1000)


def dci(codes_train, factors_train, codes_test, factors_test, *, model: str = "gbt",
        continuous=None, n_estimators: int | None = None, random_state=0, n_jobs: int | None = None) -> dict:
    """Disentanglement, completeness and informativeness (Eastwood & Williams 2018).

    One predictor per factor, fitted on ``codes_train (N, d) -> factors_train[:, j]``,
    gives the importance of each code dimension; the (d, k) importance matrix gives
    disentanglement and completeness (see :func:`disentanglement_from_importance`).

    ``model``:

    * ``"gbt"`` (default, disentanglement_lib's estimator): gradient-boosted trees,
      importance = impurity-based ``feature_importances_``. The only choice whose numbers
      are comparable with published disentanglement_lib DCI scores. Cost grows with
      ``n_estimators`` x number of classes per factor (one tree per class per stage).
    * ``"forest"``: random forest (``min_samples_leaf=5``, all features per split),
      impurity importances; several times faster, similar rankings.
    * ``"linear"``: multinomial logistic regression (L2, C=1) for discrete factors, Lasso
      (alpha=0.01, standardised target) for continuous ones, on standardised codes;
      importance = sum over classes of |coefficient|, each factor's column normalised to
      sum 1. Fastest; only sees linear (monotone) relations.

    ``n_estimators`` (trees; default 100 as in disentanglement_lib) is ignored by
    ``"linear"``. ``continuous``: None (integer-valued columns are discrete), a bool or
    one bool per factor; continuous factors get the regressor twin of ``model``.
    ``n_jobs`` factors are fitted at once, in threads (sklearn's tree building releases
    the GIL); None: one per CPU. Each factor's estimator has its own ``random_state``, so
    the scores do not depend on ``n_jobs``.

    Returns a dict: ``disentanglement``, ``completeness``, ``informativeness_train``,
    ``informativeness_test`` (mean over factors of the accuracy -- or R^2 for continuous
    factors -- of the predictors on each set; higher is better, despite
    disentanglement_lib calling them errors), ``importance`` (d, k; NaN columns for
    skipped factors), ``disentanglement_per_code`` (d,), ``completeness_per_factor`` (k,),
    ``informativeness_train_per_factor`` and ``informativeness_test_per_factor`` (k,),
    ``skipped_factors`` (factors constant on the training set, left out of everything).
    """
    ztr, ytr, zte, yte = _train_test(codes_train, factors_train, codes_test, factors_test)
    if model not in DCI_MODELS:
        raise ValueError(f"model must be one of {DCI_MODELS}, got {model!r}")
    if n_estimators is not None and (isinstance(n_estimators, bool) or not isinstance(n_estimators, (int, np.integer))
                                     or n_estimators < 1):
        raise ValueError(f"n_estimators must be a positive integer, got {n_estimators!r}")
    kinds = _factor_kinds(continuous, [(ytr, "factors_train"), (yte, "factors_test")])
    d, k = ztr.shape[1], ytr.shape[1]
    skipped = [j for j in range(k) if np.ptp(ytr[:, j]) == 0.0]
    if len(skipped) == k:
        raise ValueError("every column of factors_train is constant: no factor varies, so the score is undefined")
    if model == "linear":
        mu, sd = ztr.mean(0), ztr.std(0)
        sd[sd == 0] = 1.0
        xtr, xte = (ztr - mu) / sd, (zte - mu) / sd
    else:
        xtr, xte = ztr, zte
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1):
        raise ValueError(f"n_jobs must be a positive integer or None, got {n_jobs!r}")
    importance = np.full((d, k), np.nan)
    inf_tr, inf_te = np.full(k, np.nan), np.full(k, np.nan)
    active = [j for j in range(k) if j not in skipped]

    def fit(j):
        est = _dci_estimator(model, bool(kinds[j]), n_estimators, random_state)
        if kinds[j]:
            t_mu, t_sd = ytr[:, j].mean(), ytr[:, j].std()
            est.fit(xtr, (ytr[:, j] - t_mu) / t_sd)
            inf_tr[j] = est.score(xtr, (ytr[:, j] - t_mu) / t_sd)  # R^2 is scale-free
            inf_te[j] = est.score(xte, (yte[:, j] - t_mu) / t_sd)
        else:
            est.fit(xtr, ytr[:, j].astype(np.int64))
            inf_tr[j] = np.mean(est.predict(xtr) == ytr[:, j].astype(np.int64))
            inf_te[j] = np.mean(est.predict(xte) == yte[:, j].astype(np.int64))
        if model == "linear":
            col = np.abs(np.atleast_2d(est.coef_)).sum(axis=0)
            importance[:, j] = col / col.sum() if col.sum() > 0 else col
        else:
            importance[:, j] = np.abs(est.feature_importances_)

    workers = min(n_jobs or os.cpu_count() or 1, len(active))
    if workers == 1:
        for j in active:
            fit(j)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(fit, active))   # list(): re-raises a worker's exception here
    r = importance[:, active]
    per_factor = np.full(k, np.nan)
    per_factor[active] = _one_minus_entropy(r.T, d)
    return {
        "disentanglement": disentanglement_from_importance(r),
        "completeness": completeness_from_importance(r),
        "informativeness_train": float(np.nanmean(inf_tr)),
        "informativeness_test": float(np.nanmean(inf_te)),
        "importance": importance,
        "disentanglement_per_code": _one_minus_entropy(r, len(active)),
        "completeness_per_factor": per_factor,
        "informativeness_train_per_factor": inf_tr,
        "informativeness_test_per_factor": inf_te,
        "skipped_factors": skipped,
    }


# ------------------------------------------------------------------------------- SAP
def sap(codes_train, factors_train, codes_test, factors_test, continuous=False, *, C: float = 0.01) -> dict:
    """Separated Attribute Predictability (Kumar et al. 2018) as in disentanglement_lib.

    A score matrix ``S (d, k)`` rates how well code dimension i alone predicts factor j:

    * discrete factor (``continuous=False``, the default): test-set accuracy of
      ``LinearSVC(C=C, class_weight="balanced")`` fitted on the single raw (unscaled)
      training dimension. It is one-vs-rest, so for a factor with more than two values
      even a perfect copy of the factor scores well below 1 (a line through one
      dimension cannot single out middle values), an uninformative dimension still
      scores about chance, so the gap stays below about ``1 - 1/(number of values)``, and the code's scale matters
      (C=0.01 is a strong penalty). This is the variant behind disentanglement_lib's published
      SAP numbers (its study configs set ``continuous_factors=False``);
    * continuous factor (``continuous=True``): squared Pearson correlation on the
      training set, i.e. the R^2 of a linear fit of the factor on the dimension (0 when
      the dimension's variance is below 1e-12). The test arrays are validated but, as in
      disentanglement_lib, not used.

    ``sap_j`` = largest minus second largest ``S[:, j]``. ``continuous`` is one bool or one
    per factor; discrete factors must be integer-valued. Factors constant on the training
    set are skipped (NaN, listed in ``skipped_factors``).

    Returns a dict: ``sap`` (mean over factors), ``sap_per_factor`` (k,),
    ``score_matrix`` (d, k), ``skipped_factors``.
    """
    from sklearn.svm import LinearSVC

    ztr, ytr, zte, yte = _train_test(codes_train, factors_train, codes_test, factors_test)
    if ztr.shape[1] < 2:
        raise ValueError(f"codes_train needs at least 2 columns for a gap between the top two, got {ztr.shape[1]}")
    if not (isinstance(C, (int, float, np.floating)) and C > 0):
        raise ValueError(f"C must be a positive number, got {C!r}")
    kinds = _factor_kinds(continuous, [(ytr, "factors_train"), (yte, "factors_test")], auto=False)
    d, k = ztr.shape[1], ytr.shape[1]
    skipped = [j for j in range(k) if np.ptp(ytr[:, j]) == 0.0]
    score = np.full((d, k), np.nan)
    per_factor = np.full(k, np.nan)
    for j in range(k):
        if j in skipped:
            continue
        for i in range(d):
            if kinds[j]:
                cov = np.cov(ztr[:, i], ytr[:, j], ddof=1)
                score[i, j] = cov[0, 1] ** 2 / (cov[0, 0] * cov[1, 1]) if cov[0, 0] > 1e-12 else 0.0
            else:
                clf = LinearSVC(C=C, class_weight="balanced")
                clf.fit(ztr[:, i:i + 1], ytr[:, j].astype(np.int64))
                score[i, j] = np.mean(clf.predict(zte[:, i:i + 1]) == yte[:, j].astype(np.int64))
        top = np.sort(score[:, j])[::-1]
        per_factor[j] = top[0] - top[1]
    return {"sap": _nanmean_or_raise(per_factor, skipped, "factors_train"), "sap_per_factor": per_factor,
            "score_matrix": score, "skipped_factors": skipped}
