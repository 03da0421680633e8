"""The VAE-playground chapter's measurements on cases whose answer is known."""
import math

import pytest
import torch

from vaelab import report
from vaelab.chapters import vae_playground as vp
from vaelab.chapters import vae_playground_conjoint as vc
from vaelab.data import backgrounds
from vaelab.metrics.image_classifier import ImageClassifier, ImageClassifierConfig
from vaelab.models.avb import AVB
from vaelab.models.bernoulli_vae import BernoulliVAE
from vaelab.train import Trainer


def constant_decoder(model, probs):
    """Make p(x|z) independent of z: zero last-layer weights, biases = logit(probs)."""
    last = [m for m in model.decoder.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.logit(torch.tensor(probs)))


def test_log_px_of_a_decoder_that_ignores_z_is_the_closed_form():
    torch.manual_seed(0)
    m = BernoulliVAE()
    probs = [0.7, 0.2, 0.5, 0.1]
    constant_decoder(m, probs)
    x = torch.eye(4)
    p = torch.tensor(probs)
    closed = (x * p.log() + (1 - x) * (1 - p).log()).sum(-1)
    assert torch.allclose(vp.log_px(m, x, 5000, chunk=1500), closed, atol=1e-5)


def test_log_px_of_a_perfect_four_way_split_is_minus_log_4():
    """A decoder that outputs e_i with certainty on the i-th quadrant of the prior: p(x = e_i) = 1/4."""
    class Quadrants(torch.nn.Module):
        cfg = type("C", (), {"z_dim": 2})

        def decode_logits(self, z):
            q = (z[..., 0] > 0).long() * 2 + (z[..., 1] > 0).long()
            return 40.0 * (2 * torch.nn.functional.one_hot(q, 4).float() - 1)

    torch.manual_seed(0)
    lp = vp.log_px(Quadrants(), torch.eye(4), 200_000)
    assert torch.allclose(lp, torch.full((4,), -math.log(4)), atol=0.02)


def test_vae_posterior_samples_have_the_encoders_moments():
    torch.manual_seed(1)
    m = BernoulliVAE()
    x = torch.eye(4)
    z = vp.posterior_samples(m, x, 20000)
    assert z.shape == (4, 20000, 2)
    mu, lv = m.encode(x)
    assert torch.allclose(z.mean(1), mu, atol=0.03)
    assert torch.allclose(z.std(1), (0.5 * lv).exp(), rtol=0.03)


def test_points_evaluate_kl_estimators_agree_on_the_gaussian_vae():
    """For the VAE the kNN KL must agree with its closed form, and the gap log p - ELBO must be >= 0."""
    torch.manual_seed(2)
    m = BernoulliVAE()
    with torch.no_grad():
        m.encoder.mu.bias.copy_(torch.tensor([0.5, -1.0]))
        m.encoder.logvar.bias.copy_(torch.tensor([-1.0, -2.0]))
    prof = vp.PROFILES["smoke"]
    out = vp.points_evaluate(m, vp.Profile(**{**prof.__dict__, "points_samples": 4000,
                                               "points_prior_samples": 50_000}), seed=0)
    assert out["kl_knn"] == pytest.approx(out["kl_model"], abs=0.05)
    assert out["gap"] > -0.05
    assert out["elbo_model"] <= out["log_px"] + 0.02


def test_avb_model_runs_through_points_evaluate():
    torch.manual_seed(3)
    out = vp.points_evaluate(AVB(), vp.PROFILES["smoke"], seed=0)
    assert set(out) >= {"log_px", "recon_acc", "kl_model", "kl_knn", "gap"}
    assert all(math.isfinite(v) for v in out.values())


def test_build_refuses_unknown_models():
    with pytest.raises(ValueError, match="choose one of VAE, AVB"):
        vp.build_points("IWAE")
    with pytest.raises(ValueError, match="choose one of Conjoint VAE, Conjoint AVB"):
        vc.build("Conjoint IWAE", "small")
    with pytest.raises(ValueError, match="nets='huge'"):
        vc.build("Conjoint VAE", "huge")


def test_transfer_targets_are_the_bare_backgrounds_of_dataset_1():
    idx, img = vc.transfer_targets(5)
    assert idx.tolist() == [0, 1, 0, 1, 0]
    for i, k in enumerate(idx):
        style = vc.DATASET_STYLES[1][k]
        assert torch.equal(img[i, 0], torch.from_numpy(backgrounds.pattern(style)))
        assert vc.BACKGROUNDS[k + len(vc.DATASET_STYLES[0])] == style


