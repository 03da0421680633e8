"""ACAI and its six baselines (brain-research/acai): shapes, official initialisation, the critic's
targets, the losses by hand, VQ-VAE's quantiser, one Trainer step per model, interpolation endpoints."""
import math

import pytest
import torch
from torch import nn

from vaelab.chapters import acai as chapter
from vaelab.data import lines
from vaelab.models.acai import ACAI, ACAIConfig, ConvAEConfig, he_modified_std, mnist32
from vaelab.models.ae_baselines import (AAE, AE, BASELINES, CONFIGS, VAE, VQVAE, DenoisingAE, DropoutAE,
                                        VQVAEConfig)
from vaelab.train import Trainer

torch.set_num_threads(1)
ALL = {"ACAI": ACAI, **BASELINES}
CFG = {ACAI: ACAIConfig, **CONFIGS}


@pytest.fixture(scope="module")
def line_images():
    return lines.sample(16, seed=3)[0]


def build(cls, preset="lines", **kw):
    torch.manual_seed(0)
    return cls(getattr(CFG[cls], preset)(**kw))


# ------------------------------------------------------------------------------------------ shapes
def test_official_flags_give_the_paper_latents():
    c = ACAIConfig.lines()
    assert (c.scales, c.latent_shape, c.latent_dim) == (4, (16, 2, 2), 64)
    assert (c.advweight, c.reg, c.lr, c.batch) == (0.5, 0.2, 1e-4, 64)
    assert c.iterations == 1 + (1 << 24) // 64
    assert ACAIConfig.mnist(2).latent_shape == (2, 4, 4) and ACAIConfig.mnist(16).scales == 3
    assert VQVAEConfig.lines().latent_shape == (16, 4, 4)  # runs/vqvae.sh: --latent_width=4 on lines32
    assert ConvAEConfig(depth=64, latent_width=4).scales == 3


def test_architecture_layers():
    m = ACAI(ACAIConfig.lines())
    convs = [(l.in_channels, l.out_channels, l.kernel_size[0]) for l in m.encoder if isinstance(l, nn.Conv2d)]
    assert convs == [(1, 16, 1), (16, 16, 3), (16, 16, 3), (16, 32, 3), (32, 32, 3), (32, 64, 3), (64, 64, 3),
                     (64, 128, 3), (128, 128, 3), (128, 256, 3), (256, 16, 3)]
    convs = [(l.in_channels, l.out_channels) for l in m.decoder if isinstance(l, nn.Conv2d)]
    assert convs == [(16, 128), (128, 128), (128, 64), (64, 64), (64, 32), (32, 32), (32, 16), (16, 16),
                     (16, 16), (16, 1)]
    assert sum(isinstance(l, nn.AvgPool2d) for l in m.encoder) == 4
    assert sum(isinstance(l, nn.Upsample) and l.mode == "nearest" for l in m.decoder) == 4
    assert all(l.negative_slope == 0.2 for l in m.modules() if isinstance(l, nn.LeakyReLU))


@pytest.mark.parametrize("name", list(ALL))
def test_shapes_lines(name, line_images):
    m = build(ALL[name])
    x = line_images[:4]
    z = m.encode(x)
    assert z.shape == (4, *m.cfg.latent_shape)
    assert m.decode(z).shape == x.shape == (4, 1, 32, 32)
    if name == "ACAI":
        assert m.critic(x).shape == (4,)


@pytest.mark.parametrize("name", ["ACAI", "VAE", "VQVAE"])
@pytest.mark.parametrize("latent", [2, 16])
def test_shapes_mnist32(name, latent):
    digits = torch.rand(3, 1, 28, 28)
    x = mnist32(digits)
    assert x.shape == (3, 1, 32, 32)
    assert torch.equal(x[..., 2:30, 2:30], digits * 2 - 1)  # [0, 1] -> [-1, 1]
    border = torch.ones_like(x, dtype=torch.bool)
    border[..., 2:30, 2:30] = False
    assert (x[border] == -1).all()                           # padded with the background value
    m = build(ALL[name], "mnist", latent=latent)
    assert m.encode(x).shape == (3, latent, 4, 4)
    assert m.decode(m.encode(x)).shape == (3, 1, 32, 32)


