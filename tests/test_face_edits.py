"""The face-editing benchmark's scores on known answers: the true edit scores as a perfect edit, no edit as
none, and ToyFaces' true edit changes the face only where the attribute is drawn."""
import torch

from vaelab import runs
from vaelab.chapters import celeba_csvae as cc
from vaelab.chapters import domain_translation as dt
from vaelab.chapters import face_edits as fe
from vaelab.data import toyfaces


def _reading(attrs, factors):
    return {"attrs": torch.as_tensor(attrs, dtype=torch.float32), "factors": torch.as_tensor(factors)}


def test_score_counts_success_flips_and_drift_by_hand():
    # two faces, three attributes; the edit sets column 1 to 1
    r_in = _reading([[0.9, 0.1, 0.2], [0.1, 0.2, 0.7]], [[0.0, 0.0], [1.0, 1.0]])
    r_out = _reading([[0.9, 0.8, 0.6], [0.2, 0.3, 0.8]], [[0.1, 0.3], [1.0, 0.8]])
    out, true = torch.zeros(2, 3, 4, 4), torch.full((2, 3, 4, 4), 0.5)
    s = fe.score(r_in, r_out, r_in, out, out + 0.1, true, column=1, value=1)
    assert s["success"] == 50.0               # face 0 reads 0.8 > 0.5, face 1 0.3
    assert s["recon_success"] == 0.0          # the reconstructions read as the inputs: neither has it
    assert s["flips"] == 25.0                 # of the 4 decisions on columns 0 and 2, face 0's column 2 flips
    assert abs(s["drift"] - (0.1 + 0.3 + 0.0 + 0.2) / 4) < 1e-7
    assert abs(s["mse"] - 0.25) < 1e-7 and abs(s["recon_mse"] - 0.16) < 1e-6
    removal = fe.score(r_in, r_out, r_in, out, out, true, column=1, value=0)
    assert removal["success"] == 50.0 and removal["recon_success"] == 100.0


def test_the_truth_scores_as_a_perfect_edit_and_the_input_as_none():
    r = _reading([[0.1, 0.9]], [[0.2, 0.4]])
    t = torch.rand(1, 3, 8, 8)
    s = fe.score(r, r, r, t, t, t, column=0, value=0)
    assert s == {"success": 100.0, "recon_success": 100.0, "mse": 0.0, "recon_mse": 0.0, "drift": 0.0, "flips": 0.0}


def test_sets_and_true_edits_on_toyfaces():
    D = dt.load_data(cc.PROFILES["smoke"], "toyfaces", progress=False)
    names = list(D["attributes"])
    E = fe.sets(D, 8)
    for name, e in fe.EDITS.items():
        faces, donors = E[name]["faces"], E[name]["donors"]
        for k, v in e.source.items():
            assert ((faces["attrs"][:, names.index(k)] > 0.5) == bool(v)).all(), (name, k)
        assert (donors["attrs"][:, names.index(e.attribute)] == 1).all()
        # redrawn with the attribute as it is, a face comes back as stored (uint8 rounding)
        same = fe.Edit(e.attribute, 1 - e.value, e.source, e.domain)
        assert (fe.truth(faces, same, names) * 255 - faces["x"].float()).abs().max() <= 1.0
        edited = fe.truth(faces, e, names)
        changed = (edited * 255 - faces["x"].float()).abs().amax(1) > 1.0   # (N, H, W)
        assert changed.any(dim=(1, 2)).all(), name                           # every face changes
        if e.attribute == "Eyeglasses":                                      # and only within the glasses' reach
            assert not (changed & ~toyfaces.eye_region(faces["factors"])).any()


def test_sets_refuse_data_without_ground_truth():
    D = {"test": {"x": torch.zeros(2, 3, 64, 64, dtype=torch.uint8), "attrs": torch.zeros(2, 17)},
         "attributes": toyfaces.ATTRIBUTES, "dataset": "celeba"}
    try:
        fe.sets(D, 4)
    except ValueError as err:
        assert "needs ToyFaces" in str(err) and "celeba" in str(err)
    else:
        raise AssertionError("CelebA has no true edits; the benchmark must refuse it")


