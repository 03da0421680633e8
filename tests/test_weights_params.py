"""Weights records (round trip, hash refusal) and parameter validation."""
import pytest
import torch

from vaelab import params, weights
from vaelab.models.vae import VAE, VAEConfig


def test_record_round_trip_and_hash_refusal(tmp_path):
    torch.manual_seed(0)
    m = VAE(VAEConfig(hidden=8))
    rec = weights.save(tmp_path / "run", m, config=m.cfg, metrics={"mse": 0.5}, seed=3, device="cpu", wall_s=1.25)
    for key in ("config", "metrics", "seed", "git_commit", "git_dirty", "device", "torch", "wall_s", "sha256"):
        assert key in rec
    m2 = VAE(VAEConfig(hidden=8))
    _, rec2 = weights.load(tmp_path / "run", m2)
    assert rec2 == rec
    for a, b in zip(m.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)
    assert weights.matching_record(tmp_path / "run", VAEConfig(hidden=8)) == rec
    assert weights.matching_record(tmp_path / "run", VAEConfig(hidden=16)) is None

    pt = tmp_path / "run.pt"
    data = bytearray(pt.read_bytes())
    data[-10] ^= 0xFF
    pt.write_bytes(bytes(data))
    with pytest.raises(weights.WeightsError, match=r"refusing to load .*run\.pt.*does not match"):
        weights.load(tmp_path / "run", m2)


def test_missing_record(tmp_path):
    with pytest.raises(weights.WeightsError, match="no weights record"):
        weights.load(tmp_path / "nothing")


@pytest.mark.parametrize("kw, match", [
    (dict(profile="fast"), "profile='fast' is not valid; choose one of smoke, book, paper"),
    (dict(device="tpu"), "device='tpu' is not valid; choose one of auto, cpu, cuda"),
    (dict(seeds=[]), "seeds must be"),
    (dict(train="yes"), "train must be True or False"),
    (dict(dataset="imagenet", choices={"dataset": ("toyfaces", "celeba")}),
     "dataset='imagenet' is not valid; choose one of toyfaces, celeba"),
    (dict(colour="red"), "unknown parameter 'colour'"),
])
def test_params_errors(kw, match):
    with pytest.raises(ValueError, match=match):
        params.validate(**kw)


def test_params_ok():
    p = params.validate(profile="smoke", device="cpu", seeds=[0, 1], dataset="celeba",
                        choices={"dataset": ("toyfaces", "celeba")})
    assert p.device == torch.device("cpu") and p.seeds == (0, 1) and p.extra == {"dataset": "celeba"}
    assert p.data_root.is_absolute()


def test_training_only_buffers_are_left_out_of_saved_weights(tmp_path):
    from vaelab.models.ae_baselines import VQVAE, VQVAEConfig
    torch.manual_seed(0)
    m = VQVAE(VQVAEConfig.mnist(2))
    with torch.no_grad():
        m.codebook.normal_()
        m.ema_means.normal_()
    rec = weights.save(tmp_path / "vq", m, config={"a": 1}, metrics={}, seed=0, device="cpu", wall_s=0.0)
    state, _ = weights.load(tmp_path / "vq")
    assert not set(VQVAE.TRAINING_ONLY) & set(state)
    full = sum(v.numel() * v.element_size() for v in m.state_dict().values())
    assert rec["bytes"] < full - m.ema_means.numel() * 4 + 10_000
    torch.manual_seed(1)
    fresh = VQVAE(VQVAEConfig.mnist(2))
    weights.load(tmp_path / "vq", fresh)
    assert torch.equal(fresh.codebook, m.codebook)
    x = torch.rand(3, 1, 32, 32) * 2 - 1
    assert torch.equal(fresh.eval().reconstruct(x), m.eval().reconstruct(x))


def test_loading_weights_into_the_wrong_model_names_the_file(tmp_path):
    from vaelab.models.ae_baselines import AE, VQVAE, VQVAEConfig
    weights.save(tmp_path / "ae", AE(), config={}, metrics={}, seed=0, device="cpu", wall_s=0.0)
    with pytest.raises(weights.WeightsError, match=r"ae\.pt does not fit VQVAE"):
        weights.load(tmp_path / "ae", VQVAE(VQVAEConfig.lines()))


