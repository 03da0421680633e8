"""Conjoint VAE / AVB: reference shapes, TF 'same' padding, the loss reductions by hand with fixed noise,
step isolation, one trainer iteration, the iterative background transfer against a manual loop."""
import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F

from vaelab.data import backgrounds, mnist
from vaelab.models.conjoint import (ConjointAVB, ConjointAVBConfig, ConjointVAE, ConjointVAEConfig, DATASET_STYLES,
                                    SameConv2d, SameConvTranspose2d, paired_data)
from vaelab.train import Trainer

torch.set_num_threads(1)  # small convolutions: extra threads only contend on a shared CPU

SMALL = dict(conv_filters=(4, 8, 8), enc_hidden=16, dec_hidden=8, dec_proj=(8, 4, 4))
SMALL_AVB = dict(SMALL, noise_dim=8, disc_hidden=16, disc_n_hidden=2)


def vae(**kw):
    torch.manual_seed(0)
    return ConjointVAE(ConjointVAEConfig(**kw))


def avb(**kw):
    torch.manual_seed(0)
    return ConjointAVB(ConjointAVBConfig(**kw))


def images(n, seed=1):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def pairs(n=8):
    return {"x0": images(n, 1), "x1": images(n, 2)}


def shapes(module):
    return {k: tuple(p.shape) for k, p in module.named_parameters()}


# --------------------------------------------------------------------------- architecture
def test_reference_shapes_codes_and_reconstructions():
    v, a = vae(), avb()
    x0, x1 = images(3, 1), images(3, 2)
    for m in (v, a):
        assert m.features[0].conv(x0).shape == (3, 256, 4, 4)  # 28 -> 14 -> 7 -> 4, 4096 features
        assert m.features[1](x1).shape == (3, 800)
        c = m.encode_pair(x0, x1)
        assert {k: tuple(t.shape) for k, t in c.items()} == {"private0": (3, 2), "private1": (3, 2), "shared": (3, 2)}
        for w in (0, 1):
            e = m.encode(x1 if w else x0, w, x0 if w else x1)
            assert set(e) == {"shared", "private"} and e["shared"].shape == e["private"].shape == (3, 2)
            r = m.decode(e["shared"], e["private"], w)
            assert r.shape == (3, 1, 28, 28) and ((r > 0) & (r < 1)).all()
        r0, r1 = m.reconstruct(x0, x1)
        assert r0.shape == r1.shape == (3, 1, 28, 28)
        dec = shapes(m.decoders[1])
        assert dec == {"fc.weight": (200, 4), "fc.bias": (200,), "proj.weight": (512, 200), "proj.bias": (512,),
                       "deconv.0.weight": (32, 16, 5, 5), "deconv.0.bias": (16,),
                       "deconv.2.weight": (16, 8, 5, 5), "deconv.2.bias": (8,),
                       "deconv.4.weight": (8, 4, 5, 5), "deconv.4.bias": (4,),
                       "conv.weight": (1, 4, 5, 5), "conv.bias": (1,), "out.weight": (784, 784), "out.bias": (784,)}
        h, sizes = torch.zeros(1, 32, 4, 4), []
        for layer in m.decoders[0].deconv[::2]:  # the transposed convolutions (ReLUs between)
            h = layer(h)
            sizes.append(tuple(h.shape[1:]))
        assert sizes == [(16, 8, 8), (8, 16, 16), (4, 32, 32)]
        assert m.decoders[0].conv(h).shape == (1, 1, 28, 28)
        enc = shapes(m.features[0])
        assert enc["conv.0.weight"] == (64, 1, 5, 5) and enc["conv.2.weight"] == (128, 64, 5, 5)
        assert enc["conv.4.weight"] == (256, 128, 5, 5) and enc["fc.weight"] == (800, 4096)
    # the private heads read one dataset's 800 features, the single shared head both (1600)
    assert v.private_mu[0].weight.shape == v.private_logvar[1].weight.shape == (2, 800)
    assert v.shared_mu.weight.shape == v.shared_logvar.weight.shape == (2, 1600)
    assert a.private[1].weight.shape == (2, 800) and a.shared.weight.shape == (2, 1600)
    # mnist_discriminator_simple: four Dense(512) per branch; T_i reads [z_i; s] (4 dims)
    d = shapes(a.discs[0])
    assert d["fx.0.weight"] == (512, 784) and d["fz.0.weight"] == (512, 4)
    assert sum(k.endswith("weight") for k in d) == 8
    # the reference's noise projection: fixed (64, 1) kernels, buffers not parameters
    assert a.noise_w0.shape == a.noise_w1.shape == (64, 1) and not torch.equal(a.noise_w0, a.noise_w1)
    assert not any("noise" in k for k, _ in a.named_parameters())
    assert abs(a.noise_w0).max() <= math.sqrt(6 / 65)
    # Keras init: zero biases
    assert a.features[0].conv[0].bias.abs().sum() == 0 and v.decoders[0].out.bias.abs().sum() == 0
    with pytest.raises(ValueError, match="implicit"):
        a.encode_pair(x0, x1, sample=False)


