"""AVB and its Bernoulli-VAE baseline on the four-point data (Mescheder et al., ICML'17, Section 6.1):
closed forms, the discriminator's optimum, the stated reductions, one trainer step, a short training."""
import math

import pytest
import torch
import torch.distributions as D
import torch.nn.functional as F

from vaelab.data import points
from vaelab.models.avb import AVB, AVBConfig, Discriminator, discriminator_loss
from vaelab.models.bernoulli_vae import BernoulliVAE, BernoulliVAEConfig, keras_init
from vaelab.train import Trainer

EYE = torch.eye(4)


def binary_batch(n=64, seed=0):
    """The four points and random binary vectors of R^4 (the ELBO bound holds for any binary x)."""
    g = torch.Generator().manual_seed(seed)
    return torch.cat([EYE, torch.randint(2, (n, 4), generator=g).float()])


# ------------------------------------------------------------------------------- Bernoulli VAE
def test_vae_kl_is_the_closed_form():
    torch.manual_seed(0)
    m = BernoulliVAE()
    with torch.no_grad():
        m.encoder.mu.bias.add_(torch.randn(2))  # posteriors away from N(0, I): other means, variances
        m.encoder.logvar.bias.add_(torch.randn(2))
        x = binary_batch()
        mu, logvar = m.encode(x)
        q = D.Normal(mu, (0.5 * logvar).exp())
        ref = D.kl_divergence(q, D.Normal(0.0, 1.0)).sum(-1)
        assert torch.allclose(m.kl(x), ref, rtol=1e-5, atol=1e-5)
        # and against a Monte Carlo estimate of E_q[log q - log p]
        z = q.sample((20000,))
        ratio = (q.log_prob(z) - D.Normal(0.0, 1.0).log_prob(z)).sum(-1)
        se = ratio.std(0) / 20000 ** 0.5
        assert ((m.kl(x) - ratio.mean(0)).abs() < 4.5 * se + 1e-4).all()


def test_vae_elbo_is_a_bound_and_matches_monte_carlo():
    torch.manual_seed(1)
    m = BernoulliVAE(BernoulliVAEConfig(hidden=32))
    x = binary_batch()
    with torch.no_grad():
        elbo = m.elbo(x, n_samples=8)
        assert elbo.shape == (len(x),) and (elbo <= 0).all()  # log p(x|z) <= 0 and KL >= 0
        # E_q[log p(x|z) + log p(z) - log q(z|x)] with independent draws
        mu, logvar = m.encode(x)
        q = D.Normal(mu, (0.5 * logvar).exp())
        z = q.sample((4000,))
        logpx = D.Bernoulli(logits=m.decode_logits(z)).log_prob(x.expand(4000, *x.shape)).sum(-1)
        w = logpx + D.Normal(0.0, 1.0).log_prob(z).sum(-1) - q.log_prob(z).sum(-1)
        se = w.std(0) / 4000 ** 0.5  # both estimates have about this standard error
        assert ((m.elbo(x, n_samples=4000) - w.mean(0)).abs() < 4.5 * 2 ** 0.5 * se + 1e-4).all()


def test_vae_loss_is_the_negative_elbo_averaged_over_the_batch():
    """recon summed over coordinates, KL over latent dims, both batch means: loss = -mean ELBO (1 draw)."""
    m, x = BernoulliVAE(BernoulliVAEConfig(hidden=16)), binary_batch()
    torch.manual_seed(3)
    out = m.loss({"x": x})
    torch.manual_seed(3)  # the same draws of eps
    assert torch.allclose(out["loss"], -m.elbo(x, 1).mean(), atol=1e-5)
    assert torch.allclose(out["kl"], m.kl(x).mean(), atol=1e-6)


# ----------------------------------------------------------------------------------------- AVB
MU = torch.tensor([[1.0, 0.0], [-1.0, 0.5], [0.0, 1.0], [0.5, -1.0]])  # q(z | x = e_k) = N(MU_k, S_k^2 I)
S = torch.tensor([0.5, 0.7, 0.6, 0.8])


def gaussian_case(n, generator=None):
    k = torch.randint(4, (n,), generator=generator)
    z_q = MU[k] + S[k, None] * torch.randn(n, 2, generator=generator)
    z_p = torch.randn(n, 2, generator=generator)
    return k, EYE[k], z_q, z_p


def log_ratio(k, z):
    """log q(z|x) - log p(z) in closed form."""
    return (-0.5 * ((z - MU[k]) / S[k, None]) ** 2 - S[k, None].log() + 0.5 * z ** 2).sum(-1)


