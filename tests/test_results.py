"""The results chapter's tables: the numbers are the chapters' per-seed metrics, the paper's are the
chapters' constants, and the setup column is read from the profiles."""
import math

from vaelab import report
from vaelab.chapters import acai, cycle_vae, results, toy_csvae, vae_playground


def _runs(name, values, **more):
    return {(name, s): {"metrics": {k: v[s] for k, v in {**values, **more}.items()}}
            for s in range(len(values[next(iter(values))]))}


def test_cycle_vae_table_puts_the_papers_number_beside_mean_and_sd():
    R = _runs("MNIST 16/16", {"z_test": [70.0, 72.0, 74.0], "zs_test": [14.0, 15.0, 16.0],
                              "s_test": [94.0, 95.0, 96.0]})
    t = results.cycle_vae(R)
    row = t.loc["MNIST 16/16: class from sampled z, test (%)"]  # the paper's z under the sampled protocol
    assert row["paper"] == f"{cycle_vae.PAPER['MNIST 16/16'][1]:.2f}"
    assert row["ours"] == "15.00 ± 1.00 (3 seeds)"
    means = t.loc["MNIST 16/16: class from z means, test (%)"]
    assert means["ours"] == "72.00 ± 2.00 (3 seeds)" and means["paper"] == results.NO_NUMBER
    assert t.loc["MNIST 16/16: class from s, test (%)", "paper"] == f"{cycle_vae.PAPER['MNIST 16/16'][3]:.2f}"
    its = cycle_vae.PROFILES["book"].mnist_iterations
    assert f"{its:,} iterations" in row["setup difference"]
    # an experiment without runs shows no number rather than a made-up one
    assert t.loc["MNIST 64/64: class from sampled z, test (%)", "ours"] == "—"
    assert "ToySprites" in t.loc["ToySprites 512/64: class from s, test (%)", "setup difference"]


def test_toy_table_scales_fractions_to_percent_and_counts_seeds():
    R = _runs("CSVAE", {"acc_w": [1.0, 0.98], "acc_z": [0.8, 0.9], "mi_z": [0.1, 0.2], "flip": [0.5, 0.7]})
    t = results.toy_csvae(R)
    assert t.loc["CSVAE: label probe accuracy from w (%)", "ours"] == "99.0 ± 1.4 (2 seeds)"
    assert t.loc["CSVAE: I(y; z) (bits)", "ours"] == "0.150 ± 0.071 (2 seeds)"
    assert t.loc["VAE: label probe accuracy from z (%)", "ours"] == "—"
    p, ref = toy_csvae.PROFILES["book"], toy_csvae.PROFILES["paper"]
    assert f"{p.iterations / ref.iterations:.1%} of the reference's" in t.iloc[0]["setup difference"]


def test_playground_table_shows_the_closed_form_optimum():
    P = _runs("AVB", {"log_px": [-1.40, -1.42], "kl_model": [1.3, 1.4], "kl_knn": [2.1, 2.2]})
    C = _runs("Conjoint VAE", {"probe_private0_background0": [1.0], "probe_shared_digit": [0.25],
                               "transfer4_both": [0.13], "floor_both": [0.12]})
    t = results.vae_playground(P, C)
    assert t.loc["four points, AVB: log p(x) (nats)", "paper"].startswith(f"≤ {-math.log(4):.3f}")
    assert t.loc["four points, AVB: log p(x) (nats)", "ours"] == "-1.410 ± 0.014 (2 seeds)"
    assert t.loc["Conjoint VAE: background transfer succeeds, pass 4 (%)", "ours"] == "13.0 (1 seed)"
    assert vae_playground.PROFILES["book"].transfer_iterations == 4


def test_acai_table_reads_the_chapters_keys_and_keeps_nan_seeds_visible():
    R = _runs(acai.key("ACAI", "lines", None), {"distance_e3": [3.0, 4.0, 5.0], "smoothness": [0.1, float("nan"), 0.3]})
    R |= _runs(acai.key("Baseline AE", "mnist", 256), {"probe_acc": [92.5]})
    t = results.acai(R)
    assert t.loc["lines, ACAI: Mean Distance (×10⁻³)", "ours"] == "4.00 ± 1.00 (3 seeds)"
    assert t.loc["lines, ACAI: Smoothness", "ours"] == "0.200 ± 0.141 (1 NaN) (3 seeds)"
    assert t.loc["MNIST 256, Baseline AE: linear probe accuracy (%)", "ours"] == "92.50 (1 seed)"
    assert f"{acai.PROFILES['book'].lines_iterations:,} iterations" in t.iloc[0]["setup difference"]
    assert list(t.columns) == list(results.COLUMNS)


