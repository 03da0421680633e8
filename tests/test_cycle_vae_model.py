"""Cycle-consistent VAE: shapes, the loss terms by hand, the two steps, the schedule, the probe, the authors'
checkpoint."""
import hashlib
import math
import shutil

import pytest
import torch

from vaelab.metrics.probes import Classifier, fit_probe
from vaelab.models.cycle_vae import (REFERENCE_DIR, CycleVAE, CycleVAEConfig, load_reference_checkpoint,
                                    load_reference_state_dicts, lr_schedule, reference_iterations, verify_reference)
from vaelab.train import Trainer

torch.set_num_threads(1)  # small convolutions: extra threads only contend on a shared CPU


def model(**kw):
    torch.manual_seed(0)
    return CycleVAE(CycleVAEConfig(**kw))


def images(n, c=1, size=28, seed=1):
    return torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(seed))


# the reference's networks.py state dicts (names and shapes) for z = s = 16
REF_ENCODER = {
    "conv_model.convolution_1.weight": (16, 1, 5, 5), "conv_model.convolution_1.bias": (16,),
    "conv_model.convolution_2.weight": (32, 16, 5, 5), "conv_model.convolution_2.bias": (32,),
    "conv_model.convolution_3.weight": (64, 32, 5, 5), "conv_model.convolution_3.bias": (64,),
    "style_mu.weight": (16, 256), "style_mu.bias": (16,), "style_logvar.weight": (16, 256),
    "style_logvar.bias": (16,), "class_output.weight": (16, 256), "class_output.bias": (16,),
}
REF_DECODER = {
    "style_input.weight": (256, 16), "style_input.bias": (256,), "class_input.weight": (256, 16),
    "class_input.bias": (256,),
    "deconv_model.deconvolution_1.weight": (128, 32, 4, 4), "deconv_model.deconvolution_1.bias": (32,),
    "deconv_model.deconvolution_2.weight": (32, 16, 4, 4), "deconv_model.deconvolution_2.bias": (16,),
    "deconv_model.deconvolution_3.weight": (16, 1, 4, 4), "deconv_model.deconvolution_3.bias": (1,),
}


def test_mnist_shapes_and_reference_parameters():
    m = model()
    x = images(3)
    mu, lv, s = m.encoder(x)
    assert mu.shape == lv.shape == (3, 16) and s.shape == (3, 16)
    assert m.encoder.conv_model(x).shape == (3, 64, 2, 2)  # 28 -> 13 -> 6 -> 2, 256 features
    assert m.decoder(mu, s).shape == (3, 1, 28, 28)
    params = lambda net: {k: tuple(p.shape) for k, p in net.named_parameters()}  # noqa: E731
    assert params(m.encoder) == REF_ENCODER and params(m.decoder) == REF_DECODER
    # instance norms keep running stats, without affine parameters, as networks.py
    assert "conv_model.convolution_1_in.running_mean" in m.encoder.state_dict()
    # weights_init: Conv2d/Linear ~ N(0, 0.05^2) with zero bias; deconvolutions keep PyTorch's init
    w = torch.cat([m.encoder.conv_model.convolution_3.weight.flatten(), m.decoder.style_input.weight.flatten()])
    assert abs(w.std().item() - 0.05) < 0.003 and m.encoder.style_mu.bias.abs().sum() == 0
    assert m.decoder.deconv_model.deconvolution_1.bias.abs().sum() > 0


def test_sprites_shapes():
    m = model(arch="sprites", z_dim=8, s_dim=12)
    x = images(2, 3, 64)
    mu, lv, s = m.encoder(x)
    assert mu.shape == lv.shape == (2, 8) and s.shape == (2, 12)
    assert m.decoder(mu, s).shape == (2, 3, 64, 64)
    out = m.forward_cycle(x, images(2, 3, 64, seed=2))
    assert all(torch.isfinite(v) for v in out.values())
    with pytest.raises(ValueError):
        CycleVAE(CycleVAEConfig(arch="celeba"))


