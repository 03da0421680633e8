"""Loss terms against closed forms and torch.distributions, and the CSVAE loss by hand."""
import math

import torch
import torch.distributions as D
import torch.nn.functional as F

from vaelab.losses import bernoulli_negentropy, gaussian_kl, reduce_kl
from vaelab.models.csvae import CSVAE, CSVAEConfig


def test_kl_closed_form_values():
    # KL(N(1, 1) || N(0, 1)) = 1/2 ; KL(N(0, e^2) || N(0, 1)) = (e^2 - 1 - 2) / 2
    assert torch.allclose(gaussian_kl(torch.tensor([1.0]), torch.tensor([0.0])), torch.tensor([0.5]))
    expect = (math.exp(2) - 3) / 2
    assert torch.allclose(gaussian_kl(torch.tensor([0.0]), torch.tensor([2.0])), torch.tensor([expect]))
    # identical distributions: zero
    m, lv = torch.randn(5, 3), torch.randn(5, 3)
    assert torch.allclose(gaussian_kl(m, lv, m, lv), torch.zeros(5, 3), atol=1e-6)


def test_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mq, lq, mp, lp = (torch.randn(4, 3, generator=g) for _ in range(4))
    ref = D.kl_divergence(D.Normal(mq, (0.5 * lq).exp()), D.Normal(mp, (0.5 * lp).exp()))
    assert torch.allclose(gaussian_kl(mq, lq, mp, lp), ref, atol=1e-5)


def test_kl_reductions():
    kl = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert reduce_kl(kl, "sum") == 10.0  # over dims and batch (the reference)
    assert reduce_kl(kl, "mean") == 5.0  # per sample
    try:
        reduce_kl(kl, "avg")
    except ValueError as e:
        assert "kl_reduction" in str(e)
    else:
        raise AssertionError("an unknown reduction must raise")


def test_negentropy():
    # at q = 1/2 the negative entropy is -log 2; at confident q it tends to 0
    assert torch.allclose(bernoulli_negentropy(torch.zeros(1)), torch.tensor([-math.log(2)]))
    assert bernoulli_negentropy(torch.tensor([30.0])).abs() < 1e-10
    logits = torch.linspace(-5, 5, 11)
    q = torch.sigmoid(logits)
    assert torch.allclose(bernoulli_negentropy(logits), q * q.log() + (1 - q) * (1 - q).log(), atol=1e-6)


def test_csvae_terms_by_hand():
    torch.manual_seed(0)
    model = CSVAE(CSVAEConfig(hidden=8))
    x = torch.randn(6, 3)
    y = torch.tensor([[0.0], [1.0], [0.0], [1.0], [1.0], [0.0]])
    torch.manual_seed(1)
    out = model.loss({"x": x, "y": y})

    torch.manual_seed(1)  # same draws, in the model's order: z then w
    mz, lz = model.enc_z(x)
    mw, lw = model.enc_w(torch.cat([x, y], 1))
    pm, pl = model.prior_w(y)
    z = mz + (0.5 * lz).exp() * torch.randn_like(mz)
    w = mw + (0.5 * lw).exp() * torch.randn_like(mw)
    recon = ((model.decoder(torch.cat([z, w], 1)) - x) ** 2).mean()
    kl_w = D.kl_divergence(D.Normal(mw, (0.5 * lw).exp()), D.Normal(pm, (0.5 * pl).exp())).sum()
    kl_z = D.kl_divergence(D.Normal(mz, (0.5 * lz).exp()), D.Normal(0.0, 1.0)).sum()
    q = torch.sigmoid(model.adversary(z))
    negent = (q * q.log() + (1 - q) * (1 - q).log()).mean()
    total = 20 * recon + 1 * kl_w + 0.2 * kl_z + 10 * negent
    for k, v in {"recon": recon, "kl_w": kl_w, "kl_z": kl_z, "negentropy": negent, "loss": total}.items():
        assert torch.allclose(out[k], v, atol=1e-5), k

    torch.manual_seed(2)
    adv = model.adversary_loss({"x": x, "y": y})
    torch.manual_seed(2)
    z2 = mz + (0.5 * lz).exp() * torch.randn_like(mz)
    assert torch.allclose(adv["bce"], F.binary_cross_entropy(torch.sigmoid(model.adversary(z2)), y), atol=1e-6)


def test_csvae_steps_split_parameters():
    model = CSVAE(CSVAEConfig(hidden=8))
    steps = {s.name: s for s in model.steps()}
    assert list(steps) == ["adversary", "model"]
    adv, main = set(map(id, steps["adversary"].params)), set(map(id, steps["model"].params))
    assert not adv & main and len(adv) + len(main) == len(list(model.parameters()))
    assert [s.name for s in CSVAE(CSVAEConfig(adversary=False)).steps()] == ["model"]
