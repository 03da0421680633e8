"""Convergence-curve runs: the evaluations along the way leave the training alone (same weights as a plain run
of the same length), every point is recorded once, and the points are where they are said to be."""
import json

import pytest
import torch

from vaelab import curves
from vaelab.chapters import toy_csvae as toy
from vaelab.train import Trainer


def test_log_points():
    assert curves.log_points(7500, extra=(500, 1500)) == (500, 1000, 1500, 2000, 5000, 7500)
    assert curves.log_points(20_000) == (1000, 2000, 5000, 10_000, 20_000)
    with pytest.raises(ValueError, match="total >= 1"):
        curves.log_points(0)


def test_a_curve_run_trains_as_a_plain_run_and_records_its_points(tmp_path):
    torch.set_num_threads(1)
    D = toy.data(toy.PROFILES["smoke"], 0)
    data = {"x": D["train"]["x"], "y": D["train"]["y"]}
    torch.manual_seed(0)
    plain = toy.build("VAE")
    Trainer(plain, plain.steps(), data, batch_size=32, iterations=12, seed=0, progress=False).fit()

    def evaluate(m):   # draws from the global RNG, as the chapters' probes do: the batches must not see it
        torch.rand(100)
        return {"norm": float(sum(p.detach().norm() for p in m.parameters()))}

    torch.manual_seed(0)
    model = toy.build("VAE")
    rec = curves.train(model, data, evaluate, (4, 8, 12), tmp_path / "vae-12-s0", batch_size=32, seed=0,
                       config={"model": "VAE", "iterations": 12}, ckpt_every=5, progress=False)
    assert [p["iter"] for p in rec["curve"]] == [4, 8, 12]
    for a, b in zip(plain.state_dict().values(), model.state_dict().values()):
        assert torch.equal(a, b)
    assert abs(rec["curve"][-1]["norm"] - evaluate(model)["norm"]) < 1e-6
    assert json.loads((tmp_path / "vae-12-s0.json").read_text())["curve"] == rec["curve"]
    assert not (tmp_path / "vae-12-s0.ckpt").exists()
    assert curves.at(rec["curve"], 8)["iter"] == 8
    with pytest.raises(KeyError, match="points: \\[4, 8, 12\\]"):
        curves.at(rec["curve"], 5)