def test_judge_data_labels_name_the_background_each_image_was_drawn_on():
    x = torch.zeros(6, 1, 28, 28)
    x[:, :, 10:18, 12:16] = 1.0  # a "digit"
    parts = {}
    labels = (torch.tensor([0, 1, 1, 0, 1, 0]), torch.tensor([1, 1, 0, 0, 0, 1]))  # differ between datasets
    for ds, styles in enumerate(vc.DATASET_STYLES):
        bg = labels[ds]
        parts[f"x{ds}"] = torch.stack([backgrounds.compose(x[i:i + 1], styles[b])[0] for i, b in enumerate(bg)])
        parts[f"background{ds}"] = bg
    J = vc.judge_data({"train": {**parts, "digit": torch.arange(6)}}, "train")
    assert len(J["x"]) == 12 and J["digit"].tolist() == list(range(6)) * 2
    for img, label in zip(J["x"], J["background"]):
        pat = torch.from_numpy(backgrounds.pattern(vc.BACKGROUNDS[label]))
        assert torch.equal(img[0, 0], pat[0])  # the top row shows the named background


class PixelJudge:
    """Stands in for a trained judge: a fixed rule on the pixels."""

    def __init__(self, rule):
        self.rule = rule

    def predict(self, x):
        return self.rule(x)


def test_transfer_floor_is_what_the_judges_say_about_the_bare_targets():
    d = {"digit": torch.tensor([3, 7, 3, 7, 1, 3])}
    blank = vc.BACKGROUNDS.index("blank")
    vertical = vc.BACKGROUNDS.index("vertical")
    J = {"digit": PixelJudge(lambda x: torch.full((len(x),), 3)),  # always says "3"
         "background": PixelJudge(lambda x: torch.where(x.flatten(1).sum(1) > 0, vertical, blank))}
    floor = vc.transfer_floor(J, d, 6)
    assert floor["floor_digit"] == pytest.approx(3 / 6)
    # targets alternate vertical, blank: both judges right for the sources with digit 3 -> all of them
    assert floor["floor_both"] == pytest.approx(3 / 6)
    J["background"] = PixelJudge(lambda x: torch.full((len(x),), blank))  # wrong on every vertical target
    # only index 5 is a blank target with digit 3
    assert vc.transfer_floor(J, d, 6)["floor_both"] == pytest.approx(1 / 6)


def test_pixel_entropy_is_the_bernoulli_entropy():
    x = torch.zeros(3, 1, 28, 28)
    x[1] = 1.0
    x[2] = 0.5
    h = vc.pixel_entropy(x)
    assert h[0] == 0 and h[1] == 0
    assert h[2].item() == pytest.approx(784 * math.log(2))


def test_paired_p_detects_a_consistent_shift_and_refuses_undefined_cases():
    a = [1.0, 2.0, 3.0, 4.0]
    assert report.paired_p(a, [v + 0.5 + 0.01 * i for i, v in enumerate(a)]) < 0.001
    assert math.isnan(report.paired_p([1.0], [2.0]))
    assert math.isnan(report.paired_p(a, [v + 1 for v in a]))  # identical differences: no variance


def test_image_classifier_learns_a_separable_task():
    """Bright top half vs bright bottom half: any working CNN and training loop gets this right."""
    g = torch.Generator().manual_seed(0)
    y = torch.randint(2, (512,), generator=g)
    x = 0.3 * torch.rand(512, 1, 28, 28, generator=g)
    x[y == 0, :, :14] += 0.6
    x[y == 1, :, 14:] += 0.6
    torch.manual_seed(0)
    clf = ImageClassifier(ImageClassifierConfig(n_classes=2, channels=(4, 8), hidden=16))
    Trainer(clf, clf.steps(), {"x": x, "y": y}, batch_size=64, iterations=60, seed=0, progress=False).fit()
    assert clf.accuracy(x, y) > 0.95
    assert clf.predict(x[:3]).shape == (3,)


def test_image_classifier_predicts_the_classes_of_its_logits_in_any_batch_size():
    """predict runs small channels-last batches; its classes are the argmax of the plain forward pass on the
    whole set, for every batch size, and the weights are left in the default layout."""
    torch.manual_seed(0)
    clf = ImageClassifier(ImageClassifierConfig(n_classes=10))
    x = torch.rand(700, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = clf.eval()(x).argmax(-1)
    clf.train()
    for batch_size in (1, 256, 700, 5000):
        assert torch.equal(clf.predict(x, batch_size=batch_size), expected), batch_size
    assert clf.training  # the mode it was in
    assert all(p.is_contiguous() for p in clf.parameters())
    assert clf.predict(x[:0]).shape == (0,)
    with pytest.raises(ValueError, match="predict takes images"):
        clf.predict(x[:, 0])


def test_report_table_gives_mean_and_sample_sd():
    results = {("A", 0): {"metrics": {"m": 1.0}}, ("A", 1): {"metrics": {"m": 3.0}},
               ("data", 0): {"metrics": {"m": 100.0}}}
    tab = report.table(results, ["A"], {"m": "metric"}, digits=2)
    assert tab.loc["A", "metric"] == f"2.00 ± {math.sqrt(2):.2f}"
    assert report.summary(results, ["A"])["A.m"] == 2.0