def test_float16_storage_holds_exactly_the_rounded_model_that_was_evaluated(tmp_path):
    torch.manual_seed(0)
    m = VAE(VAEConfig(hidden=256))
    before = {k: v.clone() for k, v in m.state_dict().items()}
    with pytest.raises(weights.WeightsError, match="not float16-exact"):  # unrounded: refused, nothing written
        weights.save(tmp_path / "h", m, config={}, metrics={}, seed=0, device="cpu", wall_s=0.0, storage="float16")
    assert not (tmp_path / "h.pt").exists()
    weights.half_storage_(m)
    for k, v in m.state_dict().items():
        assert v.dtype == torch.float32
        assert torch.equal(v, before[k].half().float())  # round to nearest float16, nothing else
    rec = weights.save(tmp_path / "h", m, config={}, metrics={}, seed=0, device="cpu", wall_s=0.0, storage="float16")
    full = weights.save(tmp_path / "f", m, config={}, metrics={}, seed=0, device="cpu", wall_s=0.0)
    assert rec["storage"] == "float16" and full["storage"] == "float32"
    assert rec["bytes"] < 0.6 * full["bytes"]
    state, _ = weights.load(tmp_path / "h")
    assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
    m2 = VAE(VAEConfig(hidden=256))
    weights.load(tmp_path / "h", m2)
    for a, b in zip(m.state_dict().values(), m2.state_dict().values()):
        assert a.dtype == b.dtype == torch.float32 and torch.equal(a, b)


def test_float16_storage_refuses_values_beyond_its_range_and_changes_nothing():
    m = VAE(VAEConfig(hidden=8))
    name, p = next(iter(m.named_parameters()))
    with torch.no_grad():
        p[0] = 1e5
    before = {k: v.clone() for k, v in m.state_dict().items()}
    with pytest.raises(weights.WeightsError, match=rf"VAE\.{name} holds 1e\+05, beyond float16"):
        weights.half_storage_(m)
    assert all(torch.equal(v, before[k]) for k, v in m.state_dict().items())
    with pytest.raises(ValueError, match="storage must be"):
        weights.save("x", m, config={}, metrics={}, seed=0, device="cpu", wall_s=0.0, storage="bf16")


def test_provenance_reads_every_saved_record(tmp_path):
    from vaelab import report
    m = VAE(VAEConfig(hidden=8))
    recs = {("VAE", s): {"record": weights.save(tmp_path / f"vae-s{s}", m, config={"chapter": "toy", "profile": "book"},
                                                metrics={}, seed=s, device="cpu", wall_s=30.0 * (s + 1))}
            for s in range(2)}
    recs[("unsaved", 0)] = {"record": {"wall_s": 1.0}}
    df = report.provenance(recs)
    assert (list(df["run"]) == ["vae-s0", "vae-s1"]
            and list(df["file"]) == ["weights/toy/vae-s0.pt", "weights/toy/vae-s1.pt"])
    assert list(df["sha256"]) == [weights.sha256(tmp_path / f"vae-s{s}.pt") for s in range(2)]
    text = report.provenance_summary(recs)
    assert text.startswith("2 runs of profile book, seeds 0, 1, trained on cpu") and "1.5 min in all" in text
    assert report.provenance_summary({}) == "No run of this page was loaded from saved weights."


def test_run_name_keeps_a_readers_data_apart_from_the_books_runs():
    from vaelab import runs

    assert runs.run_name("csvae", 2) == "csvae-s2"
    assert runs.run_name("glasses", 0, "celeba") == "glasses-celeba-s0"


class _Named(Exception):
    pass


@pytest.mark.parametrize("dataset,want", [("toyfaces", "glasses-s0"), ("celeba", "glasses-celeba-s0")])
def test_domain_translation_names_its_runs_by_dataset(monkeypatch, dataset, want):
    """Training on CelebA writes weights/domain_translation/glasses-celeba-s0, never over the book's glasses-s0."""
    from vaelab import runs
    from vaelab.chapters import domain_translation as dt

    D = dt.load_data(dt.PROFILES["smoke"], "toyfaces", progress=False)

    def obtain(chapter, name, *a, **k):
        raise _Named(name)

    monkeypatch.setattr(runs, "obtain", obtain)
    P = params.validate(profile="smoke", train=True, device="cpu", seeds=[0])
    with pytest.raises(_Named) as got:
        dt.run(P, {**D, "dataset": dataset}, {"model": None}, domains=("glasses",), progress=False)
    assert str(got.value) == want
