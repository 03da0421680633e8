"""Content disentanglement (Press et al., ICLR'19; oripress/ContentDisentanglement): layers at 64×64 and
128×128, code shapes, B's zero specific code, which step updates what, the adversarial labels by hand,
gradient clipping, one Trainer iteration, and the transfer operations against manual encode/decode."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from vaelab.models.domain_translation import ContentConfig, ContentDisentanglement, domain_data, to_input
from vaelab.train import Trainer

torch.set_num_threads(1)
C, SEP = 512 - 25, 25


def build(**kw):
    torch.manual_seed(0)
    return ContentDisentanglement(ContentConfig(**kw))


@pytest.fixture(scope="module")
def model():
    return build(hflip=False)


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(1)
    return torch.rand(6, 3, 64, 64, generator=g) * 2 - 1


# ------------------------------------------------------------------------------------ architecture
def test_layers_at_64(model):
    convs = lambda seq: [(l.in_channels, l.out_channels, l.kernel_size, l.stride, l.padding)
                         for l in seq if isinstance(l, (nn.Conv2d, nn.ConvTranspose2d))]
    k = ((4, 4), (2, 2), (1, 1))
    assert convs(model.e1) == [(3, 32, *k), (32, 64, *k), (64, 128, *k), (128, 256, *k), (256, C, *k)]
    assert convs(model.e2) == [(3, 32, *k), (32, 64, *k), (64, 128, *k), (128, 128, *k), (128, SEP, *k)]
    assert convs(model.decoder) == [(512, 256, *k), (256, 128, *k), (128, 64, *k), (64, 32, *k), (32, 3, *k)]
    norms = [l for l in model.modules() if isinstance(l, nn.InstanceNorm2d)]
    assert len(norms) == 5 + 5 + 4 and not any(l.affine or l.track_running_stats for l in norms)
    assert all(l.negative_slope == 0.2 for l in model.modules() if isinstance(l, nn.LeakyReLU))
    assert isinstance(model.decoder[-1], nn.Tanh) and sum(isinstance(l, nn.ReLU) for l in model.decoder) == 4
    lin = [(l.in_features, l.out_features) for l in model.disc if isinstance(l, nn.Linear)]
    assert lin == [(C * 2 * 2, 512), (512, 1)]


def test_size_128_is_the_reference_network():
    cfg = ContentConfig(size=128)
    ch = cfg.channels()
    assert ch == {"e1": [32, 64, 128, 256, C, C], "e2": [32, 64, 128, 128, 128, SEP],
                  "decoder": [512, 256, 128, 64, 32, 3]}
    assert cfg.common_shape == (C, 2, 2) and cfg.specific_shape == (SEP, 2, 2)
    m = ContentDisentanglement(cfg)
    assert sum(p.numel() for p in m.parameters()) == 15_202_459  # E1+E2+Decoder+Disc of models.py, sep 25
    with pytest.raises(ValueError):
        ContentConfig(size=32).stages


def test_torch04_init_of_transposed_convs():
    m = build()
    for l in m.decoder:
        if isinstance(l, nn.ConvTranspose2d):
            bound = 1 / math.sqrt(l.in_channels * 16)
            assert l.weight.abs().max() <= bound and l.weight.abs().max() > 0.95 * bound
            assert l.bias.abs().max() <= bound


def test_shapes_at_64(model, images):
    x = images[:3]
    common, specific = model.encode(x)
    assert common.shape == (3, C, 2, 2) and specific.shape == (3, SEP, 2, 2)
    assert model.decode(common, specific).shape == (3, 3, 64, 64)
    assert torch.equal(model.decode(common.flatten(1), specific.flatten(1)), model.decode(common, specific))
    lat = model.latents(x)
    assert lat["common"].shape == (3, C * 4) and lat["specific"].shape == (3, SEP * 4)
    assert model.reconstruct(x).shape == model.reconstruct(x, has_attribute=False).shape == (3, 3, 64, 64)
    assert model.discriminate(common).shape == (3,)
    assert model.cross_grid(images[:2], images[2:5]).shape == (4, 3, 3, 64, 64)
    assert model.interpolate_specific(images[:2], images[2:4], steps=5).shape == (2, 5, 3, 64, 64)


def test_uint8_inputs_are_normalised_as_the_reference():
    u = torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8)
    assert torch.allclose(to_input(u), (u.float() / 255 - 0.5) / 0.5, atol=1e-6)
    m = build(hflip=False)
    lu = m.ae_loss({"a": u, "b": u.flip(0)})
    lf = m.ae_loss({"a": to_input(u), "b": to_input(u.flip(0))})
    assert torch.allclose(lu["loss"], lf["loss"])


# ------------------------------------------------------------------------------------------ losses
def test_b_specific_code_is_exactly_zero_in_the_loss(model, images):
    seen = []
    h = model.decoder.register_forward_pre_hook(lambda mod, inp: seen.append(inp[0].detach()))
    try:
        a, b = images[:3], images[3:]
        model.ae_loss({"a": a, "b": b})
    finally:
        h.remove()
    (z,) = seen
    assert z.shape == (6, 512, 2, 2)
    assert (z[3:, C:] == 0).all()                                      # B: zero specific code
    assert torch.allclose(z[:3, C:], model.e2(a)) and z[:3, C:].abs().sum() > 0
    assert torch.allclose(z[:, :C], model.e1(images), atol=1e-6)       # common codes of both


def test_adversarial_labels_by_hand(model, images):
    a, b = images[:2], images[2:4]
    with torch.no_grad():
        la, lb = model.discriminate(model.e1(a)), model.discriminate(model.e1(b))
        pa, pb = torch.sigmoid(la), torch.sigmoid(lb)
        rec = (F.mse_loss(model.decode(model.e1(a), model.e2(a)), a)
               + F.mse_loss(model.decode(model.e1(b), torch.zeros(2, SEP, 2, 2)), b))
        ae = model.ae_loss({"a": a, "b": b})
        d = model.disc_loss({"a": a, "b": b})
    # AE: both domains' codes labelled 0 ("B"): the encoders fool D towards "no attribute"
    adv = -torch.log(1 - pa).mean() - torch.log(1 - pb).mean()
    assert torch.allclose(ae["adv"], adv, atol=1e-5)
    assert torch.allclose(ae["loss"], rec + 0.001 * adv, atol=1e-5)
    # D: A codes labelled 1, B codes 0
    assert torch.allclose(d["bce_a"], -torch.log(pa).mean(), atol=1e-5)
    assert torch.allclose(d["bce_b"], -torch.log(1 - pb).mean(), atol=1e-5)
    assert torch.allclose(d["loss"], d["bce_a"] + d["bce_b"])


def test_disc_step_sees_the_ae_steps_flipped_images():
    m = build(hflip=True)
    g = torch.Generator().manual_seed(2)
    batch = {"a": torch.rand(4, 3, 64, 64, generator=g), "b": torch.rand(4, 3, 64, 64, generator=g)}
    seen = []
    h = m.e1.register_forward_pre_hook(lambda mod, inp: seen.append(inp[0].detach()))
    try:
        torch.manual_seed(3)
        m.ae_loss(batch)
        m.disc_loss(batch)
    finally:
        h.remove()
    assert torch.equal(seen[0], seen[1])
    flipped = [not torch.equal(seen[0][i], torch.cat([batch["a"], batch["b"]])[i]) for i in range(8)]
    assert any(flipped) and not all(flipped)  # some images mirrored, some not (seeded)


# --------------------------------------------------------------------------------------- optimisers
def test_steps_hyperparameters(model):
    ae, disc = model.steps()
    assert (ae.name, disc.name) == ("ae", "disc")                     # train.py: AE first, then D
    for s in (ae, disc):
        assert s.grad_clip == 5 and s.lr == 2e-4 and tuple(s.betas) == (0.5, 0.999) and s.weight_decay == 0
    ids = lambda ps: {id(p) for p in ps}
    assert ids(ae.params) == ids([*model.e1.parameters(), *model.e2.parameters(), *model.decoder.parameters()])
    assert ids(disc.params) == ids(model.disc.parameters())
    assert ids(ae.params) | ids(disc.params) == ids(model.parameters())
    assert build(disc_grad_clip=None).steps()[1].grad_clip is None
    assert [s.name for s in build(disc_weight=0.0).steps()] == ["ae"]


@pytest.mark.parametrize("which", [0, 1])
def test_each_step_updates_only_its_parameters(which, images):
    m = build()
    step = m.steps()[which]
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    Trainer(m, [step], {"a": images[:3], "b": images[3:]}, batch_size=3, iterations=1, progress=False).fit()
    changed = {n for n, p in m.named_parameters() if not torch.equal(p, before[n])}
    disc = {n for n, _ in m.named_parameters() if n.startswith("disc.")}
    if which == 1:
        assert changed == disc
    else:
        assert not changed & disc
        weights = {n for n, p in m.named_parameters() if n.endswith("weight") and not n.startswith("disc.")}
        assert weights <= changed  # (conv biases before InstanceNorm get no gradient)


def test_one_trainer_iteration_is_finite():
    m = build()
    x = torch.randint(0, 256, (8, 3, 64, 64), dtype=torch.uint8)
    data = domain_data(x, torch.tensor([1, 0, 0, 1, 0, 0, 0, 0]))
    res = Trainer(m, m.steps(), data, batch_size=4, iterations=1, log_every=1, progress=False).fit()
    row = res.history[-1]
    assert set(row) == {"iter", "ae/loss", "ae/recon_a", "ae/recon_b", "ae/adv",
                        "disc/loss", "disc/bce_a", "disc/bce_b", "disc/acc"}
    assert all(math.isfinite(v) for v in row.values())


def test_domain_data_is_balanced():
    x = torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1).expand(10, 3, 2, 2)
    has = torch.tensor([1, 0, 0, 1, 0, 0, 0, 0, 1, 0])
    d = domain_data(x, has, seed=0)
    assert d["a"].dtype == torch.uint8 and len(d["a"]) == len(d["b"]) == 7
    ids_a = d["a"][:, 0, 0, 0]
    assert set(ids_a.tolist()) == {0, 3, 8} and ids_a.bincount().max() - ids_a.bincount()[[0, 3, 8]].min() <= 1
    assert sorted(d["b"][:, 0, 0, 0].tolist()) == [1, 2, 4, 5, 6, 7, 9]
    with pytest.raises(ValueError):
        domain_data(x, torch.zeros(10))


# -------------------------------------------------------------------------------------- transfers
def test_remove_attribute_decodes_a_zero_specific_code(model, images):
    x = images[:3]
    manual = model.decoder(torch.cat([model.e1(x), torch.zeros(3, SEP, 2, 2)], 1))
    assert torch.equal(model.remove_attribute(x), manual.detach())
    assert torch.equal(model.reconstruct(x, has_attribute=False), manual.detach())


def test_add_attribute_uses_e1_of_b_and_e2_of_a(model, images):
    x_b, x_a = images[:2], images[2:4]
    seen = {}
    hooks = [model.e1.register_forward_pre_hook(lambda mod, inp: seen.setdefault("e1", []).append(inp[0])),
             model.e2.register_forward_pre_hook(lambda mod, inp: seen.setdefault("e2", []).append(inp[0]))]
    try:
        out = model.add_attribute(x_b, x_a)
    finally:
        for h in hooks:
            h.remove()
    assert len(seen["e1"]) == len(seen["e2"]) == 1
    assert torch.equal(seen["e1"][0], x_b) and torch.equal(seen["e2"][0], x_a)
    with torch.no_grad():
        manual = model.decode(model.encode(x_b)[0], model.encode(x_a)[1])
    assert torch.equal(out, manual)
    one = model.add_attribute(x_b, x_a[:1])  # one A image's attribute for every B image
    assert torch.allclose(one[1], model.add_attribute(x_b[1:2], x_a[:1])[0], atol=1e-6)


def test_cross_grid_and_interpolation_against_manual(model, images):
    xs_b, xs_a = images[:2], images[2:5]
    grid = model.cross_grid(xs_b, xs_a)
    assert (grid[0, 0] == 0).all() and torch.equal(grid[0, 1:], xs_b) and torch.equal(grid[1:, 0], xs_a)
    for i in range(3):
        for j in range(2):
            assert torch.allclose(grid[i + 1, j + 1], model.add_attribute(xs_b[j:j + 1], xs_a[i:i + 1])[0],
                                  atol=1e-5)
    path = model.interpolate_specific(xs_b, xs_a[:2], steps=3)
    assert torch.allclose(path[:, 0], model.remove_attribute(xs_b), atol=1e-5)
    assert torch.allclose(path[:, -1], model.add_attribute(xs_b, xs_a[:2]), atol=1e-5)
    with torch.no_grad():
        c, s = model.e1(xs_b), model.e2(xs_a[:2])
        assert torch.allclose(path[:, 1], model.decode(c, 0.5 * s), atol=1e-5)