def test_kl_matches_the_closed_form():
    m = model()
    x1, x2 = images(4), images(4, seed=2)
    eps = (torch.zeros(4, 16), torch.zeros(4, 16))
    out = m.forward_cycle(x1, x2, eps)
    want = 0.0
    for x in (x1, x2):
        mu, lv, _ = m.encoder(x)
        # -0.5 sum(1 + logvar - mu^2 - e^logvar) over batch and dims, / (B C H W), as training.py
        want = want + (-0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())) / (4 * 1 * 28 * 28)
        q = torch.distributions.Normal(mu, (0.5 * lv).exp())
        p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
        assert torch.allclose(torch.distributions.kl_divergence(q, p).sum(),
                              -0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp()))
    assert torch.allclose(out["kl"], want, rtol=1e-5)


def test_forward_cycle_by_hand():
    m = model()
    x1, x2 = images(2), images(2, seed=2)
    g = torch.Generator().manual_seed(3)
    e1, e2 = torch.randn(2, 16, generator=g), torch.randn(2, 16, generator=g)
    out = m.forward_cycle(x1, x2, (e1, e2))
    mu1, lv1, s1 = m.encoder(x1)
    mu2, lv2, s2 = m.encoder(x2)
    z1, z2 = mu1 + (0.5 * lv1).exp() * e1, mu2 + (0.5 * lv2).exp() * e2
    r1, r2 = m.decoder(z1, s2), m.decoder(z2, s1)  # swapped class codes
    mse = lambda a, b: ((a - b) ** 2).sum() / a.nelement()  # noqa: E731  (utils.mse_loss)
    recon = mse(r1, x1) + mse(r2, x2)
    kl = sum(-0.5 * torch.sum(1 + lv - mu ** 2 - lv.exp()) for mu, lv in ((mu1, lv1), (mu2, lv2))) / x1.nelement()
    assert torch.allclose(out["recon"], recon, rtol=1e-5)
    assert torch.allclose(out["kl"], kl, rtol=1e-5)
    assert torch.allclose(out["loss"], 2 * recon + 3 * kl, rtol=1e-5)
    # the noise matters: a different eps changes the reconstruction term
    assert not torch.allclose(m.forward_cycle(x1, x2, (e2, e1))["recon"], recon)


def test_reverse_cycle_zero_when_s_shared_and_built_on_means():
    m = model()
    xa, xb = images(3), images(3, seed=2)
    z = torch.randn(3, 16, generator=torch.Generator().manual_seed(4))
    r = m.reverse_cycle(xa, xb, z)
    ra, rb = m.decoder(z, m.encoder(xa)[2]), m.decoder(z, m.encoder(xb)[2])
    want = (m.encoder(ra)[0] - m.encoder(rb)[0]).abs().sum() / (3 * 16)  # utils.l1_loss on the means
    assert r["reverse"] > 0 and torch.allclose(r["reverse"], want, rtol=1e-5)
    assert torch.allclose(r["loss"], 10 * want, rtol=1e-5)
    # no sampling at the re-encoding: a huge logvar changes nothing
    with torch.no_grad():
        m.encoder.style_logvar.bias.fill_(10.0)
    assert torch.equal(m.reverse_cycle(xa, xb, z)["reverse"], r["reverse"])
    # two different images that share s (class head made constant): zero
    with torch.no_grad():
        m.encoder.class_output.weight.zero_()
    assert m.reverse_cycle(xa, xb, z)["reverse"] == 0
    assert m.reverse_cycle(xa, xb)["reverse"] == 0  # with sampled z as well


def test_steps_order_settings_and_ablation():
    m = model()
    steps = m.steps()
    assert [s.name for s in steps] == ["autoencoder", "reverse"]
    enc, dec = list(m.encoder.parameters()), list(m.decoder.parameters())
    assert steps[0].params == enc + dec and steps[1].params == enc
    assert all(s.lr == 1e-4 and tuple(s.betas) == (0.9, 0.999) and s.weight_decay == 0 for s in steps)
    assert [s.name for s in model(reverse_cycle=False).steps()] == ["autoencoder"]


def pair_data(n=16):
    return {"x1": images(n), "x2": images(n, seed=2)}


def test_reverse_step_updates_only_the_encoder():
    m = model()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    Trainer(m, m.steps()[1:], pair_data(), batch_size=8, iterations=1, progress=False).fit()
    after = m.state_dict()
    for k, v in before.items():
        if k.startswith("decoder.") and not k.endswith(("running_mean", "running_var", "num_batches_tracked")):
            assert torch.equal(v, after[k]), k
    assert any(not torch.equal(v, after[k]) for k, v in before.items() if k.startswith("encoder.") and "weight" in k)