def test_html_shows_every_setup_difference_whole():
    """pandas cuts cells past 50 characters with "…"; the results page must show the whole setup."""
    R = _runs("MNIST 16/16", {"z_test": [70.0, 72.0], "s_test": [94.0, 95.0]})
    t = results.cycle_vae(R)
    long = t.loc["ToySprites 512/64: class from s, test (%)", "setup difference"]
    assert len(long) > 50
    html = t._repr_html_()
    assert long in html and "…" not in html
    assert type(t.loc[["MNIST 16/16: class from z means, test (%)"]]) is type(t)  # slices keep the whole-cell HTML


def test_domain_translation_table_reads_each_domain_and_states_no_paper_number():
    from vaelab.chapters import domain_translation

    R = _runs("glasses", {"add_success": [80.0, 90.0], "add_eye_mse": [0.03, 0.05], "add_mse": [0.9, 0.9],
                          "probe_specific": [99.0, 97.0], "probe_common": [55.0, 57.0]})
    R |= _runs("beard", {"add_mse": [0.005], "add_eye_mse": [0.7]})
    t = results.domain_translation(R)
    assert t.loc["glasses: added, judged present (%)", "ours"] == "85.0 ± 7.1 (2 seeds)"
    assert t.loc["glasses: added, MSE to the true translation (eye region)", "ours"] == "0.0400 ± 0.0141 (2 seeds)"
    assert t.loc["beard: added, MSE to the true translation", "ours"] == "0.0050 (1 seed)"  # the whole image
    assert t.loc["beard: domain read from E1's code (%)", "ours"] == "—"
    assert (t["paper"] == results.NO_NUMBER).all()
    its = domain_translation.PROFILES["book"].iterations
    assert f"{its:,} iterations" in t.iloc[0]["setup difference"] and "ToyFaces" in t.iloc[0]["setup difference"]


def test_celeba_table_reads_each_model_and_states_no_paper_number():
    from vaelab.chapters import celeba_csvae

    R = _runs("CSVAE", {"success_eyeglasses": [40.0, 60.0], "recon_mse": [0.01, 0.02], "mig": [0.1, 0.2]})
    R |= _runs("VAE", {"success_eyeglasses": [10.0]})
    t = results.celeba_csvae(R)
    assert t.loc["CSVAE: Eyeglasses, judged success (%)", "ours"] == "50.0 ± 14.1 (2 seeds)"
    assert t.loc["CSVAE: MIG", "ours"] == "0.150 ± 0.071 (2 seeds)"
    assert t.loc["VAE: Eyeglasses, judged success (%)", "ours"] == "10.0 (1 seed)"
    assert t.loc["CondVAE: reconstruction MSE", "ours"] == "—"
    assert t["paper"].str.startswith(results.NO_NUMBER).all()
    p = celeba_csvae.PROFILES["book"]
    assert f"{p.vae_iterations + p.iterations:,} iterations" in t.iloc[0]["setup difference"]


