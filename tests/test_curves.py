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


def _tiny_curve(tmp_path, storage):
    torch.set_num_threads(1)
    D = toy.data(toy.PROFILES["smoke"], 0)
    data = {"x": D["train"]["x"], "y": D["train"]["y"]}
    torch.manual_seed(0)
    model = toy.build("VAE")
    norm = lambda m: {"norm": float(sum(p.detach().double().norm() for p in m.parameters()))}
    config = {"model": "VAE", "iterations": 6, "storage": storage}
    rec = curves.train(model, data, norm, (3, 6), tmp_path / "work" / "vae-6-s0", batch_size=32, seed=0,
                       config=config, progress=False, storage=storage)
    return model, rec, config, norm


def test_a_float16_curve_is_measured_on_the_rounded_model_and_saved_so(tmp_path, monkeypatch):
    from vaelab import runs, weights
    monkeypatch.setattr(runs, "ROOT", tmp_path)
    model, rec, config, norm = _tiny_curve(tmp_path, "float16")
    rounded = toy.build("VAE").eval()
    rounded.load_state_dict(model.state_dict())
    weights.half_storage_(rounded)
    # measured on the model the page loads (rounded), not on the float32 one it trained
    assert rec["curve"][-1]["norm"] == norm(rounded)["norm"] != norm(model)["norm"]
    target = curves.save(tmp_path / "work" / "vae-6-s0", toy.build("VAE"), config, "toy", "vae-6-s0", storage="float16")
    loaded = toy.build("VAE")
    _, saved = weights.load(target, loaded)
    assert saved["curve"] == rec["curve"] and saved["metrics"]["norm"] == norm(loaded)["norm"]
    with pytest.raises(weights.WeightsError, match="exists"):   # the committed run is never replaced unless asked
        curves.save(tmp_path / "work" / "vae-6-s0", toy.build("VAE"), config, "toy", "vae-6-s0", storage="float16")


def test_a_curve_trained_with_another_config_is_refused(tmp_path, monkeypatch):
    from vaelab import runs
    monkeypatch.setattr(runs, "ROOT", tmp_path)
    _, _, config, _ = _tiny_curve(tmp_path, "float32")
    with pytest.raises(ValueError, match="another config.*iterations"):
        curves.save(tmp_path / "work" / "vae-6-s0", toy.build("VAE"), {**config, "iterations": 7}, "toy", "vae-6-s0")
    with pytest.raises(FileNotFoundError, match="no finished curve run"):
        curves.save(tmp_path / "work" / "nothing", toy.build("VAE"), config, "toy", "nothing")
    with pytest.raises(ValueError, match="storage must be"):
        curves.train(toy.build("VAE"), {}, None, (1,), tmp_path / "x", batch_size=1, seed=0, config={},
                     storage="bf16")


def test_the_table_says_whether_the_recomputed_point_equals_the_curves_last():
    nan = float("nan")
    loaded = lambda m: {"run": {"record": {"curve": [{"iter": 1, "a": 0.0, "b": 0.0}, {"iter": 2, "a": nan, "b": 1.0}]},
                                "metrics": m}}
    panels = [("a", "a"), ("b", "b")]
    assert curves.table(loaded({"a": nan, "b": 1.0 + 1e-7}), panels).loc[("run", "recomputed"), "= last point"] == "yes"
    assert curves.table(loaded({"a": nan, "b": 1.1}), panels).loc[("run", "recomputed"), "= last point"] == "no"
    assert curves.table(loaded({"a": 0.5, "b": 1.0}), panels).loc[("run", "recomputed"), "= last point"] == "no"
    newer = {"a": nan, "b": 1.0, "c": 3.0}   # "c" added to the evaluation after the run: not in its record
    assert curves.table(loaded(newer), panels).loc[("run", "recomputed"), "= last point"] == "yes"
    assert curves.table(loaded({"a": nan}), panels).loc[("run", "recomputed"), "= last point"] == "no", "b not redone"


def test_the_command_gives_every_run_one_length_or_each_its_own(monkeypatch, tmp_path):
    """``total`` as one length for every run or ``{name: length}``; ``--total`` overrides both; a dict without a
    length for a run that may be named is refused by name."""
    from vaelab import cpu

    monkeypatch.setattr(cpu, "require_pins", lambda *a: None)
    seen = []
    run = lambda total, argv: curves.command(  # noqa: E731
        argv, module="m", description="d", names=["a", "b"], total=total, threads=torch.get_num_threads(),
        folder="f", work=tmp_path, key=lambda n, t, s: f"{n}-{t}-s{s}",
        train_one=lambda n, t, s: seen.append((n, t)) or {"wall_s": 0.0, "curve": [{"iter": t}]}, save_one=None)
    run(7, [])
    run({"a": 5, "b": 9}, [])
    run({"a": 5, "b": 9}, ["--names", "b", "--total", "3"])
    assert seen == [("a", 7), ("b", 7), ("a", 5), ("b", 9), ("b", 3)]
    with pytest.raises(ValueError, match=r"no length for \['b'\]"):
        run({"a": 5}, [])
