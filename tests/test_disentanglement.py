"""MIG, DCI and SAP on representations whose answer is known.

The scenarios mirror disentanglement_lib's own tests (evaluation/metrics/mig_test.py,
dci_test.py, sap_score_test.py, utils_test.py): codes equal to the factors, codes that
carry no information, duplicated codes; plus monotone transforms, a rotation of two
factors, continuous and constant factors, and bad inputs. DCI uses the reference
gradient-boosted trees with 20 stages (instead of 100) to stay fast. Run with ``-s`` to
see the measured scores.
"""
import functools
import math

import numpy as np
import pytest
import torch

from sklearn.metrics import mutual_info_score

from vaelab.metrics.disentanglement import (completeness_from_importance, dci, discretize,
                                            disentanglement_from_importance, mig, mutual_info_columns, sap)

N = 1000
SIZES = (5, 7, 10)  # values taken by the three discrete factors
GBT = dict(model="gbt", n_estimators=20)


def _factors(n, seed):
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, m, n) for m in SIZES], 1).astype(np.float64)


Y_TR, Y_TE = _factors(N, 0), _factors(N, 1)


@functools.lru_cache(maxsize=None)
def _identity_dci():
    return dci(Y_TR, Y_TR, Y_TE, Y_TE, **GBT)


def _noise(n, d, seed):
    return np.random.default_rng(seed).normal(size=(n, d))


def _rotate(y):
    """Factors 1 and 2 mixed at 45 degrees into two dimensions; factor 0 kept."""
    return np.stack([(y[:, 1] + y[:, 2]) / math.sqrt(2), (y[:, 1] - y[:, 2]) / math.sqrt(2), y[:, 0]], 1)


def _report(name, m=None, d=None, s=None, sc=None):
    parts = [f"{name:>10s}:"]
    if m is not None:
        parts.append(f"MIG {m['mig']:.3f} per factor {np.round(m['mig_per_factor'], 3).tolist()}")
    if d is not None:
        parts.append(f"DCI D {d['disentanglement']:.3f} C {d['completeness']:.3f} "
                     f"I_train {d['informativeness_train']:.3f} I_test {d['informativeness_test']:.3f}")
    if s is not None:
        parts.append(f"SAP(discrete) {s['sap']:.3f} per factor {np.round(s['sap_per_factor'], 3).tolist()}")
    if sc is not None:
        parts.append(f"SAP(continuous) {sc['sap']:.3f}")
    print(" | ".join(parts))


# ------------------------------------------------------------------ reference unit values
def test_discretize_matches_reference_example():
    # utils_test.test_histogram_discretizer, transposed to (N, columns)
    x = np.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.6, .5, .4, .3, .2, .1]]).T
    want = np.array([[1, 1, 2, 2, 3, 3], [3, 3, 2, 2, 1, 1]]).T
    np.testing.assert_array_equal(discretize(x, bins=3), want)
    np.testing.assert_array_equal(discretize(torch.tensor(x), bins=3), want)
    z = discretize(_noise(500, 2, 0))  # 20 bins by default, labels 1..20, both ends used
    assert z.dtype == np.int64 and z.min() == 1 and z.max() == 20


def test_mutual_information_and_entropy_match_reference_example():
    # utils_test.test_discrete_mutual_info / test_discrete_entropy, transposed
    codes = np.array([[1, 2, 1, 2], [1, 1, 2, 2]], dtype=float).T
    factors = np.array([[1, 2, 1, 2], [2, 2, 1, 1]], dtype=float).T
    m = mig(codes, factors, bins=2)
    np.testing.assert_allclose(m["mutual_info"], [[math.log(2), 0.0], [0.0, math.log(2)]], atol=1e-12)
    np.testing.assert_allclose(m["factor_entropy"], [math.log(2)] * 2)
    assert m["mig"] == pytest.approx(1.0)
    three = np.array([[1, 1, 2, 2, 3, 3], [3, 3, 2, 2, 1, 1]], dtype=float).T
    np.testing.assert_allclose(mig(three, three)["factor_entropy"], [math.log(3)] * 2)