def test_acai_plateau_claim_says_where_the_curve_runs_leave_the_plateau():
    lines = lambda m, spread: _runs(acai.key(m, "lines", None), {"recon_spread": spread, "distance_e3": [20.0] * 3,
                                                                 "smoothness": [0.3] * 3})
    R = lines("ACAI", [0.9] * 3) | lines("Baseline AE", [0.8] * 3) | lines("AAE", [0.0, 0.5, 0.5]) | \
        lines("VQ-VAE", [0.0] * 3) | lines("Denoising AE", [0.0] * 3)
    curve = lambda spreads, d=10.0, sm=0.2: {"record": {"curve": [
        {"iter": i, "recon_spread": s, "distance_e3": d, "smoothness": sm}
        for i, s in zip((3000, 10_000, 30_000), spreads)]}}
    long_runs = {"AAE": curve([0, 0.3, 0.5]), "VQ-VAE": curve([0, 0, 0]), "ACAI": curve([0.9, 0.9, 0.9], 2.0, 0.1),
                 "Denoising AE": curve([0.2, 0.3, 0.5], sm=float("nan"))}
    found = results.acai_claims(R, long_runs=long_runs)
    assert found[-1].evidence.endswith(
        "; trained on to 30,000 iterations (seed 0), Denoising AE's seed 0 is off the plateau already at 3,000, AAE "
        "leaves the plateau from 10,000 and VQ-VAE is still on the plateau; at 30,000 iterations (seed 0), the longest "
        "every committed curve reaches, the methods off the plateau rank, lower first: Mean Distance (×10⁻³) ACAI "
        "2.00, AAE 10.00, Denoising AE 10.00; Smoothness ACAI 0.100, AAE 0.200 (undefined for Denoising AE); VQ-VAE "
        "is on the plateau there; the curves of Baseline AE, Dropout AE and VAE are not committed yet")
    assert found[0].evidence == f"Welch's test over seeds, {report.NO_TEST}", "no pair of curves, no words on them"
    long_runs["Baseline AE"] = curve([0.9, 0.9, 0.9], 12.5, 0.25)
    long_runs["ACAI"]["record"]["curve"].pop()  # ACAI's curve ends at 10,000: the pair is compared there
    found = results.acai_claims(R, long_runs=long_runs)
    assert found[0].evidence.endswith("; at 10,000 iterations (seed 0), the longest both curves reach: ACAI 2.00, "
                                      "baseline AE 12.50")
    assert found[1].evidence.endswith("; at 10,000 iterations (seed 0), the longest both curves reach: ACAI 0.100, "
                                      "baseline AE 0.250")
    assert results.acai_claims(R)[-1].evidence.endswith("the lines table gives every method's numbers")


def test_acai_official_protocol_claim_reads_the_mnist_curves_end_and_decides_only_where_they_stopped():
    from vaelab import claims

    def curve(joint, probe=90.0):
        return {"record": {"curve": [{"iter": i, "joint_acc": j, "probe_acc": p}
                                     for i, j, p in zip((1000, 2000, 5000, 10_000), joint, [probe] * 4)]}}

    def official(mnist_runs, profile="book"):
        return results._official_protocol_claim(mnist_runs, profile)

    rising = official({"Baseline AE": curve([20, 40, 70, 83], 92.5), "ACAI": curve([20, 40, 65, 78], 91.0)})
    assert rising.verdict == claims.OPEN and rising.explained_by == "length"
    paper = acai.PAPER_ITERATIONS
    assert rising.ours == (f"ACAI 78.00 %, baseline AE 83.00 % (10,000 iterations ({10_000 / paper:.1%} of the "
                           f"reference's {paper:,}), seed 0); the book's probe on the same runs: ACAI 91.00 %, "
                           "baseline AE 92.50 %")
    assert rising.evidence.endswith("; the official accuracies of the baseline AE and ACAI still move by more than 1 "
                                    "point over their last three points; one seed (0): no test over seeds")
    flat = official({"Baseline AE": curve([83, 83, 83, 83]), "ACAI": curve([78, 78, 78.5, 78])})
    assert flat.verdict == claims.NOT_REPRODUCED and flat.explained_by == "hyperparameters"
    assert "; both official curves are flat within 1 point over their last three points" in flat.evidence
    # ACAI flat, the AE ahead and rising away: longer training would widen the gap, not close it
    apart = official({"Baseline AE": curve([60, 70, 80, 90]), "ACAI": curve([70, 78, 78, 78])})
    assert apart.verdict == claims.NOT_REPRODUCED and apart.explained_by == "hyperparameters"
    assert ("; ACAI's official accuracy is flat within 1 point from 2,000 to 10,000 iterations while the baseline "
            "AE's, ahead, still rises, 70.0 → 90.0 %, away from it") in apart.evidence
    # the AE flat and ahead, ACAI still rising towards it: not decided
    closing = official({"Baseline AE": curve([83] * 4), "ACAI": curve([40, 60, 70, 78])})
    assert closing.verdict == claims.OPEN
    assert "; ACAI's official accuracy still moves by more than 1 point over its last three points" in closing.evidence
    ahead = official({"Baseline AE": curve([70, 75, 80, 83]), "ACAI": curve([97, 98, 98, 98])})
    assert ahead.verdict == claims.DIRECTION   # one seed: no test, so never "reproduced"
    level = official({"Baseline AE": curve([80, 80, 80, 80]), "ACAI": curve([80, 80, 80, 80.5])})
    assert level.verdict == claims.NOT_REPRODUCED   # within a point is no lead
    half = official({"Baseline AE": curve([20, 40, 70, 82.94])})
    assert half.verdict == claims.NOT_TESTED
    assert half.ours == ("ACAI's curve run is not committed yet (the baseline AE's official classifier: 82.94 % at "
                         "10,000 iterations)")
    assert official({}).ours == "the baseline AE's and ACAI's curve runs are not committed yet"
    assert official({}, "smoke").ours == "the curve runs belong to the book profile"
    assert [c.claim for c in results.acai_claims({}, mnist_runs={})].count(half.claim) == 1


