"""The shared train-or-load loop (runs.obtain_all): the same weights as calling runs.obtain by hand, the
committed run loaded rather than retrained, and the smoke profile never saved."""

import torch

from vaelab import params, runs, weights
from vaelab.chapters import toy_csvae as toy
from vaelab.data import swissroll


def _declared(name: str, seed: int, profile: str, data: dict, iterations: int = 30):
    return runs.Run(key=name, seed=seed, name=f"{toy.SLUG[name]}-s{seed}", build=lambda: toy.build(name),
                    config=lambda m: toy.run_config(name, m, profile, seed), data=data, iterations=iterations,
                    batch_size=32, evaluate=lambda m: {"n": float(sum(p.numel() for p in m.parameters()))},
                    extra=lambda: {"note": name})


def test_the_loop_trains_what_obtain_trains(root):
    D = swissroll.splits(256, 16, seed=0)["train"]
    p = params.validate(profile="smoke", train=True, seeds=[0, 1])
    out = runs.obtain_all("toy_csvae", [_declared("CondVAE", s, "smoke", D) for s in p.seeds], p, progress=False)
    assert sorted(out) == [("CondVAE", 0), ("CondVAE", 1)]
    for s in p.seeds:
        torch.manual_seed(s)
        model = toy.build("CondVAE")
        ref, _, _ = runs.obtain("toy_csvae", f"condvae-s{s}", model, toy.run_config("CondVAE", model, "smoke", s), D,
                                batch_size=32, iterations=30, seed=s, device="cpu", train=True, save=False,
                                progress=False, log_every=1)
        got = out[("CondVAE", s)]
        assert got["note"] == "CondVAE" and got["metrics"]["n"] > 0
        for (k, a), (_, b) in zip(got["model"].state_dict().items(), ref.state_dict().items()):
            assert torch.equal(a, b), k
    assert not (root / "weights" / "toy_csvae" / "condvae-s0.json").exists()   # smoke runs are never saved
    assert not list((root / "weights" / "toy_csvae").glob("condvae*"))


def test_the_loop_loads_the_committed_run(root):
    profile = toy.PROFILES["book"]
    D = toy.data(profile, 0)["train"]
    p = params.validate(profile="book", train=False, seeds=[0])
    before = weights.sha256(root / "weights" / "toy_csvae" / "vae-s0.pt")
    out = runs.obtain_all("toy_csvae", [_declared("VAE", 0, "book", D, profile.iterations)], p, progress=False)
    entry = out[("VAE", 0)]
    assert entry["record"]["sha256"] == before and not entry["model"].training
    assert weights.sha256(root / "weights" / "toy_csvae" / "vae-s0.pt") == before
