"""ACAI's lines curves (vaelab.chapters.acai.length): the curve run trains what the page trains and round-trips
through the committed-weights rules; when a run leaves the blank-image plateau, and the verdict's words, on known
curves."""
import pytest
import torch

from vaelab import cpu, runs, weights
from vaelab.chapters import acai
from vaelab.chapters.acai import length
from vaelab.train import Trainer


def test_points_are_log_spaced_with_the_books_length_and_the_end():
    assert length.BOOK == 3000 and length.TOTAL == 30_000
    assert length.points(30_000) == (500, 1000, 2000, 3000, 5000, 10_000, 20_000, 30_000)
    assert length.points(12) == (12,), "no point past the run's end"


def _curve(spreads, iters=(500, 1000, 3000, 10_000, 30_000), **extra):
    return [{"iter": i, "recon_spread": s, "distance_e3": 20.0, "smoothness": float("nan"), "recon_mse": 0.1,
             **extra} for i, s in zip(iters, spreads)]


def test_leaves_plateau_is_the_first_point_from_which_the_spread_stays_off_it():
    assert length.leaves_plateau(_curve([0.0, 0.01, 0.2, 0.5, 0.9])) == 3000
    assert length.leaves_plateau(_curve([0.5, 0.01, 0.2, 0.05, 0.9])) == 30_000, "a dip back onto it counts"
    assert length.leaves_plateau(_curve([0.5, 0.5, 0.5, 0.5, 0.05])) is None, "ends on the plateau"
    assert length.leaves_plateau(_curve([0.1, 0.1, 0.1, 0.1, 0.1])) == 500, "the threshold itself is off it"


def _loaded(**spreads):
    return {m: {"record": {"curve": _curve(s)}, "metrics": {}} for m, s in spreads.items()}


def test_the_lead_says_who_leaves_the_plateau_who_stays_and_who_falls(monkeypatch):
    monkeypatch.setattr(length, "CURVES", {m: 30_000 for m in ("AAE", "VQ-VAE", "ACAI", "Baseline AE")})
    loaded = _loaded(AAE=[0, 0, 0, 0.3, 0.8], **{"VQ-VAE": [0, 0, 0, 0, 0]}, ACAI=[0.5, 0.9, 0.9, 0.9, 0.9],
                     **{"Baseline AE": [0.5, 0.9, 0.9, 0.9, 0.05]})
    text = length.findings(loaded)
    assert text.startswith(
        "Trained to 30,000 iterations, AAE leaves the blank-image plateau it is on at the book's length (AAE from "
        "10,000), and VQ-VAE stays on it. Baseline AE ends on the plateau, though off it at the book's length. At "
        "30,000 iterations, the longest every committed curve reaches, the methods off the plateau rank, lower first: "
        "Mean Distance (×10⁻³) AAE 20.00, ACAI 20.00; Smoothness undefined for AAE and ACAI; VQ-VAE and Baseline AE "
        "are on the plateau there. AAE: from 3,000 to 30,000 iterations, recon spread 0.00 → 0.80, Mean Distance "
        "20.00 → 20.00 ×10⁻³ (it moves 0.00 over the last three points), Smoothness undefined → undefined.")
    del loaded["VQ-VAE"], loaded["Baseline AE"]
    assert length.findings(loaded).startswith(
        "Trained to 30,000 iterations, AAE leaves the blank-image plateau it is on at the book's length (AAE from "
        "10,000). The curves of VQ-VAE and Baseline AE are not committed yet.")
    del loaded["ACAI"]
    assert length.findings(loaded).startswith(
        "Trained to 30,000 iterations, AAE leaves the blank-image plateau it is on at the book's length (AAE from "
        "10,000). The curves of VQ-VAE, ACAI and Baseline AE are not committed yet.")
    monkeypatch.setattr(length, "CURVES", {"AAE": 30_000, "ACAI": 30_000})
    assert "). The curve of ACAI is not committed yet. AAE: from" in length.findings(loaded)
    assert length.findings(_loaded(ACAI=[0.5] * 5)).startswith(
        "No method is on the blank-image plateau at the book's 3,000 iterations.")
    assert length.findings({}).startswith("No lines curve is committed yet")


