"""The faces' curves (vaelab.chapters.celeba_csvae.length): a curve run trains what the page trains, from the same
VAE, and round-trips through the committed-weights rules; the verdict's words on known curves."""
import pytest
import torch

from face_doubles import ChannelJudge
from vaelab import params, runs, weights
from vaelab.chapters import celeba_csvae as cc
from vaelab.chapters import domain_translation as dt
from vaelab.chapters.celeba_csvae import length


def test_points_are_log_spaced_with_each_models_book_length_and_the_end():
    assert (length.BOOK, length.BOOK_VAE, length.TOTAL) == (1000, 2400, 10_000)
    assert length.CURVES["VAE"] == 12_400 and length.CURVES["CSVAE-paper"] == 10_000
    assert length.points("CSVAE", 10_000) == (100, 200, 500, 1000, 2000, 5000, 10_000)
    assert length.points("VAE", 12_400) == (100, 200, 500, 1000, 2000, 2400, 5000, 10_000, 12_400)
    assert length.points("CondVAE", 2) == (2,), "no point past the run's end"


def test_a_curve_run_trains_what_the_page_trains_and_round_trips(tmp_path, monkeypatch):
    """From the page's VAE, a curve run's weights (rounded as the page stores them) equal the page's own run of the
    same length; measured along the way without the disentanglement scores; saved under weights/, load_all finds it
    under the config declared now and recomputes its last point."""
    torch.set_num_threads(1)
    prof = cc.PROFILES["smoke"]
    D = dt.load_data(prof, progress=False)
    judge = ChannelJudge(D["attributes"])
    page = cc.run(params.validate(profile="smoke", train=True, seeds=[0]), D, {"model": judge},
                  models=("VAE", "CSVAE"), progress=False)
    vae = page[("VAE", 0)]
    ctx = length.context(D, judge, "smoke", 0, vae=(vae["model"], {"sha256": "the VAE's"}))
    rec = length.train_curve("CSVAE", prof.iterations, ctx, work=tmp_path / "work", progress=False)
    assert [p["iter"] for p in rec["curve"]] == [prof.iterations]
    assert "mig" not in rec["curve"][-1] and "success_mean" in rec["curve"][-1]
    assert rec["config"]["pretrained"] == "the VAE's" and rec["config"]["iterations"] == prof.iterations
    trained = cc.build("CSVAE", 0, prof)
    trained.load_state_dict(torch.load(tmp_path / "work" / f"csvae-{prof.iterations}-s0.pt", weights_only=True))
    weights.half_storage_(trained)
    same = page[("CSVAE", 0)]["model"].state_dict()
    assert all(torch.equal(v, same[k]) for k, v in trained.state_dict().items())
    page_metrics = {k: v for k, v in page[("CSVAE", 0)]["metrics"].items() if k in rec["curve"][-1]}
    assert {k: rec["curve"][-1][k] for k in page_metrics} == pytest.approx(page_metrics, abs=1e-6)

    monkeypatch.setattr(runs, "ROOT", tmp_path)
    monkeypatch.setattr(length, "PENDING", set())
    length.save("CSVAE", prof.iterations, ctx, work=tmp_path / "work")
    assert (tmp_path / "weights" / "celeba_csvae" / f"csvae-{prof.iterations}-s0.pt").exists()
    with pytest.raises(weights.WeightsError, match="exists"):
        length.save("CSVAE", prof.iterations, ctx, work=tmp_path / "work")
    loaded = length.load_all(ctx, runs_={"CSVAE": prof.iterations, "CondVAE": prof.iterations})
    assert list(loaded) == ["CSVAE"], "a curve that was not saved is not there"
    last = {k: v for k, v in rec["curve"][-1].items() if k not in ("iter", "eval_s")}
    assert loaded["CSVAE"]["metrics"] == pytest.approx(last, abs=1e-6)
    assert length.table(loaded).loc[("CSVAE", "recomputed"), "= last point"] == "yes"
    other = {**ctx, "base_sha": "another VAE"}
    assert length.load_all(other, runs_={"CSVAE": prof.iterations}) == {}, "a curve from another VAE is not it"
    with pytest.raises(ValueError, match="seed 1: the setup holds the VAE of seed 0"):
        length.train_curve("CSVAE", 2, ctx, seed=1, work=tmp_path / "work", progress=False)