@pytest.mark.parametrize("reverse", [True, False])
def test_one_trainer_iteration_is_finite(reverse):
    m = model(reverse_cycle=reverse)
    r = Trainer(m, m.steps(), pair_data(), batch_size=8, iterations=1, progress=False,
                lr_schedule=lr_schedule(1)).fit()
    row = r.history[-1]
    assert row["iter"] == 1 and all(math.isfinite(v) for v in row.values())
    assert ("reverse/reverse" in row) == reverse and {"autoencoder/recon", "autoencoder/kl"} <= set(row)


def test_lr_schedule():
    f = lr_schedule(100)
    assert [f(i) for i in (0, 50, 79)] == [1.0, 1.0, 1.0]
    assert [f(i) for i in (80, 90, 99)] == [0.1, 0.1, 0.1]
    total = reference_iterations()
    assert total == 93700 and lr_schedule(total)(80 * 937 - 1) == 1.0 and lr_schedule(total)(80 * 937) == 0.1


def test_encode_decode_swap_and_mode():
    m = model()
    m.eval()
    xs, xc = images(2), images(3, seed=2)
    mu, s = m.encode(xs)
    assert mu.shape == s.shape == (2, 16) and not mu.requires_grad and not m.training
    with torch.no_grad():  # a plain call in eval mode normalises with the running averages
        mu_run = m.encoder(xs)[0]
    assert torch.equal(m.encode(xs, instance_stats=False)[0], mu_run) and not torch.allclose(mu, mu_run)
    m.train()
    assert torch.allclose(mu, m.encoder(xs)[0]) and torch.allclose(m.decode(mu, s), m.decoder(mu, s))
    grid = m.swap(xs, xc, grid=True)
    assert grid.shape == (2, 3, 1, 28, 28) and m.training
    _, sc = m.encode(xc)
    assert torch.allclose(grid[1, 2], m.decoder(mu[1:2], sc[2:3])[0], atol=1e-6)
    assert torch.allclose(m.swap(xs, xc[:2]), grid[[0, 1], [0, 1]], atol=1e-6)
    assert set(m.latents(xs)) == {"z", "s"}


def test_load_reference_state_dicts_old_names():
    src, dst = model(), model()
    dst.load_state_dict({k: torch.zeros_like(v) for k, v in dst.state_dict().items()})
    old = {"style_mu.": "varying_factor_mu.", "style_logvar.": "varying_factor_logvar.",
           "class_output.": "common_factor.", "style_input.": "varying_factor.", "class_input.": "common_factor."}

    def rename(sd):
        out = {}
        for k, v in sd.items():
            if k.endswith("num_batches_tracked"):
                continue  # PyTorch 0.4 files have none
            for new, o in old.items():
                if k.startswith(new):
                    k = o + k[len(new):]
            out[k] = v
        return out

    load_reference_state_dicts(dst, rename(src.encoder.state_dict()), rename(src.decoder.state_dict()))
    for k, v in src.state_dict().items():
        if not k.endswith("num_batches_tracked"):
            assert torch.equal(v, dst.state_dict()[k]), k
    with pytest.raises(KeyError):
        load_reference_state_dicts(dst, {"nope": torch.zeros(1)}, rename(src.decoder.state_dict()))


def test_probe_classifier():
    clf = Classifier(16, 10)
    assert [type(l).__name__ for l in clf.fc_model] == ["Linear", "BatchNorm1d", "LeakyReLU"] * 2 + ["Linear"]
    assert clf.fc_model.LeakyRelu_1.negative_slope == 0.2 and clf(torch.randn(4, 16)).shape == (4, 10)
    g = torch.Generator().manual_seed(0)
    centres = 4 * torch.randn(10, 16, generator=g)
    y = torch.randint(10, (1200,), generator=g)
    codes = centres[y] + 0.5 * torch.randn(1200, 16, generator=g)  # linearly separable classes
    rng = torch.get_rng_state()
    acc = fit_probe(codes[:1000], y[:1000], codes[1000:], y[1000:], epochs=3, seed=0)
    assert acc[0] > 0.95 and acc[1] > 0.95
    assert torch.equal(rng, torch.get_rng_state())  # the global RNG is untouched
    assert fit_probe(codes[:1000], y[:1000], codes[1000:], y[1000:], epochs=3, seed=0) == acc  # deterministic
    # a code without class information stays near chance
    noise = torch.randn(1200, 16, generator=g)
    assert fit_probe(noise[:1000], y[:1000], noise[1000:], y[1000:], epochs=3, seed=0)[1] < 0.3