def test_acai_probe_claim_names_length_where_the_mnist_curves_end_with_acai_ahead():
    from vaelab.chapters.acai import mnist_length as ml

    mnist = lambda m, size, v: _runs(acai.key(m, "mnist", size), {"probe_acc": v})   # noqa: E731
    R = {}
    for size in acai.MNIST_LATENTS:   # level at the book's length: the claim fails there
        R |= mnist("ACAI", size, [88.0, 88.2]) | mnist("Baseline AE", size, [88.3, 88.1])
    curve = lambda probe: {"record": {"curve": [{"iter": 10_000, "probe_acc": probe, "joint_acc": 80.0}]}}  # noqa: E731

    def probe_claim(mnist_runs, size=ml.SIZE):
        found = results.acai_claims(R, mnist_runs=mnist_runs)
        return next(c for c in found if c.claim.startswith(f"MNIST, latent size {size}: a linear probe"))

    ahead = {"ACAI": curve(94.5), "Baseline AE": curve(92.54)}
    c = probe_claim(ahead)
    assert c.explained_by == "length"
    assert c.evidence.endswith("; trained to 10,000 iterations (seed 0), the book's probe reads the digit at 94.50 % "
                               "from ACAI's code and 92.54 % from the baseline AE's")
    other = next(s for s in acai.MNIST_LATENTS if s != ml.SIZE)
    assert probe_claim(ahead, other).explained_by == "protocol"   # no curve at that latent size
    assert probe_claim({"ACAI": curve(93.0), "Baseline AE": curve(92.54)}).explained_by == "protocol"   # level
    assert probe_claim({"ACAI": curve(94.5)}).explained_by == "protocol"   # one curve: no comparison
    none = probe_claim({})
    assert "trained to" not in none.evidence and none.explained_by == "protocol"


def test_celeba_claims_are_decided_by_the_csvae_with_the_papers_weights_where_it_was_trained():
    from vaelab import claims
    from vaelab.chapters import celeba_csvae as cc

    keys = ("success_mean",)   # the four edits' mean, as the page's evaluation gives it
    R = {}
    for m, success, mse in (("CondVAE", (10, 11, 12), (0.010, 0.011, 0.012)), ("CSVAE", (1, 2, 3), (0.02,) * 3),
                            (cc.PAPER_CSVAE, (30, 32, 34), (0.015, 0.016, 0.017))):
        for s in range(3):
            R[(m, s)] = {"metrics": {**{k: float(success[s]) for k in keys}, "recon_mse": mse[s]}}
    accurate, richer = results.celeba_csvae_claims(R)
    assert richer.verdict == claims.REPRODUCED
    assert "the CSVAE with the paper's loss weights 32.0 ± 2.0 %, CondVAE 11.0 ± 1.0 %" in richer.ours
    assert "; with the notebook's weights (KL of w a hundredth of KL of z) the CSVAE has 2.0 ± 1.0 %" in \
        richer.evidence
    assert "CondVAE 0.0110 ± 0.0010, the CSVAE with the paper's loss weights 0.0160 ± 0.0010" in accurate.ours
    notebook_only = {k: v for k, v in R.items() if k[0] != cc.PAPER_CSVAE}
    accurate, richer = results.celeba_csvae_claims(notebook_only)
    assert richer.explained_by == "hyperparameters" and "the CSVAE 2.0 ± 1.0 %" in richer.ours
    assert richer.evidence.endswith("not the paper's, and codes the face in w")