def test_discriminator_optimum_is_the_log_density_ratio():
    """Proposition 1: the logistic loss is minimised by T* = log q(z|x) - log p(z); E_q[T] is then the KL."""
    torch.manual_seed(0)
    T = Discriminator(4, 2, hidden=32, n_hidden=2)
    keras_init(T)
    opt = torch.optim.Adam(T.parameters(), lr=1e-2)
    steps = 300
    for i in range(steps):
        for g in opt.param_groups:
            g["lr"] = 1e-2 * (1 - 0.9 * i / steps)  # decay: the last iterate averages out the batch noise
        _, x, z_q, z_p = gaussian_case(1024)
        loss = discriminator_loss(T(x, z_q), T(x, z_p))["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    k, x, z_q, z_p = gaussian_case(20000, torch.Generator().manual_seed(123))
    with torch.no_grad():
        t_q, t_p = T(x, z_q), T(x, z_p)
    err_q, err_p = t_q - log_ratio(k, z_q), t_p - log_ratio(k, z_p)
    assert err_q.pow(2).mean().sqrt() < 0.3  # where q has its mass (the KL's integrand)
    assert err_p.abs().median() < 0.3        # under p (its far tails, where T* -> -inf, are rarely seen)
    kl = 0.5 * (MU ** 2).sum(1) + S ** 2 - 1 - 2 * S.log()  # KL(N(mu, s^2 I_2) || N(0, I_2))
    kl_hat = torch.stack([t_q[k == j].mean() for j in range(4)])
    assert torch.allclose(kl_hat, kl, atol=0.25), (kl_hat, kl)


def test_reference_discriminator_is_non_negative():
    """With the reference's ReLU-ended branches T = <f(x), g(z)> >= 0 (why the default deviates)."""
    torch.manual_seed(0)
    T = Discriminator(4, 2, hidden=16, n_hidden=2, linear_features=False)
    _, x, z_q, z_p = gaussian_case(2000)
    with torch.no_grad():
        assert (T(x, z_q) >= 0).all() and (T(x, z_p) >= 0).all()
    T_lin = Discriminator(4, 2, hidden=16, n_hidden=2)  # the default can take either sign
    with torch.no_grad():
        t = T_lin(x, z_p)
    assert (t < 0).any() and (t > 0).any()


def test_avb_api_shapes_and_reductions():
    m = AVB(AVBConfig(hidden=16, disc_hidden=16))
    x = binary_batch()
    with torch.no_grad():
        assert m.encode(x, 5).shape == (5, len(x), 2)
        assert m.decode_logits(m.encode(x, 5)).shape == (5, len(x), 4)
        assert m.kl_estimate(x, 7).shape == m.elbo(x, 7).shape == (len(x),)
    torch.manual_seed(5)
    out = m.loss({"x": x})  # recon summed over coordinates, T, both batch means
    torch.manual_seed(5)    # the same eps
    assert torch.allclose(out["loss"], -m.elbo(x, 1).mean(), atol=1e-5)
    torch.manual_seed(5)
    assert torch.allclose(out["kl"], m.kl_estimate(x, 1).mean(), atol=1e-6)
    # the steps: encoder+decoder first, then the discriminator; the parameters split between them
    encdec, disc = m.steps()
    assert (encdec.name, disc.name) == ("encdec", "disc")
    assert (encdec.lr, disc.lr, encdec.betas, disc.betas) == (1e-4, 2e-4, (0.5, 0.999), (0.5, 0.999))
    ids = [{id(p) for p in s.params} for s in (encdec, disc)]
    assert not ids[0] & ids[1] and ids[0] | ids[1] == {id(p) for p in m.parameters()}
    assert ids[1] == {id(p) for p in m.disc.parameters()}
    # the discriminator's loss is the logistic loss on logits
    t_q, t_p = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    d = discriminator_loss(t_q, t_p)
    ref = (F.binary_cross_entropy(torch.sigmoid(t_q), torch.ones(2))
           + F.binary_cross_entropy(torch.sigmoid(t_p), torch.zeros(2)))
    assert torch.allclose(d["loss"], ref)


# ----------------------------------------------------------------------------- with the trainer
def four_points(n=512):
    x, label = points.make(n, seed=0)
    return {"x": x, "label": label}


@pytest.mark.parametrize("make", [lambda: BernoulliVAE(), lambda: AVB()], ids=["vae", "avb"])
def test_one_trainer_step_is_finite(make):
    torch.manual_seed(0)
    m = make()
    before = [p.detach().clone() for p in m.parameters()]
    r = Trainer(m, m.steps(), four_points(), batch_size=32, iterations=1, progress=False).fit()
    assert r.iterations == 1 and r.history
    assert all(math.isfinite(v) for k, v in r.history[-1].items() if k != "iter")
    assert all(torch.isfinite(p).all() for p in m.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, m.parameters()))


def reconstruction_accuracy(m, data):
    with torch.no_grad():
        return (m.reconstruct(data["x"]).argmax(-1) == data["label"]).float().mean().item()


def test_short_training_reconstructs_the_four_points():
    """The paper's toy result in miniature: both models tell the four points apart through a 2-D
    latent (the VAE decoded at its posterior mean, AVB at a posterior sample). Narrow nets, batches
    of 64; AVB at the reference four-point launcher's learning rates (8e-4 for both steps)."""
    data = four_points()
    torch.manual_seed(0)
    vae = BernoulliVAE(BernoulliVAEConfig(hidden=64))
    Trainer(vae, vae.steps(), data, batch_size=64, iterations=800, seed=0, progress=False).fit()
    torch.manual_seed(0)
    avb = AVB(AVBConfig(hidden=64, disc_hidden=64, lr_encdec=8e-4, lr_disc=8e-4))
    Trainer(avb, avb.steps(), data, batch_size=64, iterations=1200, seed=0, progress=False).fit()
    assert reconstruction_accuracy(vae, data) > 0.9
    assert reconstruction_accuracy(avb, data) > 0.9
    with torch.no_grad():  # both ELBOs below 0, the discriminator's KL estimate positive
        assert (vae.elbo(EYE, 64) < 0).all() and (avb.elbo(EYE, 64) < 0).all()
        assert avb.kl_estimate(EYE, 256).mean() > 0