@pytest.fixture
def small_book(monkeypatch):
    """The book profile on 512 lines and 8 interpolations, so that a curve run takes seconds."""
    import dataclasses
    monkeypatch.setitem(acai.PROFILES, "book", dataclasses.replace(acai.PROFILES["book"], lines_pool=512,
                                                                   n_interpolations=8))


def test_a_curve_run_trains_what_the_page_trains_and_round_trips(tmp_path, monkeypatch, small_book):
    """The evaluations along the curve leave the batches' RNG alone: the curve run's weights equal the book's loop
    (seeded, built, trained by a plain Trainer) at the same length; saved under weights/, load_all finds it under
    the config declared now and recomputes its last point."""
    torch.set_num_threads(1)
    (D,) = length.setup()
    rec = length.train_curve("AAE", 12, D, work=tmp_path / "work", progress=False)
    assert [p["iter"] for p in rec["curve"]] == [12]
    torch.manual_seed(0)
    plain = acai.build("AAE", "lines")
    Trainer(plain, plain.steps(), {"x": D["train"]["x"]}, batch_size=64, iterations=12, seed=0,
            progress=False).fit()
    trained = torch.load(tmp_path / "work" / "lines-aae-12-s0.pt", weights_only=True)
    assert all(torch.equal(trained[k], v) for k, v in plain.state_dict().items())

    monkeypatch.setattr(runs, "ROOT", tmp_path)
    monkeypatch.setattr(length, "PENDING", set())
    length.save("AAE", 12, D, work=tmp_path / "work")
    assert (tmp_path / "weights" / "acai" / "lines-aae-12-s0.pt").exists()
    with pytest.raises(weights.WeightsError, match="exists"):
        length.save("AAE", 12, D, work=tmp_path / "work")
    loaded = length.load_all(D, runs_={"AAE": 12, "ACAI": 12})
    assert list(loaded) == ["AAE"], "a curve that was not saved is not there"
    last = {k: v for k, v in rec["curve"][-1].items() if k not in ("iter", "eval_s")}
    assert loaded["AAE"]["metrics"] == pytest.approx(last, abs=1e-6, nan_ok=True)
    assert length.table(loaded).loc[("AAE", "recomputed"), "= last point"] == "yes"


def test_the_findings_set_the_book_seeds_spread_beside_the_curves():
    book = {(acai.key("AAE", "lines", None), s): {"metrics": {"recon_spread": v}} for s, v in enumerate((0.001, 0.2))}
    text = length.findings(_loaded(AAE=[0, 0, 0, 0.3, 0.8]), book)
    assert "AAE: from 3,000 to 30,000 iterations, recon spread 0.00 (the book's seeds: 0.00, 0.20) → 0.80," in text
    assert length.findings(_loaded(**{"VQ-VAE": [0] * 5})).startswith(
        "Trained to 30,000 iterations, VQ-VAE stays on the blank-image plateau, as at the book's length.")


def test_curves_of_different_lengths_are_compared_where_all_have_a_point():
    short = _curve([0.5, 0.9, 0.9, 0.9], iters=(500, 1000, 3000, 10_000))
    for p, d, s in zip(short, (30.0, 20.0, 8.0, 2.0), (0.3, 0.2, 0.1, 0.12)):
        p.update(distance_e3=d, smoothness=s)
    loaded = {"ACAI": {"record": {"curve": short}}, **_loaded(AAE=[0, 0, 0, 0, 0], **{"Baseline AE": [0.5] * 5}),
              "VAE": {"record": {"curve": _curve([0.5] * 5, smoothness=0.2)}}}
    loaded["VAE"]["record"]["curve"][3]["distance_e3"] = 3.0
    it, pts = length.at_common_length(loaded)
    assert it == 10_000 and pts["ACAI"]["distance_e3"] == 2.0 and pts["VAE"]["distance_e3"] == 3.0
    assert length.ranking(loaded) == (
        "At 10,000 iterations, the longest every committed curve reaches, the methods off the plateau rank, lower "
        "first: Mean Distance (×10⁻³) ACAI 2.00, VAE 3.00, Baseline AE 20.00; Smoothness ACAI 0.120, VAE 0.200 "
        "(undefined for Baseline AE); AAE is on the plateau there.")
    assert length.ranking({"ACAI": loaded["ACAI"]}) == "", "one curve has nothing to be compared with"
    assert length.ranking({"AAE": loaded["AAE"], "VAE": loaded["AAE"]}, seed=0) == (
        "At 30,000 iterations (seed 0), the longest every committed curve reaches, every method is on the plateau.")
    with pytest.raises(ValueError, match="share no iteration"):
        length.at_common_length({"ACAI": {"record": {"curve": short[:1]}}, "VAE": {"record": {"curve": short[1:]}}})