def _curve(model, means, **extra):
    its = (500, 2400, 5000, 10_000, 12_400) if model == "VAE" else (500, 1000, 2000, 5000, 10_000)
    return {"record": {"curve": [{"iter": i, "success_mean": s, "interp_success": 50.0, "recon_mse": 0.01,
                                  "kl_z": 10.0, **extra} for i, s in zip(its, means)]}, "metrics": {}}


def test_the_lead_says_whose_edits_the_judge_accepts_more_who_leads_and_who_still_moves(monkeypatch):
    monkeypatch.setattr(length, "CURVES", {m: length.CURVES[m] for m in ("VAE", "CondVAE", "CSVAE")})
    loaded = {"CondVAE": _curve("CondVAE", [5, 10, 20, 30, 31]), "CSVAE": _curve("CSVAE", [5, 9, 10, 9, 10], kl_w=3.0),
              "VAE": _curve("VAE", [5, 20, 15, 20, 14])}
    text = length.findings(loaded)
    assert text.startswith(
        "Trained ten times the book's 1,000 iterations (the VAE to 12,400: its 2,400 and the others' together), the "
        "judge accepts more of the edits of CondVAE, fewer of those of VAE and about as many of those of CSVAE (the "
        "four slide edits' mean success, a change of more than 2 points counted); at the curves' end it accepts "
        "CondVAE's edits most often (31.0 % on average), and the success of VAE and CondVAE still moves by more than "
        "2 points over the last three points. VAE: from 2,400 to 12,400 iterations, the four edits' judged success "
        "20.0 → 14.0 %")
    assert "CSVAE: from 1,000 to 10,000 iterations, the four edits' judged success 9.0 → 10.0 % (it moves 1.0 " \
           "points over the last three points), the glasses path's end (the add-glasses edit) 50.0 → 50.0 %, " \
           "reconstruction MSE 0.0100 → 0.0100, KL(z) 10.0 → 10.0, KL(w) 3.0 → 3.0 nats." in text
    assert "KL(w)" not in text.split(" CondVAE: from")[1].split(" CSVAE: from")[0], "no KL(w) where the model has no w"
    probed = {"CSVAE": _curve("CSVAE", [5, 9, 10, 9, 10], kl_w=3.0, probe_z=80.0, probe_z_Male=90.0, success_male=4.0)}
    assert length.findings(probed).endswith(
        "KL(z) 10.0 → 10.0, KL(w) 3.0 → 3.0 nats; a linear probe per label reads a label off z on 80.0 → 80.0 % of the "
        "test faces (Male 90.0 → 90.0 %, the gender edit's judged success 4.0 → 4.0 %).")
    alone = length.findings({"CSVAE": loaded["CSVAE"]})
    assert alone.startswith(
        "Trained ten times the book's 1,000 iterations, the judge accepts about as many of the edits of CSVAE (the "
        "four slide edits' mean success, a change of more than 2 points counted); at the curve's end it accepts 10.0 % "
        "of them on average, and no success rate moves by more than 2 points over the last three points. The curves "
        "of VAE and CondVAE are not committed yet.")
    assert length.findings({}).startswith("No faces curve is committed yet")


def test_the_table_blanks_a_metric_the_model_lacks_and_names_an_undefined_one():
    loaded = {"VAE": _curve("VAE", [1, 2, 3, 4, 5]), "CSVAE": _curve("CSVAE", [1, 2, 3, 4, 5], kl_w=float("nan"))}
    for r in loaded.values():
        for p in r["record"]["curve"]:
            p.update({f"success_{e}": 1.0 for e in cc.EXPERIMENTS})
    t = length.table(loaded)
    assert t.loc[("VAE", "2,400"), "KL(w)"] == ""
    assert t.loc[("CSVAE", "1,000"), "KL(w)"] == "undefined"
    last = {k: v for k, v in loaded["VAE"]["record"]["curve"][-1].items() if k != "iter"}
    loaded["VAE"]["metrics"] = last
    assert length.table(loaded).loc[("VAE", "recomputed"), "= last point"] == "yes"
    loaded["VAE"]["metrics"] = {**last, "probe_z": 80.0}   # added to the evaluation after the run was trained
    assert length.table(loaded).loc[("VAE", "recomputed"), "= last point"] == "yes", "a metric the curve lacks"
    loaded["VAE"]["metrics"] = {**last, "recon_mse": last["recon_mse"] + 0.01}
    assert length.table(loaded).loc[("VAE", "recomputed"), "= last point"] == "no", "a metric that differs"
    assert list(t.columns) == ["edits %", "glasses path's end %", "recon MSE", "KL(z)", "KL(w)", "labels off z %"]