def _results(adder, blurred, add=80.0, others=1.0):
    """Three seeds per method: ``adder`` adds (``add`` % judged success, the rest ``others`` %), everyone removes,
    and the methods in ``blurred`` lose the attributes in plain reconstruction (97 % judged without)."""
    R = runs.Results()
    for m in fe.METHODS:
        for seed in range(3):
            met = {}
            for name, e in fe.EDITS.items():
                adds = m == adder(name) or not e.value
                met.update({f"success_{name}": (add if e.value else 80.0) + seed if adds else others + seed,
                            f"recon_success_{name}": 97.0 if m in blurred and not e.value else 5.0,
                            f"mse_{name}": 0.01, f"recon_mse_{name}": 0.02 if m == "CSVAE" else 0.005})
            R[(m, seed)] = {"metrics": met}
    R.extra["reference"] = {n: {fe.TRUTH: {"success": 100.0}, fe.INPUT: {"success": 0.0}} for n in fe.EDITS}
    return R


def test_findings_name_the_only_method_that_adds_and_see_through_blurred_removals():
    f = fe.findings(_results(lambda n: fe.PRESS, [m for m in fe.METHODS if m != fe.PRESS]))
    assert f["verdict"] == ("Only Press et al. adds attributes that the judge sees, and removing cannot tell the "
                            "methods apart, because the other five lose both attributes even in plain reconstruction.")
    assert f["details"].startswith("Press et al. adds glasses on 81.0 % and a moustache on 81.0 % of the faces "
                                   "(the other 5 methods: at most 2.0 %). VAE, CondVAE, CondVAE-info, CSVAE and "
                                   "CSVAE-paper lose "
                                   "both attributes in plain reconstruction (at least 97.0 % of reconstructions "
                                   "judged without), while Press et al. keeps them in reconstruction (at most 5.0 % "
                                   "judged without) and removes them by the edit on 81.0 % and 81.0 %. Judged success")
    assert "in every seed: CSVAE (add glasses), CSVAE (remove glasses)" in f["details"]


def test_findings_lead_with_the_verdict_in_every_case():
    # a different method leads each addition; every method blurs the attributes away
    f = fe.findings(_results(lambda n: "CSVAE" if "glasses" in n else "VAE", fe.METHODS))
    assert f["verdict"] == ("No method leads every addition, and removing cannot tell the methods apart, because "
                            "every method loses both attributes even in plain reconstruction.")
    assert f["details"].startswith("CSVAE adds glasses most often (81.0 %), VAE adds a moustache most often "
                                   "(81.0 %). VAE, CondVAE, CondVAE-info, CSVAE, CSVAE-paper and Press et al. lose "
                                   "both")
    # one leader, but others add too; one blurred method; nothing blurred
    f = fe.findings(_results(lambda n: "CondVAE", ["VAE"], others=20.0))
    assert f["verdict"] == ("CondVAE leads every addition, and removing cannot tell the methods apart, because VAE "
                            "loses both attributes even in plain reconstruction.")
    assert " VAE loses both attributes in plain reconstruction (at least 97.0 %" in f["details"]
    f = fe.findings(_results(lambda n: "CondVAE", []))
    assert f["verdict"] == "Only CondVAE adds attributes that the judge sees."
    assert f["details"].startswith("CondVAE adds glasses on 81.0 % and a moustache on 81.0 % of the faces (the other "
                                   "5 methods: at most 2.0 %). Judged success, best two: add glasses: CondVAE 81.0 %")
    # nobody reaches ONLY_BELOW
    f = fe.findings(_results(lambda n: fe.PRESS, [], add=5.0))
    assert f["verdict"] == "No method adds attributes that the judge sees."
    assert f["details"].startswith("Press et al. adds glasses on 6.0 % and a moustache on 6.0 % of the faces")