def test_celeba_claims_read_the_curves_where_both_deciding_models_have_one():
    """A curve's end must agree with the book's seeds; both curves flat moves the rung from length on; one curve
    alone is shown but decides nothing."""
    from vaelab import claims
    from vaelab.chapters import celeba_csvae as cc

    keys = ("success_mean",)   # the four edits' mean, as the page's evaluation gives it
    R = {}
    for m, success, mse in (("CondVAE", (10, 11, 12), (0.010, 0.011, 0.012)),
                            (cc.PAPER_CSVAE, (30, 32, 34), (0.015, 0.016, 0.017))):
        for s in range(3):
            R[(m, s)] = {"metrics": {**{k: float(success[s]) for k in keys}, "recon_mse": mse[s]}}

    def curve(success, mse):
        return {"record": {"curve": [{"iter": i, "success_mean": a, "recon_mse": b}
                                     for i, a, b in zip((1000, 2000, 5000, 10_000), success, mse)]}}

    flat = {"CondVAE": curve([10, 20, 20.5, 21], [0.02, 0.012, 0.0119, 0.0118]),
            cc.PAPER_CSVAE: curve([30, 40, 41, 40], [0.03, 0.0161, 0.016, 0.0159])}
    accurate, richer = results.celeba_csvae_claims(R, long_runs=flat)
    assert richer.verdict == claims.REPRODUCED and richer.explained_by == ""
    assert "; seed 0 trained to 10,000 iterations: CondVAE 21.0 %, CSVAE-paper 40.0 %" in richer.ours
    assert richer.evidence.endswith("; flat within 2 points from 2,000 to 10,000 iterations")
    assert accurate.verdict == claims.REPRODUCED and accurate.ours.endswith("CondVAE 0.0118, CSVAE-paper 0.0159")
    moving = {"CondVAE": curve([10, 20, 30, 50], [0.02, 0.012, 0.0119, 0.0118]),
              cc.PAPER_CSVAE: curve([30, 40, 30, 20], [0.03, 0.0161, 0.016, 0.0159])}
    _, richer = results.celeba_csvae_claims(R, long_runs=moving)
    assert richer.verdict == claims.OPEN and richer.explained_by == "length", "the curve's end reverses the order"
    assert richer.evidence.endswith("; still moving by more than 2 points between 2,000 and 10,000 iterations")
    away = {**flat, "CondVAE": curve([10, 20, 30, 50], [0.02, 0.012, 0.0119, 0.0118])}
    _, richer = results.celeba_csvae_claims(R, long_runs=away)
    assert richer.verdict == claims.NOT_REPRODUCED and richer.explained_by == "hyperparameters", \
        "the CSVAE's curve is flat and CondVAE's passes it and rises on: longer training would not reverse it"
    assert richer.evidence.endswith("; the CSVAE-paper's curve is flat within 2 points from 2,000 to 10,000 "
                                    "iterations while CondVAE's still rises, 20.0 → 50.0 %, away from it")
    shifted = {**away, "CondVAE": {"record": {"curve": [{**q, "iter": q["iter"] + 1}
                                                        for q in away["CondVAE"]["record"]["curve"]]}}}
    _, richer = results.celeba_csvae_claims(R, long_runs=shifted)
    assert richer.verdict == claims.OPEN, "curves measured at other iterations are not compared point by point"
    R_fails = {k: {"metrics": {**v["metrics"], **{q: 0.0 for q in keys}}} if k[0] == cc.PAPER_CSVAE else v
               for k, v in R.items()}
    flat_fail = {**flat, cc.PAPER_CSVAE: curve([1, 2, 2, 2], [0.03, 0.0161, 0.016, 0.0159])}
    _, richer = results.celeba_csvae_claims(R_fails, long_runs=flat_fail)
    assert richer.verdict == claims.NOT_REPRODUCED and richer.explained_by == "hyperparameters"
    from vaelab.chapters.celeba_csvae import ablation
    ablated = {**R_fails, **{(ablation.name(0), s): {"metrics": {"success_mean": 1.0 + s}} for s in range(3)}}
    ablated.update({(cc.PAPER_CSVAE, s): {"metrics": {**R_fails[(cc.PAPER_CSVAE, s)]["metrics"], "success_mean": 0.0}}
                    for s in range(3)})
    _, richer = results.celeba_csvae_claims(R_fails, long_runs=flat_fail, ablated=ablated)
    assert richer.evidence.endswith("; the CSVAE-paper retrained with only its adversary's weight changed (3 seeds) "
                                    "has its edits judged successful on 2.0 ± 1.0 % with beta4 = 0 (Welch's test "
                                    "against the paper's weight, p = 0.074) and 0.0 ± 0.0 % with the paper's beta4 = "
                                    "70")
    alone = {cc.PAPER_CSVAE: flat[cc.PAPER_CSVAE]}
    _, richer = results.celeba_csvae_claims(R, long_runs=alone)
    assert richer.verdict == claims.REPRODUCED and richer.ours.endswith(
        "; seed 0 trained to 10,000 iterations: CSVAE-paper 40.0 % (CondVAE's curve is not committed yet)")
    assert "flat within" not in richer.evidence and "still moving" not in richer.evidence