def test_mutual_info_columns_is_sklearns_mutual_info_score():
    # the reference's estimator, column by column, on labels and codes of unequal cardinality, with empty
    # cells, a constant column and a code that is a relabelling of the factor (MI = H)
    rng = np.random.default_rng(3)
    y = rng.integers(3, 9, 700)
    z = np.stack([rng.integers(0, 20, 700), (y * 7) % 11, np.zeros(700, int), y // 2, rng.integers(0, 2, 700)], 1)
    zi = np.stack([np.unique(c, return_inverse=True)[1] for c in z.T], 1)
    want = [mutual_info_score(y, c) for c in z.T]
    np.testing.assert_allclose(mutual_info_columns(y, zi), want, rtol=1e-12, atol=1e-15)
    assert mutual_info_columns(y, zi)[2] == 0.0
    assert mutual_info_columns(y, zi)[1] == pytest.approx(mutual_info_score(y, y), rel=1e-12)


def test_dci_is_the_same_in_threads():
    # each factor's estimator is seeded on its own: fitting them in parallel changes nothing
    z_tr, z_te = Y_TR + 0.5 * _noise(N, 3, 4), Y_TE + 0.5 * _noise(N, 3, 5)
    one, two = (dci(z_tr, Y_TR, z_te, Y_TE, n_jobs=j, **GBT) for j in (1, 2))
    np.testing.assert_array_equal(one["importance"], two["importance"])
    assert one["informativeness_test"] == two["informativeness_test"]
    with pytest.raises(ValueError, match="n_jobs"):
        dci(z_tr, Y_TR, z_te, Y_TE, n_jobs=0, **GBT)


def test_importance_matrix_scores_match_reference():
    # dci_test.DisentanglementTest / CompletenessTest
    diag = np.diag(5.0 * np.ones(5))
    empty_code = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    zero = np.zeros((10, 10))
    redundant = np.vstack([diag, diag])     # every factor in two codes
    two_factors = np.hstack([diag, diag])   # every code carries two factors
    half = 1.0 - math.log(2) / math.log(10)
    cases = {"diag": (diag, 1.0, 1.0), "empty code": (empty_code, 1.0, 1.0), "zero": (zero, 0.0, 0.0),
             "redundant": (redundant, 1.0, half), "missed factors": (diag[:2], 1.0, 1.0),
             "one code two factors": (two_factors, half, 1.0)}
    for name, (r, want_d, want_c) in cases.items():
        assert disentanglement_from_importance(r) == pytest.approx(want_d, abs=1e-7), name
        assert completeness_from_importance(r) == pytest.approx(want_c, abs=1e-7), name
    # undefined with one factor (disentanglement) or one code (completeness)
    assert math.isnan(disentanglement_from_importance(np.ones((3, 1))))
    assert math.isnan(completeness_from_importance(np.ones((1, 3))))


# ------------------------------------------------------------------------------ scenarios
def test_codes_equal_to_factors_score_high():
    m = mig(Y_TR, Y_TR)
    d = _identity_dci()
    s = sap(Y_TR, Y_TR, Y_TE, Y_TE)
    sc = sap(Y_TR, Y_TR, Y_TE, Y_TE, continuous=True)
    _report("identity", m, d, s, sc)
    assert 0.9 < m["mig"] <= 1.0                      # mig_test.test_metric
    assert 0.9 < d["disentanglement"] <= 1.0 + 1e-9   # dci_test.test_metric
    assert 0.9 < d["completeness"] <= 1.0 + 1e-9
    assert d["informativeness_test"] > 0.95
    assert 0.9 < sc["sap"] <= 1.0                     # sap_score_test.test_metric (continuous=True)
    # discrete SAP (LinearSVC, one-vs-rest on one dimension): each factor is best read off
    # its own dimension, but a line cannot single out middle values of a many-valued factor,
    # so the score is far below 1 -- and lower the more values the factor has
    assert (np.argmax(s["score_matrix"], axis=0) == np.arange(3)).all()
    assert s["sap"] > 0.25
    assert s["sap_per_factor"][0] > s["sap_per_factor"][2]


def test_discrete_sap_of_binary_factors_is_one_minus_chance():
    rng = np.random.default_rng(2)
    b_tr, b_te = rng.integers(0, 2, (N, 3)).astype(float), rng.integers(0, 2, (N, 3)).astype(float)
    s = sap(b_tr, b_tr, b_te, b_te)
    print(f"binary identity: SAP(discrete) {s['sap']:.3f}, diagonal {np.diag(s['score_matrix']).tolist()}")
    np.testing.assert_array_equal(np.diag(s["score_matrix"]), 1.0)  # a threshold separates 0 from 1
    assert s["sap"] == pytest.approx(0.5, abs=0.05)                    # second best: chance


def test_noise_codes_score_about_zero():
    z_tr, z_te = _noise(N, 3, 3), _noise(N, 3, 4)
    m = mig(z_tr, Y_TR)
    d = dci(z_tr, Y_TR, z_te, Y_TE, **GBT)
    s = sap(z_tr, Y_TR, z_te, Y_TE)
    sc = sap(z_tr, Y_TR, z_te, Y_TE, continuous=True)
    _report("noise", m, d, s, sc)
    assert 0.0 <= m["mig"] < 0.1
    assert d["disentanglement"] < 0.2 and d["completeness"] < 0.2   # dci_test.test_bad_metric bound
    chance = np.mean([1 / size for size in SIZES])
    assert d["informativeness_test"] < chance + 0.05
    assert abs(s["sap"]) < 0.05 and sc["sap"] < 0.05
    zero = np.zeros_like(Y_TR)  # mig_test / sap_score_test.test_bad_metric: codes all zero
    assert mig(zero, Y_TR)["mig"] == 0.0
    assert sap(zero, Y_TR, zero, Y_TE, continuous=True)["sap"] == 0.0


def test_one_factor_in_two_codes():
    z_tr, z_te = np.c_[Y_TR, Y_TR[:, :1]], np.c_[Y_TE, Y_TE[:, :1]]
    m = mig(z_tr, Y_TR)
    d = dci(z_tr, Y_TR, z_te, Y_TE, **GBT)
    s = sap(z_tr, Y_TR, z_te, Y_TE)
    sc = sap(z_tr, Y_TR, z_te, Y_TE, continuous=True)
    _report("dup f0", m, d, s, sc)
    assert m["mig_per_factor"][0] < 0.01 and (m["mig_per_factor"][1:] > 0.9).all()
    assert d["disentanglement"] > 0.9
    # factor 0's importance is split over two of the four codes: 1 - log 2 / log 4 = 0.5
    assert d["completeness_per_factor"][0] == pytest.approx(0.5, abs=0.1)
    assert (d["completeness_per_factor"][1:] > 0.95).all()
    assert d["completeness"] < 0.9
    assert s["sap_per_factor"][0] == 0.0 and sc["sap_per_factor"][0] < 0.01
    assert sc["sap_per_factor"][1:].min() > 0.9


def test_whole_code_duplicated_as_in_reference():
    # mig_test / dci_test / sap_score_test.test_duplicated_latent_space
    z_tr, z_te = np.c_[Y_TR, Y_TR], np.c_[Y_TE, Y_TE]
    m = mig(z_tr, Y_TR)
    d = dci(z_tr, Y_TR, z_te, Y_TE, **GBT)
    sc = sap(z_tr, Y_TR, z_te, Y_TE, continuous=True)
    _report("dup all", m, d, sc=sc)
    assert m["mig"] < 0.1
    assert d["disentanglement"] > 0.9
    assert d["completeness"] == pytest.approx(1 - math.log(2) / math.log(6), abs=0.1)
    assert sc["sap"] < 0.2


def test_mig_survives_monotone_maps_that_relabel_bins():
    # strictly monotone nonlinear maps of discrete codes whose values stay in distinct bins
    y = Y_TR
    warped = np.stack([np.exp(y[:, 0] / 3), -np.log1p(y[:, 1]), np.tanh(y[:, 2] / 5 - 1)], 1)
    base, after = mig(y, y), mig(warped, y)
    _report("warped", after)
    np.testing.assert_allclose(after["mutual_info"], base["mutual_info"], atol=1e-12)
    assert after["mig"] == pytest.approx(base["mig"], abs=1e-12)
    # affine maps (either sign) of continuous codes: the same bins, the same score
    z = Y_TR + 0.3 * _noise(N, 3, 5)
    affine = z * np.array([2.0, -0.5, 7.0]) + np.array([1.0, 3.0, -4.0])
    assert mig(affine, y)["mig"] == pytest.approx(mig(z, y)["mig"], abs=1e-12)
    # not every monotone map: y**3 puts 0 and 1 (of 0..6) into one of 20 equal-width bins
    cubed = mig(np.c_[y[:, 0], y[:, 1] ** 3, y[:, 2]], y)
    assert cubed["mig_per_factor"][1] < base["mig_per_factor"][1] - 0.1


def test_rotated_factors_lower_disentanglement():
    z_tr, z_te = _rotate(Y_TR), _rotate(Y_TE)
    m = mig(z_tr, Y_TR)
    d = dci(z_tr, Y_TR, z_te, Y_TE, **GBT)
    s = sap(z_tr, Y_TR, z_te, Y_TE)
    sc = sap(z_tr, Y_TR, z_te, Y_TE, continuous=True)
    _report("rotated", m, d, s, sc)
    assert (m["mig_per_factor"][1:] < 0.1).all() and m["mig_per_factor"][0] > 0.9
    # two codes each split evenly over two of three factors, one code pure:
    # D = (1 + 2 (1 - log 2 / log 3)) / 3
    want = (1 + 2 * (1 - math.log(2) / math.log(3))) / 3
    assert d["disentanglement"] == pytest.approx(want, abs=0.05)
    assert d["disentanglement"] < _identity_dci()["disentanglement"] - 0.3
    assert (sc["sap_per_factor"][1:] < 0.1).all() and (s["sap_per_factor"][1:] < 0.1).all()


def test_continuous_factors():
    rng = np.random.default_rng(6)
    c_tr, c_te = rng.uniform(size=(N, 2)), rng.uniform(size=(N, 2))
    m = mig(c_tr, c_tr)  # non-integer columns are binned like the codes
    assert m["mig"] > 0.9
    assert mig(c_tr, c_tr, continuous=[True, True])["mig"] == m["mig"]
    for model in ("gbt", "forest", "linear"):  # regressor twins; informativeness is R^2
        d = dci(c_tr, c_tr, c_te, c_te, model=model, n_estimators=20)
        _report(f"cont {model}", d=d)
        assert d["disentanglement"] > 0.9 and d["completeness"] > 0.9 and d["informativeness_test"] > 0.95
    assert sap(c_tr, c_tr, c_te, c_te, continuous=True)["sap"] > 0.9
    with pytest.raises(ValueError, match="factors_train column 0.*non-integer"):
        sap(c_tr, c_tr, c_te, c_te)  # discrete SAP of a continuous factor


def test_cheaper_dci_estimators_agree_on_the_extremes():
    z_tr, z_te = _noise(N, 3, 7), _noise(N, 3, 8)
    for model in ("forest", "linear"):
        good = dci(Y_TR, Y_TR, Y_TE, Y_TE, model=model, n_estimators=20)
        bad = dci(z_tr, Y_TR, z_te, Y_TE, model=model, n_estimators=20)
        _report(f"{model} id", d=good)
        _report(f"{model} nz", d=bad)
        assert good["disentanglement"] > 0.9 and good["completeness"] > 0.9
        assert bad["disentanglement"] < 0.2 and bad["completeness"] < 0.2


def test_torch_inputs_match_numpy():
    z = Y_TR + 0.3 * _noise(N, 3, 9)
    t = torch.tensor(z, dtype=torch.float64)
    assert mig(t, torch.tensor(Y_TR))["mig"] == mig(z, Y_TR)["mig"]
    assert sap(t, torch.tensor(Y_TR), t, torch.tensor(Y_TR))["sap"] == sap(z, Y_TR, z, Y_TR)["sap"]


def test_constant_factors_are_skipped():
    y = np.c_[Y_TR[:, 0], np.full(N, 3.0), Y_TR[:, 1]]
    yt = np.c_[Y_TE[:, 0], np.full(N, 3.0), Y_TE[:, 1]]
    z, zt = np.c_[Y_TR[:, :2], _noise(N, 1, 10)], np.c_[Y_TE[:, :2], _noise(N, 1, 11)]
    m = mig(z, y)
    assert m["skipped_factors"] == [1] and math.isnan(m["mig_per_factor"][1])
    assert m["mig"] == pytest.approx(np.mean(m["mig_per_factor"][[0, 2]]))
    d = dci(z, y, zt, yt, **GBT)
    assert d["skipped_factors"] == [1] and np.isnan(d["importance"][:, 1]).all()
    assert d["disentanglement"] == pytest.approx(
        disentanglement_from_importance(d["importance"][:, [0, 2]]))
    s = sap(z, y, zt, yt)
    assert s["skipped_factors"] == [1] and math.isnan(s["sap_per_factor"][1])
    const = np.ones((N, 2))
    with pytest.raises(ValueError, match="every column of factors is constant"):
        mig(z, const)
    with pytest.raises(ValueError, match="factors_train is constant"):
        dci(z, const, zt, const, **GBT)
    with pytest.raises(ValueError, match="factors_train is constant"):
        sap(z, const, zt, const)


# ------------------------------------------------------------------------------ bad inputs
Z, Y = Y_TR[:100], Y_TR[:100]
NAN = Z.copy()
NAN[5, 1] = np.nan


@pytest.mark.parametrize("call, name", [
    (lambda: mig(Z[:99], Y), "codes and factors differ in length"),
    (lambda: mig(Z[:, 0], Y), "codes must be 2-D"),
    (lambda: mig(Z, Y[None]), "factors must be 2-D"),
    (lambda: mig(NAN, Y), "codes contains NaN"),
    (lambda: mig(Z, np.where(NAN > 0, np.inf, Y)), "factors contains NaN or inf"),
    (lambda: mig(Z[:, :1], Y), "codes needs at least 2 columns"),
    (lambda: mig(Z, Y, bins=0), "bins must be a positive integer"),
    (lambda: mig(Z, Y + 0.5, continuous=False), "factors column 0 is treated as discrete"),
    (lambda: mig(Z, Y, continuous=[True]), "continuous must be"),
    (lambda: mig(np.zeros((0, 3)), np.zeros((0, 3))), "codes must have at least one row"),
    (lambda: discretize(Z[:, 0]), "x must be 2-D"),
    (lambda: dci(Z, Y, Z[:50], Y, **GBT), "codes_test and factors_test differ in length"),
    (lambda: dci(Z, Y[:50], Z, Y, **GBT), "codes_train and factors_train differ in length"),
    (lambda: dci(Z, Y, Z[:, :2], Y, **GBT), "codes_test has 2 columns but codes_train has 3"),
    (lambda: dci(Z, Y, Z, Y[:, :2], **GBT), "factors_test has 2 columns but factors_train has 3"),
    (lambda: dci(Z, Y, NAN, Y, **GBT), "codes_test contains NaN"),
    (lambda: dci(Z, Y, Z, Y, model="svm"), "model must be one of"),
    (lambda: dci(Z, Y, Z, Y, n_estimators=0), "n_estimators must be a positive integer"),
    (lambda: sap(NAN, Y, Z, Y), "codes_train contains NaN"),
    (lambda: sap(Z, Y, Z, Y[:, :, None]), "factors_test must be 2-D"),
    (lambda: sap(Z[:, :1], Y, Z[:, :1], Y), "codes_train needs at least 2 columns"),
    (lambda: sap(Z, Y, Z, Y + 0.5), "factors_test column 0 is treated as discrete"),
    (lambda: sap(Z, Y, Z, Y, continuous=None), "continuous must be a bool"),
    (lambda: sap(Z, Y, Z, Y, C=0), "C must be a positive number"),
    (lambda: disentanglement_from_importance(-np.eye(3)), "importance must be non-negative"),
])
def test_bad_inputs_name_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