@pytest.mark.parametrize("n", [4, 7])
def test_same_transposed_convolution_is_the_adjoint_of_same_convolution(n):
    """TF's conv2d_transpose 'same' is the gradient of conv2d 'same': <conv(y), x> = <y, conv_T(x)>."""
    torch.manual_seed(0)
    conv = SameConv2d(3, 5, 5, stride=2, bias=False)
    deconv = SameConvTranspose2d(5, 3, 5, stride=2, bias=False)
    deconv.weight.data.copy_(conv.weight.data)  # (out, in, k, k) of the conv = (in, out, k, k) of its transpose
    y, x = torch.randn(2, 3, 2 * n, 2 * n), torch.randn(2, 5, n, n)
    assert conv(y).shape == x.shape and deconv(x).shape == y.shape
    assert torch.allclose((conv(y) * x).sum(), (y * deconv(x)).sum(), rtol=1e-4, atol=1e-3)
    # TF pads the odd pixel after: 28 -> 14 pads (1, 2), 7 -> 4 pads (2, 2)
    z = torch.randn(1, 3, 28, 28)
    assert torch.allclose(conv(z), F.conv2d(F.pad(z, (1, 2, 1, 2)), conv.weight, stride=2), atol=1e-5)
    z = torch.randn(1, 3, 7, 7)
    assert torch.allclose(conv(z), F.conv2d(z, conv.weight, stride=2, padding=2), atol=1e-5)


# ------------------------------------------------------------------------------- losses
def bernoulli_nll(logits, x):
    """-sum_pixels [x log p + (1 - x) log(1 - p)], p = sigmoid(logits): one value per image."""
    p = torch.sigmoid(logits)
    return -(x * p.log() + (1 - x) * (1 - p).log()).flatten(1).sum(1)


def test_vae_loss_by_hand():
    """mean_batch(sum_pixels NLL of both datasets + KL summed over all 6 dims), one eps over [z0, z1, s]."""
    m = vae(**SMALL)
    b = pairs(3)
    with torch.no_grad():
        torch.manual_seed(5)
        out = m.loss(b)
        mu, lv = m.posterior(b["x0"], b["x1"])
        torch.manual_seed(5)
        z = mu + (0.5 * lv).exp() * torch.randn(3, 6)
        z0, z1, s = z[:, :2], z[:, 2:4], z[:, 4:]
        nll0 = bernoulli_nll(m.decoders[0](torch.cat([z0, s], 1)), b["x0"])
        nll1 = bernoulli_nll(m.decoders[1](torch.cat([z1, s], 1)), b["x1"])
        kl = -0.5 * (1 - mu ** 2 - lv.exp() + lv).sum(-1)  # VAELossLayer's expression
        assert torch.allclose(out["recon0"], nll0.mean(), rtol=1e-5)
        assert torch.allclose(out["recon1"], nll1.mean(), rtol=1e-5)
        assert torch.allclose(out["kl"], kl.mean(), rtol=1e-4, atol=1e-6)
        assert torch.allclose(out["loss"], (nll0 + nll1 + kl).mean(), rtol=1e-5)
        # the shared head reads both images: changing x1 moves the shared mean, not private 0
        mu2, _ = m.posterior(b["x0"], images(3, 9))
        assert torch.equal(mu2[:, :2], mu[:, :2]) and not torch.allclose(mu2[:, 4:], mu[:, 4:])