def test_the_lead_names_both_ends_when_the_curves_differ_in_length(monkeypatch):
    monkeypatch.setattr(length, "CURVES", {"AAE": 30_000, "ACAI": 10_000})
    short = {"record": {"curve": _curve([0.5, 0.9, 0.9, 0.9], iters=(500, 1000, 3000, 10_000))}}
    text = length.findings({**_loaded(AAE=[0, 0, 0, 0.3, 0.8]), "ACAI": short})
    assert text.startswith("Trained to 30,000 iterations (ACAI to 10,000), AAE leaves the blank-image plateau it is "
                           "on at the book's length (AAE from 10,000). At 10,000 iterations, the longest every "
                           "committed curve reaches, the methods off the plateau rank, lower first: Mean Distance "
                           "(×10⁻³) AAE 20.00, ACAI 20.00; Smoothness undefined for AAE and ACAI.")
    short["record"]["curve"][-1]["recon_spread"] = 0.0
    assert ("At 10,000 iterations, the longest every committed curve reaches, only AAE is off the plateau (Mean "
            "Distance 20.00 ×10⁻³, Smoothness undefined); ACAI is on the plateau there.") in length.findings(
        {**_loaded(AAE=[0, 0, 0, 0.3, 0.8]), "ACAI": short})
    assert "ACAI: from 3,000 to 10,000 iterations" in text


def test_the_command_trains_each_curve_to_its_own_length(monkeypatch):
    """``--total`` defaults to each method's length in CURVES (ACAI's is shorter); naming it overrides all."""
    seen = []
    monkeypatch.setattr(length, "train_curve", lambda m, total, D, seed: seen.append((m, total)) or
                        {"wall_s": 0.0, "curve": [{"iter": total}]})
    monkeypatch.setattr(length, "setup", lambda: ({},))
    monkeypatch.setattr(length, "WORK", length.WORK / "no-such-folder")
    monkeypatch.setattr(cpu, "require_pins", lambda *a: None)
    threads = str(torch.get_num_threads())
    length.main(["--names", "ae", "acai", "--threads", threads])
    length.main(["--names", "acai", "--total", "12", "--threads", threads])
    assert seen == [("Baseline AE", 30_000), ("ACAI", 20_000), ("ACAI", 12)]


def test_the_angle_text_says_whether_the_encoder_or_only_the_decoder_is_on_the_plateau():
    loaded = _loaded(AAE=[0, 0, 0, 0, 0], **{"VQ-VAE": [0, 0, 0, 0, 0]}, **{"Dropout AE": [0, 0, 0, 0, 0]},
                     ACAI=[0.5, 0.9, 0.9, 0.9, 0.9], VAE=[0.5, 0.9, 0.9, 0.9, 0.9])
    text = length.angle_text({"AAE": 0.05, "VQ-VAE": 80.0, "Dropout AE": 20.0, "ACAI": 0.02, "VAE": 0.03}, loaded)
    assert "the reference lines lie 0.09° apart on average" in text, "360° over 4,000 lines"
    assert "ACAI 0.02°, VAE 0.03°, AAE 0.05°, Dropout AE 20.00°, VQ-VAE 80.00°." in text
    assert "the VQ-VAE's before quantisation" in text
    assert "AAE's code tells every line from its neighbours" in text, "0.05° is within the 0.09° spacing"
    assert "VQ-VAE's code holds little of the angle" in text
    assert "Dropout AE's code holds the angle only coarsely" in text
    off = _loaded(ACAI=[0.5, 0.9, 0.9, 0.9, 0.9], AAE=[0, 0, 0, 0, 0.5])
    assert length.angle_text({"ACAI": 1.0, "AAE": 50.0}, off) == "", "nobody ends on the plateau"
    assert "before quantisation" not in length.angle_text({"ACAI": 1.0, "AAE": 2.0}, _loaded(
        ACAI=[0.9] * 5, AAE=[0.0] * 5))