# ------------------------------------------------------------------------------------ initialisation
def test_conv_init_is_he_modified_normal():
    assert he_modified_std(1152) == pytest.approx(1 / math.sqrt(1.04 * 1152))
    m = build(ACAI)
    convs = [l for l in m.modules() if isinstance(l, nn.Conv2d)]
    assert all(torch.count_nonzero(c.bias) == 0 for c in convs)
    big = m.encoder[-3]  # 3×3, 128 -> 256: fan_in 1152, 294912 weights
    assert big.weight.shape == (256, 128, 3, 3)
    assert big.weight.std().item() == pytest.approx(1 / math.sqrt(1.04 * 1152), rel=0.01)
    # every conv of the model, each divided by its formula's std: N(0, 1) (kurtosis 3, not uniform's 1.8)
    u = torch.cat([(c.weight / he_modified_std(c.weight[0].numel())).flatten() for c in convs])
    assert abs(u.mean().item()) < 0.01
    assert u.std().item() == pytest.approx(1.0, abs=0.01)
    assert (u ** 4).mean().item() == pytest.approx(3.0, abs=0.1)


def test_dense_and_codebook_init():
    v = build(VAE)
    bound = math.sqrt(6 / (64 + 64))  # Glorot uniform
    assert v.mu.weight.abs().max() <= bound and v.mu.weight.std().item() == pytest.approx(bound / 3 ** 0.5, rel=0.05)
    assert torch.count_nonzero(v.mu.bias) == 0
    q = build(VQVAE)
    b = math.sqrt(3 / 2 ** 14)  # uniform_unit_scaling over a (1, 1, 16384, 256) variable
    assert q.codebook.shape == (16384, 256) and q.codebook.abs().max() <= b
    assert q.codebook.abs().max() > 0.99 * b and torch.equal(q.ema_means, q.codebook)
    assert torch.count_nonzero(q.ema_count) == 0


# ------------------------------------------------------------------------------------------- ACAI
def test_alpha_in_zero_half():
    a = ACAI.sample_alpha(20000)
    assert a.shape == (20000, 1, 1, 1) and a.min() >= 0 and a.max() <= 0.5
    assert a.mean().item() == pytest.approx(0.25, abs=0.01)


def test_critic_targets_by_hand():
    m = build(ACAI)
    m.critic = lambda v: v.mean(dim=(1, 2, 3))  # a transparent critic: the mean pixel
    alpha = torch.tensor([0.1, 0.3, 0.45])
    img = torch.ones(3, 1, 32, 32)
    ae = 0.4 * img
    x = -(1 - 0.2) / 0.2 * ae                   # so that γ x + (1 − γ) ae = 0
    t = m.critic_terms(x, ae, alpha.view(-1, 1, 1, 1) * img, alpha)
    assert (t["disc_mix"].item() == pytest.approx(0.0, abs=1e-12)
            and t["disc_real"].item() == pytest.approx(0.0, abs=1e-12))
    t = m.critic_terms(torch.zeros_like(x), ae, (alpha.view(-1, 1, 1, 1) + 0.1) * img, alpha)
    assert t["disc_mix"].item() == pytest.approx(0.01, rel=1e-5)         # mean (d(x̂_α) − α)²
    assert t["disc_real"].item() == pytest.approx(0.32 ** 2, rel=1e-5)   # d(0.8 · 0.4) = 0.32, target 0
    assert t["loss"].item() == pytest.approx(0.01 + 0.32 ** 2, rel=1e-5)


def hand_forward(m, x, alpha):
    z = m.encoder(x)
    n = len(x)
    mix = torch.stack([alpha[i] * z[i] + (1 - alpha[i]) * z[n - 1 - i] for i in range(n)])
    return m.decoder(z), m.decoder(mix)