@pytest.mark.parametrize("share", [True, False])
def test_avb_losses_by_hand(share):
    m = avb(**SMALL_AVB, share_prior_draw=share)
    b = pairs(3)
    x0, x1 = b["x0"], b["x1"]

    def posterior_sample():  # eps0 then eps1, each projected to ONE scalar added to every pixel
        f = []
        for i, x in enumerate((x0, x1)):
            eps = torch.randn(3, 8)
            f.append(m.features[i](x + (eps @ getattr(m, f"noise_w{i}"))[:, :, None, None]))
        return m.private[0](f[0]), m.private[1](f[1]), m.shared(torch.cat(f, 1))

    def t(z0, z1, s):
        return m.discs[0](x0.flatten(1), torch.cat([z0, s], 1)) + m.discs[1](x1.flatten(1), torch.cat([z1, s], 1))

    with torch.no_grad():
        torch.manual_seed(7)
        out = m.loss(b)
        torch.manual_seed(7)
        z0, z1, s = posterior_sample()
        nll0 = bernoulli_nll(m.decoders[0](torch.cat([z0, s], 1)), x0)
        nll1 = bernoulli_nll(m.decoders[1](torch.cat([z1, s], 1)), x1)
        tq = t(z0, z1, s)
        assert tq.shape == (3,)
        assert torch.allclose(out["recon0"], nll0.mean(), rtol=1e-5)
        assert torch.allclose(out["recon1"], nll1.mean(), rtol=1e-5)
        assert torch.allclose(out["kl"], tq.mean(), rtol=1e-5, atol=1e-6)
        assert torch.allclose(out["loss"], (nll0 + nll1 + tq).mean(), rtol=1e-5)

        torch.manual_seed(9)
        d = m.disc_loss(b)
        torch.manual_seed(9)
        tq = t(*posterior_sample())
        if share:  # one draw of max(2, 2) + 2 dims, both discriminators see its first 4
            c = torch.randn(3, 4)
            tp = t(c[:, :2], c[:, :2], c[:, 2:])
        else:
            tp = t(torch.randn(3, 2), torch.randn(3, 2), torch.randn(3, 2))
        bce_q = -torch.log(torch.sigmoid(tq)).mean()
        bce_p = -torch.log(1 - torch.sigmoid(tp)).mean()
        assert torch.allclose(d["bce_q"], bce_q, rtol=1e-5) and torch.allclose(d["bce_p"], bce_p, rtol=1e-5)
        assert torch.allclose(d["loss"], bce_q + bce_p, rtol=1e-5)


def test_learned_noise_projection():
    m = avb(**SMALL_AVB, noise_proj="learned")
    assert shapes(m.noise) == {"0.weight": (784, 8), "0.bias": (784,), "1.weight": (784, 8), "1.bias": (784,)}
    assert not hasattr(m, "noise_w0")
    encdec = {id(p) for p in m.steps()[0].params}
    assert all(id(p) in encdec for p in m.noise.parameters())
    with pytest.raises(ValueError):
        ConjointAVB(ConjointAVBConfig(noise_proj="concat"))


# -------------------------------------------------------------------------------- steps
def test_steps_order_and_reference_settings():
    v, a = vae(**SMALL), avb(**SMALL_AVB)
    (s,) = v.steps()
    assert s.name == "vae" and s.lr == 7e-4 and s.betas == (0.5, 0.999)
    assert {id(p) for p in s.params} == {id(p) for p in v.parameters()}
    st = a.steps()
    assert [x.name for x in st] == ["encdec", "disc", "disc2", "disc3"]
    assert [x.lr for x in st] == [1e-3] * 4 and all(x.betas == (0.5, 0.999) for x in st)
    enc, disc = {id(p) for p in st[0].params}, {id(p) for p in st[1].params}
    assert not enc & disc and enc | disc == {id(p) for p in a.parameters()}
    assert disc == {id(p) for p in a.discs.parameters()} and all({id(p) for p in x.params} == disc for x in st[2:])
    assert [x.name for x in avb(**SMALL_AVB, disc_repetitions=1).steps()] == ["encdec", "disc"]


@pytest.mark.parametrize("make", [lambda: vae(**SMALL), lambda: avb(**SMALL_AVB)])
def test_each_step_updates_only_its_parameters(make):
    m = make()
    for step in m.steps():
        before = {k: v.clone() for k, v in m.state_dict().items()}
        Trainer(m, [step], pairs(), batch_size=4, iterations=1, progress=False).fit()
        mine = {id(p) for p in step.params}
        changed = {k for k, v in m.state_dict().items() if not torch.equal(v, before[k])}
        named = dict(m.named_parameters())
        assert changed, step.name
        assert all(k in named and id(named[k]) in mine for k in changed), (step.name, changed)
        assert all(torch.equal(b, dict(m.named_buffers())[k]) for k, b in before.items() if k not in named)


