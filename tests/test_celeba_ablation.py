"""The faces' adversary ablation (vaelab.chapters.celeba_csvae.ablation): each run is the page's CSVAE-paper with
only beta4 changed, from the page's VAE of its seed; the verdict's words on known results."""
import pytest
import torch

from face_doubles import ChannelJudge
from vaelab import params, runs
from vaelab.chapters import celeba_csvae as cc
from vaelab.chapters import domain_translation as dt
from vaelab.chapters.celeba_csvae import ablation


def test_a_variant_is_the_pages_csvae_paper_with_only_the_adversarys_weight_changed():
    prof = cc.PROFILES["smoke"]
    page = cc.build(cc.PAPER_CSVAE, 3, prof)
    for factor in (0, 100):
        model = ablation.build(factor, 3, prof)
        assert model.cfg.beta4 == factor * page.cfg.beta4 == ablation.beta4(factor, "smoke")
        assert {**vars(model.cfg), "beta4": page.cfg.beta4} == vars(page.cfg)
        same = page.state_dict()
        assert all(torch.equal(v, same[k]) for k, v in model.state_dict().items()), "the same draw of the seed"
    assert ablation.beta4(1) == 70.0 and ablation.name(1) == cc.PAPER_CSVAE and ablation.name(100) == "beta4 = 7,000"
    assert ablation.order() == [ablation.name(0), cc.PAPER_CSVAE, ablation.name(100), ablation.name(1000)]
    assert ablation.slug(1000) == "csvae_paper_adv1000"
    for bad in (-1, 0.5, True):
        with pytest.raises(ValueError, match=f"factor={bad!r}: the adversary's weight is a whole non-negative"):
            ablation.build(bad, 0, prof)


def test_each_seeds_runs_start_from_that_seeds_vae_and_are_measured_as_the_page_measures(monkeypatch):
    torch.set_num_threads(1)
    prof = cc.PROFILES["smoke"]
    D = dt.load_data(prof, progress=False)
    J = {"model": ChannelJudge(D["attributes"])}
    P = params.validate(profile="smoke", train=True, seeds=[0, 1])
    page = cc.run(P, D, J, models=("VAE", cc.PAPER_CSVAE), progress=False)
    started, obtain = {}, runs.obtain

    def spy(chapter, name, model, run_config, *a, **kw):   # the model as it starts training
        started[name] = {k: v.clone() for k, v in model.encoder.state_dict().items()}
        return obtain(chapter, name, model, run_config, *a, **kw)

    monkeypatch.setattr(runs, "obtain", spy)
    A = ablation.run(P, D, J, page, factors=(0,), progress=False)
    for seed in (0, 1):
        vae = page[("VAE", seed)]
        assert all(torch.equal(v, started[f"csvae_paper_adv0-s{seed}"][k])
                   for k, v in vae["model"].encoder.state_dict().items()), f"seed {seed} starts from its own VAE"
        r = A[(ablation.name(0), seed)]
        assert r["record"]["config"]["model_config"]["beta4"] == 0.0
        assert r["record"]["config"]["pretrained"] == vae["record"].get("sha256", "untrained smoke run")
        assert r["record"]["config"]["iterations"] == prof.iterations
        assert set(ablation.COLUMNS) <= set(r["metrics"]) and "mig" not in r["metrics"]
    v0, v1 = (page[("VAE", s)]["model"].encoder.state_dict() for s in (0, 1))
    assert any(not torch.equal(v0[k], v1[k]) for k in v0), "the seeds' VAEs differ, so the check tells them apart"
    C = ablation.combined(page, A)
    assert C[(cc.PAPER_CSVAE, 0)]["metrics"]["success_mean"] == pytest.approx(
        sum(page[(cc.PAPER_CSVAE, 0)]["metrics"][f"success_{e}"] for e in cc.EXPERIMENTS) / len(cc.EXPERIMENTS))
    assert list(ablation.table(C, (0,)).index) == [ablation.name(0), f"{cc.PAPER_CSVAE} (the paper's: beta4 = 70)"]
    unscored = {**page, (cc.PAPER_CSVAE, 0): {**page[(cc.PAPER_CSVAE, 0)], "metrics": {}}}
    assert (cc.PAPER_CSVAE, 0) not in ablation.combined(unscored, {}), "a run loaded without its metrics is left out"
    with pytest.raises(ValueError, match="factor 1 is the page's own"):
        ablation.run(P, D, J, page, factors=(1,), progress=False)
    with pytest.raises(ValueError, match="seed 5: the page's results hold no VAE"):
        ablation.run(params.validate(profile="smoke", train=True, seeds=[5]), D, J, page, factors=(0,), progress=False)