def test_the_codebook_use_is_said_along_the_curve():
    assert length._codes_used_text(_curve([0.0] * 5, codes_used=1)) == ", one codebook vector in use at every point"
    c = _curve([0.0] * 5)
    for p, u in zip(c, (1, 1, 1, 40, 312)):
        p["codes_used"] = u
    assert length._codes_used_text(c) == (", codebook vectors in use: 1 at 500, 1 at 1,000, 1 at 3,000, 40 at 10,000, "
                                        "312 at 30,000")
    assert length._codes_used_text(_curve([0.5] * 5)) == "", "the other methods use no codebook"


def test_code_angle_error_reads_the_encoders_code():
    """An encoder whose code is the line's own pixels holds the angle (a few degrees at most); one whose code is the
    same for every line holds nothing of it (the first reference's angle for every query: about 90 degrees)."""
    from vaelab.data import lines

    class Pixels(torch.nn.Module):
        def __init__(self, constant: bool):
            super().__init__()
            self.w, self.constant = torch.nn.Parameter(torch.ones(1)), constant

        def encode(self, x):
            return torch.zeros(len(x), 3) if self.constant else x * self.w

    ref, qry = lines.sample(2000, seed=4), lines.sample(300, seed=1)
    reference, queries = (ref[0], ref[2]), (qry[0], qry[2])
    assert acai.code_angle_error(Pixels(False), reference, queries) < 2
    assert acai.code_angle_error(Pixels(True), reference, queries) == pytest.approx(90, abs=8)


def test_codebook_return_is_where_decay_to_the_t_over_epsilon_reaches_one():
    """An unused vector of the EMA codebook, simulated with the model's own update, is decay^t / epsilon times its
    initial value; it is back at its size after codebook_return updates (11,508 with the official flags)."""
    from vaelab.models.ae_baselines import VQVAE, VQVAEConfig
    back = length.codebook_return(0.999, 1e-5)
    assert back == 11_508 and 0.999 ** back / 1e-5 <= 1 < 0.999 ** (back - 1) / 1e-5
    torch.manual_seed(0)
    model = VQVAE(VQVAEConfig(z_log_size=3))  # eight vectors
    start = model.codebook.clone()
    d = model.cfg.latent_dim
    for _ in range(50):  # every code lands on vector 0: vectors 1 to 7 stay unused
        model.ema_update(start[0].repeat(640, 1), torch.zeros(640, dtype=torch.long))
    ratio = model.codebook[1:] / start[1:]
    assert ratio.shape == (7, d)
    n = model.ema_count.sum()
    expect = 0.999 ** 50 / (1e-5 / (n + 8 * 1e-5) * n)
    assert torch.allclose(ratio, expect.expand_as(ratio), rtol=1e-4), "decay^t over the smoothed count"
    assert float(ratio.mean()) == pytest.approx(0.999 ** 50 / 1e-5, rel=1e-3)
    with pytest.raises(ValueError, match="decay"):
        length.codebook_return(1.0, 1e-5)


def test_the_codebook_text_names_where_the_training_reconstruction_halves():
    curve = _curve([0.0, 0.0, 0.0, 0.0, 0.9], codes_used=1)
    curve[-1]["codes_used"] = 300
    history = [{"iter": i, "ae/recon": 0.08 if i < 12_000 else 0.01} for i in range(1500, 30_001, 1500)]
    text = length.codebook_text({"curve": curve, "history": history}, 0.999, 1e-5)
    assert "back to its size after ln ε / ln decay = 11,508 updates" in text
    assert "(0.0800 at 3,000) is first below half of that at 12,000 (the record keeps it every 1,500 updates), " \
           "492 updates after that point." in text
    assert length.codebook_text({"curve": _curve([0.0] * 5, codes_used=1), "history": history}, 0.999, 1e-5) == "", \
        "still on the plateau"
    assert length.codebook_text({"curve": _curve([0.5] * 5), "history": history}, 0.999, 1e-5) == "", "no codebook"