@pytest.mark.parametrize("make", [ConjointVAE, ConjointAVB])
def test_one_trainer_iteration_at_reference_size_is_finite(make):
    torch.manual_seed(0)
    m = make()
    before = [p.detach().clone() for p in m.parameters()]
    r = Trainer(m, m.steps(), pairs(), batch_size=8, iterations=1, progress=False).fit()
    assert r.iterations == 1 and r.history
    assert all(math.isfinite(v) for k, v in r.history[-1].items() if k != "iter")
    assert all(torch.isfinite(p).all() for p in m.parameters())
    assert all(not torch.equal(a, b) for a, b in zip(before, m.parameters()) if a.dim() > 1)


# ---------------------------------------------------------------------- background transfer
def manual_transfer(m, src, style, t, iterations, sample):
    xs, x = [], style
    for _ in range(iterations + 1):
        c = m.encode_pair(src, x, sample=sample) if t == 1 else m.encode_pair(x, src, sample=sample)
        x = m.decode(c["shared"], c[f"private{t}"], t)
        xs.append(x)
    return torch.stack(xs)


@pytest.mark.parametrize("t", [1, 0])
def test_background_transfer_is_the_iterated_cross_reconstruction(t):
    m = vae(**SMALL)
    src, style = images(3, 3), images(3, 4)
    with torch.no_grad():
        # 0 iterations: the plain cross reconstruction D_t(z_t, s) of the pair (source, style)
        cross = m.encode(style, t, src, sample=False)
        got = m.background_transfer(src, style, t, 0, sample=False)
        assert torch.equal(got, m.decode(cross["shared"], cross["private"], t))
        want = manual_transfer(m, src, style, t, 3, sample=False)
        allx = m.background_transfer(src, style, t, 3, sample=False, return_all=True)
        assert allx.shape == (4, 3, 1, 28, 28) and torch.allclose(allx, want, atol=1e-6)
        assert torch.allclose(m.background_transfer(src, style, t, 3, sample=False), want[-1], atol=1e-6)
        # x^(k) = D_t(encode(source, x^(k-1))): one more pass on x^(2) gives x^(3)
        nxt = m.background_transfer(src, allx[2], t, 0, sample=False)
        assert torch.allclose(nxt, allx[3], atol=1e-6)
        # a single background is broadcast over the batch of digits
        one = m.background_transfer(src, style[:1], t, 1, sample=False)
        assert torch.allclose(one, m.background_transfer(src, style[:1].expand(3, -1, -1, -1), t, 1, sample=False))
    with pytest.raises(ValueError):
        m.background_transfer(src, style, 2, 1)
    with pytest.raises(ValueError):
        m.background_transfer(src, style, t, -1)


@pytest.mark.parametrize("make", [lambda: vae(**SMALL), lambda: avb(**SMALL_AVB)])
def test_sampled_background_transfer_matches_a_manual_loop(make):
    """The reference's procedure: one posterior sample per pass, the probabilities fed back."""
    m = make()
    src, style = images(2, 5), images(2, 6)
    with torch.no_grad():
        torch.manual_seed(11)
        got = m.background_transfer(src, style, 1, 2, return_all=True)
        torch.manual_seed(11)
        want = manual_transfer(m, src, style, 1, 2, sample=True)
        assert torch.allclose(got, want, atol=1e-6)
        assert not torch.allclose(got[0], got[1])


# ---------------------------------------------------------------------------------- data
def test_paired_data_shares_the_digits():
    d = paired_data("test", n=32)
    raw, _ = mnist.load("test")
    raw = raw[:32]
    assert d["x0"].shape == d["x1"].shape == (32, 1, 28, 28)
    digit = raw > 0
    assert torch.equal(d["x0"][digit], d["x1"][digit]) and not torch.equal(d["x0"], d["x1"])
    assert DATASET_STYLES == (("horizontal", "mosaic"), ("vertical", "blank"))
    for i in range(32):  # every background from the right dataset's styles
        for k in (0, 1):
            style = DATASET_STYLES[k][int(d[f"background{k}"][i])]
            bg = torch.from_numpy(backgrounds.pattern(style))
            assert torch.equal(d[f"x{k}"][i, 0][~digit[i, 0]], bg[~digit[i, 0]])


def test_config_is_not_shared_between_models():
    a = avb(**SMALL_AVB)
    b = ConjointAVB(dataclasses.replace(a.cfg, share_prior_draw=False))
    assert a.cfg.share_prior_draw and not b.cfg.share_prior_draw