def test_acai_every_baseline_claim_is_decided_on_the_curves_at_equal_length_once_all_are_committed():
    """ACAI's curve stops at 10,000 here, the others at 30,000: the claim reads every curve at 10,000. A baseline on
    the plateau there, or with an undefined Smoothness, is beaten; one ahead of ACAI by more than length.MARGIN, with
    both curves of that score flat (length.FLAT) up to 10,000, settles it against the paper."""
    from vaelab import claims

    def curve(d, sm=0.2, spread=0.9, iters=(3000, 5000, 10_000, 30_000)):
        sm = sm if isinstance(sm, list) else [sm] * len(d)
        return {"record": {"curve": [{"iter": i, "recon_spread": spread, "distance_e3": v, "smoothness": w}
                                     for i, v, w in zip(iters, d, sm)]}}

    long_runs = {m: curve([20.0, 15.0, 12.0, 11.0]) for m in acai.METHODS}
    long_runs["ACAI"] = curve([4.0, 3.5, 3.2], 0.1, iters=(3000, 5000, 10_000))
    long_runs["AAE"] = curve([30.0] * 4, float("nan"), spread=0.0)
    long_runs["Denoising AE"] = curve([25.0, 8.0, 6.0, 3.0], float("nan"))  # at 10,000 behind by more than 1.0
    claim = lambda: results.acai_claims({}, long_runs=long_runs)[-1]  # noqa: E731
    c = claim()
    assert c.verdict == claims.DIRECTION and c.explained_by == "length"
    assert c.ours.endswith("; seed 0 at 10,000 iterations: ACAI's Mean Distance 3.20 ×10⁻³, Smoothness 0.100, better "
                           "than every baseline's on both")
    assert c.evidence.endswith("; better means lower by more than 1 ×10⁻³ (Mean Distance) or 0.05 (Smoothness); one "
                               "seed (0): no test over seeds")

    long_runs["VAE"] = curve([3.3, 3.1, 2.9, 2.8])  # level with ACAI on Mean Distance (within the margin)
    c = claim()
    assert c.verdict == claims.OPEN and c.ours.endswith("not better than VAE's on Mean Distance")
    long_runs["VAE"] = curve([2.2, 2.1, 2.0, 0.1])  # ahead by more than the margin, flat up to 10,000 (not after)
    c = claim()
    assert c.verdict == claims.NOT_REPRODUCED and c.explained_by == "hyperparameters"
    long_runs["VAE"] = curve([9.0, 6.0, 2.0, 1.9])  # ahead, but still falling by more than 1.0 up to 10,000
    assert claim().verdict == claims.OPEN
    long_runs["VAE"] = curve([20.0] * 4, [0.02, 0.02, 0.02, 0.02])  # ahead on Smoothness only, flat there
    c = claim()
    assert c.verdict == claims.NOT_REPRODUCED and c.ours.endswith("not better than VAE's on Smoothness")
    long_runs["VAE"] = curve([20.0] * 4, [0.5, 0.3, 0.02, 0.02])  # ahead on Smoothness, still falling there
    assert claim().verdict == claims.OPEN

    long_runs["VAE"] = curve([30.0, 25.0, 20.0, 20.0])
    long_runs["ACAI"] = curve([30.0] * 3, float("nan"), spread=0.0, iters=(3000, 5000, 10_000))
    c = claim()  # ACAI on the plateau beats nobody; the baselines that score are ahead of it
    assert c.verdict == claims.OPEN, "the baselines' Mean Distance still moves by more than 1.0"
    assert "ACAI's Mean Distance 30.00 ×10⁻³, Smoothness undefined, not better than" in c.ours
    assert "AAE's on Mean Distance and Smoothness" in c.ours, "a baseline on the plateau is not beaten either"
    for m in ("Baseline AE", "Dropout AE", "VQ-VAE"):
        long_runs[m] = curve([11.0, 11.0, 11.0, 11.0])
    assert claim().verdict == claims.NOT_REPRODUCED

    del long_runs["VQ-VAE"]
    c = claim()
    assert c.verdict == claims.NOT_TESTED and "seed 0 at" not in c.ours and "one seed" not in c.evidence
