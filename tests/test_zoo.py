"""The model zoo (vaelab.zoo): every committed run listed and loadable by name, built as its page builds it, and
one number per chapter recomputed from a loaded model equal to what its record measured when it was trained."""
import math

import pytest
import torch

from vaelab import check_weights, params, weights, zoo
from vaelab.chapters import acai as ac
from vaelab.chapters import cycle_vae as cv
from vaelab.chapters import domain_translation as dt
from vaelab.chapters import toy_csvae as toy
from vaelab.chapters import vae_playground as vp
from vaelab.chapters.vae_playground import conjoint as vc


def test_list_has_every_committed_record_with_its_hash():
    rows = {r["run"]: r for r in zoo.list()}
    committed = check_weights.records()
    assert set(rows) == {f"{js.parent.name}/{js.stem}" for js in committed} == set(zoo.names())
    for js in committed:
        rec, row = weights.read_record(js), rows[f"{js.parent.name}/{js.stem}"]
        assert row["sha256"] == rec["sha256"] and row["size_mb"] > 0
        assert row["headline"] in rec["metrics"], row
        assert row["value"] == rec["metrics"][row["headline"]] or math.isnan(row["value"])


def test_an_unknown_name_lists_the_nearest():
    with pytest.raises(ValueError, match=r"no committed run 'toy_csvae/csvae-s9'; nearest: toy_csvae/csvae-s"):
        zoo.load("toy_csvae/csvae-s9")


def test_every_committed_run_loads_with_its_committed_weights():
    """Each run comes back in eval mode holding exactly the committed tensors (float16 files widened to the
    model's dtype), built by its page's own calls."""
    torch.set_num_threads(1)
    for name in zoo.names():
        model = zoo.load(name)
        assert not model.training, name
        folder, run = name.split("/")
        saved = torch.load(check_weights.REPO / "weights" / folder / f"{run}.pt", weights_only=True)
        state = model.state_dict()
        for k, v in saved.items():
            assert torch.equal(state[k], v.to(state[k].dtype)), f"{name}: {k}"
    zoo.reset()


def _p():
    return params.validate(profile="book", train=False, device="cpu", seeds=(0,))


def test_one_number_per_chapter_recomputed_from_the_zoo():
    """A metric each record measured at training time, recomputed from the zoo's model with its chapter's data
    (to 1e-6): the reconstruction of the toy CSVAE and of an ACAI line model, the digit judges of the cycle VAE
    and of the VAE playground, and the face judge that the CelebA and domain-translation chapters share."""
    torch.set_num_threads(1)
    book = toy.PROFILES["book"]
    D = toy.data(book, 0)["test"]
    m = zoo.load("toy_csvae/csvae-s0")
    rec = weights.read_record(check_weights.REPO / "weights" / "toy_csvae" / "csvae-s0")
    assert float(((m.reconstruct(D["x"], D["y"]) - D["x"]) ** 2).mean()) == pytest.approx(
        rec["metrics"]["recon_mse"], abs=1e-6)

    lines = ac.load_data(("lines",), ac.PROFILES["book"], (check_weights.REPO / "data"))["lines"]
    m = zoo.load("acai/lines-acai-s0")
    rec = weights.read_record(check_weights.REPO / "weights" / "acai" / "lines-acai-s0")
    assert ac.evaluate(m, "lines", lines, ac.PROFILES["book"], 0)["recon_mse"] == pytest.approx(
        rec["metrics"]["recon_mse"], abs=1e-6)

    mnist = cv.load_data(("mnist",), cv.PROFILES["book"], (check_weights.REPO / "data"))["mnist"]["probe_test"]
    m = zoo.load("cycle_vae/judge_digit")
    rec = weights.read_record(check_weights.REPO / "weights" / "cycle_vae" / "judge_digit")
    assert m.accuracy(mnist["x"], mnist["y"]) == pytest.approx(rec["metrics"]["test_acc"], abs=1e-6)

    te = vc.judge_data(vc.data(vp.PROFILES["book"], root=(check_weights.REPO / "data") / "mnist"), "test")
    m = zoo.load("vae_playground/judge_background")
    rec = weights.read_record(check_weights.REPO / "weights" / "vae_playground" / "judge_background")
    assert m.accuracy(te["x"], te["background"]) == pytest.approx(rec["metrics"]["test_acc"], abs=1e-6)

    faces = dt.load_data(dt.PROFILES["book"], "toyfaces", progress=False)["test"]
    m = zoo.load("face_judge/resnet34-toyfaces-s0")
    rec = weights.read_record(check_weights.REPO / "weights" / "face_judge" / "resnet34-toyfaces-s0")
    acc = m.attribute_accuracy(faces["x"], faces["attrs"])
    assert acc["Eyeglasses"][0] == pytest.approx(rec["metrics"]["acc_Eyeglasses"], abs=1e-6)
    zoo.reset()