def test_encode_sampled_is_mu_plus_sigma_eps_from_the_generator():
    m = model()
    x = images(3)
    mu, s = m.encode(x)
    with torch.no_grad():
        lv = m.encoder(x)[1]  # train mode: per-image statistics, as encode
    rng = torch.get_rng_state()
    z, s2 = m.encode_sampled(x, torch.Generator().manual_seed(7))
    assert torch.equal(rng, torch.get_rng_state())                 # the global RNG is untouched
    assert torch.equal(s2, s) and not z.requires_grad and m.training
    eps = torch.randn(3, 16, generator=torch.Generator().manual_seed(7))
    assert torch.allclose(z, mu + (0.5 * lv).exp() * eps, atol=1e-6)    # the known sample
    assert torch.equal(m.encode_sampled(x, torch.Generator().manual_seed(7))[0], z)   # same seed, same sample
    assert not torch.allclose(m.encode_sampled(x, torch.Generator().manual_seed(8))[0], z)
    # the mode convention of encode: eval mode restored, running averages with instance_stats=False
    m.eval()
    mu_run = m.encode(x, instance_stats=False)[0]
    with torch.no_grad():
        lv_run = m.encoder(x)[1]
    z_run = m.encode_sampled(x, torch.Generator().manual_seed(7), instance_stats=False)[0]
    assert torch.allclose(z_run, mu_run + (0.5 * lv_run).exp() * eps, atol=1e-6) and not m.training


def test_encode_sampled_averages_to_the_mean_with_the_posterior_spread():
    m = model()
    with torch.no_grad():
        m.encoder.style_logvar.bias.fill_(1.0)   # sigma ~ e^0.5: the noise is not negligible
    x = images(2)
    mu, _ = m.encode(x)
    n = 4000   # per-image statistics: each copy of an image has the same posterior, with its own noise
    z = m.encode_sampled(x.repeat(n, 1, 1, 1), torch.Generator().manual_seed(0))[0].view(n, 2, 16)
    with torch.no_grad():
        sd = (0.5 * m.encoder(x)[1]).exp()
    assert ((z.mean(0) - mu).abs() < 5 * sd / n ** 0.5).all()               # the mean within 5 standard errors
    assert torch.allclose(z.std(0), sd, rtol=0.1)


def test_reference_checkpoint_hashes_and_a_tampered_copy_is_refused(tmp_path):
    sums = dict(reversed(line.split()) for line in (REFERENCE_DIR / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == {"encoder", "decoder"} and (REFERENCE_DIR / "LICENSE").is_file()
    for name, digest in sums.items():
        assert hashlib.sha256((REFERENCE_DIR / name).read_bytes()).hexdigest() == digest, name
    assert set(verify_reference()) == {"encoder", "decoder"}
    copy = tmp_path / "ref"
    shutil.copytree(REFERENCE_DIR, copy)
    raw = bytearray((copy / "decoder").read_bytes())
    raw[len(raw) // 2] ^= 0x01
    (copy / "decoder").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="decoder: sha256 .* differs"):
        load_reference_checkpoint(copy)
    (copy / "encoder").unlink()
    with pytest.raises(FileNotFoundError, match="encoder is missing"):
        load_reference_checkpoint(copy)


def test_reference_checkpoint_loads_into_the_reference_nets():
    rng = torch.get_rng_state()
    m = load_reference_checkpoint()
    assert torch.equal(rng, torch.get_rng_state()) and not m.training
    assert (m.cfg.arch, m.cfg.z_dim, m.cfg.s_dim) == ("mnist", 16, 16)
    sd = torch.load(REFERENCE_DIR / "encoder", map_location="cpu", weights_only=True)
    assert torch.equal(m.encoder.conv_model.convolution_1.weight, sd["conv_model.convolution_1.weight"])
    assert m.encoder.conv_model.convolution_1_in.running_var.abs().sum() > 0