def test_ae_and_critic_losses_by_hand(line_images):
    m = build(ACAI)
    x = line_images[:6]
    alpha = torch.tensor([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    out = m.ae_loss({"x": x}, alpha=alpha)
    with torch.no_grad():
        ae, dm = hand_forward(m, x, alpha)
        recon = ((ae - x) ** 2).mean()
        adv = (m.critic_net(dm).mean(dim=(1, 2, 3)) ** 2).mean()
        disc = ((m.critic_net(dm).mean(dim=(1, 2, 3)) - alpha) ** 2).mean()
        real = (m.critic_net(0.2 * x + 0.8 * ae).mean(dim=(1, 2, 3)) ** 2).mean()
    assert out["recon"].item() == pytest.approx(recon.item(), rel=1e-5)
    assert out["ae_disc"].item() == pytest.approx(adv.item(), rel=1e-4)
    assert out["loss"].item() == pytest.approx((recon + 0.5 * adv).item(), rel=1e-5)
    batch = {"x": x}
    m.ae_loss(batch, alpha=alpha)
    c = m.critic_loss(batch)  # the same batch: reuses the AE step's α, reconstructions and interpolants
    assert c["disc_mix"].item() == pytest.approx(disc.item(), rel=1e-4)
    assert c["disc_real"].item() == pytest.approx(real.item(), rel=1e-4)
    assert c["loss"].item() == pytest.approx(m.critic_loss({"x": x}, alpha=alpha)["loss"].item(), rel=1e-5)


def test_steps_order_and_optimisers():
    m = build(ACAI)
    s = m.steps()
    assert [t.name for t in s] == ["ae", "critic"]
    assert all(t.lr == 1e-4 and t.betas == (0.9, 0.999) for t in s)
    ids = lambda ps: {id(p) for p in ps}
    assert ids(s[0].params) == ids(list(m.encoder.parameters()) + list(m.decoder.parameters()))
    assert ids(s[1].params) == ids(m.critic_net.parameters())
    a = build(AAE).steps()
    assert [t.name for t in a] == ["ae", "disc"] and a[1].lr == 1e-4
    assert build(DropoutAE).cfg.keep == 0.5 and build(DenoisingAE).cfg.noise == 1.0
    q = build(VQVAE).cfg
    assert (q.z_log_size, q.beta, q.num_latents, q.decay, q.epsilon, q.filter_size) == (14, 10.0, 10, 0.999, 1e-5, 512)


# ------------------------------------------------------------------------------------------ VAE
def test_vae_kl_closed_form(line_images):
    mu, logvar = torch.randn(5, 64), torch.randn(5, 64)
    ref = torch.distributions.kl_divergence(torch.distributions.Normal(mu, (0.5 * logvar).exp()),
                                            torch.distributions.Normal(0.0, 1.0)).sum(1).mean()
    assert VAE.kl(mu, logvar).item() == pytest.approx(ref.item(), rel=1e-5)
    m = build(VAE)
    x = line_images[:4]
    out = m.loss({"x": x})
    with torch.no_grad():
        assert out["kl"].item() == pytest.approx(VAE.kl(*m.posterior(x)).item(), rel=1e-5)
    assert (m.decode(m.encode(x)).abs() <= 1).all()


# --------------------------------------------------------------------------------------- VQ-VAE
def test_vq_nearest_codebook_vector_and_straight_through():
    m = build(VQVAE)
    cb = m.codebook
    e = torch.randn(40, 256) * 0.01
    e[:5] = cb[[7, 100, 9000, 16383, 42]] + 1e-5 * torch.randn(5, 256)
    idx, q = m.quantize(e)
    assert idx[:5].tolist() == [7, 100, 9000, 16383, 42]
    assert torch.equal(idx, torch.cdist(e.double(), cb.double()).argmin(1))
    assert torch.equal(q, cb[idx])
    h = torch.randn(3, 2560, requires_grad=True)
    st, idx, commit = m.vq(h)
    assert torch.allclose(st, cb[idx].reshape(3, 2560), atol=1e-6)  # forward: the codebook vectors
    g = torch.randn(3, 2560)
    (st * g).sum().backward()
    assert torch.equal(h.grad, g)                                   # backward: the identity
    h.grad = None
    m.vq(h)[2].backward()
    assert torch.allclose(h.grad, 2 * (h - cb[idx].reshape(3, 2560)).detach() / h.numel())
    assert commit.item() == pytest.approx(((h - cb[idx].reshape(3, 2560)) ** 2).mean().item(), rel=1e-5)


def test_vq_ema_update_formula():
    m = build(VQVAE, z_log_size=3, latent=1, latent_width=2, depth=4)  # 8 codes of dimension 4
    old_means = m.ema_means.clone()
    e = torch.randn(6, 4)
    idx = torch.tensor([0, 0, 3, 3, 3, 5])
    m.ema_update(e, idx)
    n = torch.tensor([2, 0, 0, 3, 0, 1, 0, 0.0])
    s = torch.zeros(8, 4)
    s[0], s[3], s[5] = e[:2].sum(0), e[2:5].sum(0), e[5]
    count = 0.001 * n
    means = 0.999 * old_means + 0.001 * s
    total = count.sum()
    smooth = (count + 1e-5) / (total + 8 * 1e-5) * total
    assert torch.allclose(m.ema_count, count) and torch.allclose(m.ema_means, means)
    assert torch.allclose(m.codebook, means / smooth[:, None], rtol=1e-5)
    before = m.codebook.clone()
    m.decode(torch.randn(2, 1, 2, 2))
    m.eval()
    m.loss({"x": torch.randn(2, 1, 32, 32)})
    assert torch.equal(m.codebook, before)  # no update outside training forwards


# ------------------------------------------------------------------------ training and interpolation
@pytest.mark.parametrize("name", list(ALL))
def test_one_trainer_step(name, line_images):
    m = build(ALL[name])
    before = [p.detach().clone() for p in m.parameters()]
    r = Trainer(m, m.steps(), {"x": line_images}, batch_size=8, iterations=1, progress=False, log_every=1).fit()
    terms = r.history[-1]
    assert all(math.isfinite(v) for v in terms.values()), terms
    assert {k.split("/")[0] for k in terms if k != "iter"} == {s.name for s in m.steps()}
    assert all(not torch.equal(a, b) for a, b in zip(before, m.parameters()))
    assert all(torch.isfinite(p).all() for p in m.parameters())


@pytest.mark.parametrize("name", list(ALL))
def test_interpolate_endpoints_are_reconstructions(name, line_images):
    kw = {"interp_sample": False} if name == "VAE" else {}
    m = build(ALL[name], **kw).eval()
    x0, x1 = line_images[:3], line_images[3:6]
    out = m.interpolate(x0, x1, 5)
    assert out.shape == (3, 5, 1, 32, 32)
    with torch.no_grad():
        assert torch.allclose(out[:, 0], m.decode(m.encode(x0)), atol=1e-5)
        assert torch.allclose(out[:, -1], m.decode(m.encode(x1)), atol=1e-5)
        if name == "ACAI":
            mid = m.decode(0.5 * (m.encode(x0) + m.encode(x1)))
            assert torch.allclose(out[:, 2], mid, atol=1e-5)


def test_vae_interpolates_sampled_codes_by_default(line_images):
    m = build(VAE)
    x0, x1 = line_images[:2], line_images[2:4]
    torch.manual_seed(1)
    out = m.interpolate(x0, x1, 3)
    torch.manual_seed(1)
    with torch.no_grad():
        z0, z1 = m.encode(torch.cat([x0, x1]), sample=True).chunk(2)
        assert torch.allclose(out[:, 0], m.decode(z0), atol=1e-5)
        assert not torch.allclose(out[:, 0], m.decode(m.encode(x0)), atol=1e-3)


# ------------------------------------------------------------------- the official latent classifier
def test_latent_classifier_is_tf_dense_from_its_own_generator():
    """``tf.layers.dense``: glorot-uniform kernel U(±√(6/(fan_in+fan_out))), zero bias; drawn from the seed's
    own generator, so that attaching it leaves the global stream (the AE's draws) where it was."""
    m = build(AE)
    state = torch.random.get_rng_state()
    m.attach_latent_classifier(10, seed=3)
    assert torch.equal(state, torch.random.get_rng_state())
    w, b = m.latent_classifier.dense.weight, m.latent_classifier.dense.bias
    d_in = m.probe_code(torch.zeros(1, 1, 32, 32)).shape[1]
    assert w.shape == (10, d_in) == (10, 64) and torch.equal(b, torch.zeros(10))
    bound = math.sqrt(6 / (64 + 10))
    assert w.abs().max() <= bound and w.abs().max() > 0.9 * bound
    assert w.var().item() == pytest.approx(bound ** 2 / 3, rel=0.2)  # the uniform's variance
    assert torch.equal(w, build(AE).attach_latent_classifier(10, seed=3).latent_classifier.dense.weight)
    assert not torch.equal(w, build(AE).attach_latent_classifier(10, seed=4).latent_classifier.dense.weight)


@pytest.mark.parametrize("method", list(chapter.ALL))
def test_the_latent_classifier_never_touches_the_autoencoder(method, line_images):
    """The classifier's step (Adam at the scripts' lr 1e-4, TF's betas) reads the code under stop-gradient and runs
    first, and no step of the method holds its weights: every method of the chapter (and its adversary or
    codebook) trains to the same bits with the classifier attached or not."""
    y = torch.arange(len(line_images)) % 10
    torch.manual_seed(0)
    plain = chapter.build(method, "mnist", 32)
    torch.manual_seed(0)
    probed = chapter.build(method, "mnist", 32, joint_classifier=True)
    head, *rest = probed.steps()
    assert [s.name for s in rest] == [s.name for s in plain.steps()] and head.name == "classify_latent"
    assert head.lr == probed.cfg.lr == 1e-4 and head.betas == (0.9, 0.999)
    mine = {id(p) for p in probed.latent_classifier.parameters()}
    assert {id(p) for p in head.params} == mine and not any(id(p) in mine for s in rest for p in s.params)
    for m in (plain, probed):
        Trainer(m, m.steps(), {"x": line_images, "y": y}, batch_size=8, iterations=3, seed=0,
                progress=False).fit()
    theirs = probed.state_dict()
    for k, v in plain.state_dict().items():
        assert torch.equal(v, theirs[k]), k
    assert set(theirs) - set(plain.state_dict()) == {"latent_classifier.dense.weight", "latent_classifier.dense.bias"}
    grads = torch.autograd.grad(probed.latent_classifier_loss({"x": line_images, "y": y})["loss"],
                                list(probed.encoder.parameters()), allow_unused=True)
    assert all(g is None for g in grads)


def test_the_latent_classifier_learns_a_code_that_holds_the_class():
    """Four classes, the bright quadrant of a dark image: the classifier trained alongside reads the class of
    fresh images without error where its untrained start reads about chance, and its cross-entropy falls."""
    gen = torch.Generator().manual_seed(0)

    def images(n):
        y = torch.randint(4, (n,), generator=gen)
        x = torch.full((n, 1, 32, 32), -0.5)
        for i, k in enumerate(y.tolist()):
            x[i, :, 16 * (k // 2):16 * (k // 2) + 16, 16 * (k % 2):16 * (k % 2) + 16] = 0.5
        return x + 0.1 * torch.randn(n, 1, 32, 32, generator=gen), y

    x, y = images(256)
    xt, yt = images(200)
    m = build(AE, lr=1e-3).attach_latent_classifier(4, seed=0)
    read = lambda: (m.latent_classifier(m.probe_code(xt)).argmax(1) == yt).float().mean().item()
    before = read()
    r = Trainer(m, m.steps(), {"x": x, "y": y}, batch_size=32, iterations=150, seed=0, log_every=50,
                progress=False).fit()
    xent = [h["classify_latent/xent"] for h in r.history]
    assert xent[-1] < 0.5 * xent[0]
    assert before < 0.5 and m.eval() is m and read() == 1.0