def _results(means: dict, male: dict | None = None) -> dict:
    """Known per-seed results: ``{name: [success per seed]}``; Male off z from ``male`` (default 90 %)."""
    out = runs.Results()
    for m, vals in means.items():
        for seed, v in enumerate(vals):
            out[(m, seed)] = {"metrics": {"success_mean": v, "success_male": v, "probe_z": 80.0,
                                          "probe_z_Male": (male or {}).get(m, 90.0), "recon_mse": 0.01, "kl_z": 10.0,
                                          "kl_w": 5.0, "probe_z_majority": 72.0}}
    return out


def test_the_verdict_says_whether_a_stronger_adversary_makes_more_edits_succeed():
    none, paper, strong = ablation.name(0), cc.PAPER_CSVAE, ablation.name(100)
    up = ablation.findings(_results({none: [9, 10, 11], paper: [9, 10, 11], strong: [40, 42, 44]},
                                    male={strong: 60.0}), (0, 100))
    assert up.startswith("A stronger adversary makes the judge accept more of the CSVAE's edits: with beta4 = 7,000 it "
                         "accepts 42.0 % of them against 10.0 % with the paper's beta4 = 70 (p = ")
    assert "), and a probe reads Male off its z on 60.0 % against 90.0 % with the paper's. beta4 = 0: edits 10.0 ± " \
           "1.0 %" in up
    assert up.endswith("guessing each label's commoner value reads the seven labels on 72.0 %.")
    male_known = _results({none: [9, 10, 11], paper: [9, 10, 11], strong: [40, 42, 44]})
    for r in male_known.values():
        r["metrics"]["probe_z_majority_Male"] = 58.0
    assert ablation.findings(male_known, (0, 100)).endswith(
        "guessing each label's commoner value reads Male on 58.0 % and the seven labels on 72.0 %.")
    flat = ablation.findings(_results({none: [9, 10, 11], paper: [9, 10, 11], strong: [10, 11, 9]}), (0, 100))
    assert flat.startswith("No stronger adversary makes the judge accept significantly more of the CSVAE's edits than "
                           "the paper's beta4 = 70 (10.0 %; 10.0 % with beta4 = 7,000, p = 1), while a probe reads "
                           "Male off its z on 90.0 % against 90.0 % with the paper's.")
    one = ablation.findings(_results({paper: [10], strong: [30]}), (0, 100))
    assert one.startswith("With one seed per weight there is no test: the judge accepts 30.0 % of the edits with "
                          "beta4 = 7,000 against 10.0 % with the paper's beta4 = 70")
    for partial in ({paper: [9, 10, 11]}, {paper: [9, 10, 11], none: [1, 2, 3]}):
        assert ablation.findings(_results(partial), (0, 100)) == "The ablation's runs are not committed yet."


def test_the_claims_evidence_gives_each_weights_success_tested_against_the_papers():
    none, paper, strong = ablation.name(0), cc.PAPER_CSVAE, ablation.name(100)
    text = ablation.evidence(_results({none: [9, 10, 11], paper: [9, 10, 11], strong: [40, 42, 44]}), (0, 100))
    assert text.startswith("the CSVAE-paper retrained with only its adversary's weight changed (3 seeds) has its edits "
                           "judged successful on 10.0 ± 1.0 % with beta4 = 0 (Welch's test against the paper's weight, "
                           "p = 1), 10.0 ± 1.0 % with the paper's beta4 = 70 and 42.0 ± 2.0 % with beta4 = 7,000 "
                           "(Welch's test against the paper's weight, p = ")
    assert ablation.evidence(_results({paper: [9, 10, 11]}), (0, 100)) == ""
