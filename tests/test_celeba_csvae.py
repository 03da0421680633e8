"""The CelebA chapter's networks, models and metrics against their definitions and known answers."""
import pytest
import torch

from vaelab.chapters import celeba_csvae as cc
from vaelab.chapters import domain_translation as dt
from vaelab.chapters import celeba_csvae_tables as ct
from vaelab.models.conv_csvae import ConvCSVAE, ConvCSVAEConfig
from vaelab.models.conv_cvae import ConvCondVAE, ConvCondVAEConfig
from vaelab.models.conv_vae import ConvVAE, ConvVAEConfig, attribute_directions, copy_convolutions
from vaelab.nets import ConvDecoder, ConvEncoder


def test_networks_have_the_reference_layers():
    """latent-subspaces' CSVAE notebook at KOF = 64 with z + w = 128: its conv and transposed-conv shapes."""
    enc = ConvEncoder(64)
    convs = [m.weight.shape for m in enc.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs == [(64, 3, 4, 4), (128, 64, 4, 4), (256, 128, 4, 4), (512, 256, 4, 4), (1024, 512, 4, 4),
                     (1024, 1024, 4, 4)]
    dec = ConvDecoder(128, 64)
    tconvs = [tuple(m.weight.shape) for m in dec.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert tconvs == [(128, 256, 4, 4), (256, 256, 4, 4), (256, 128, 3, 3), (128, 128, 4, 4), (128, 64, 4, 4),
                      (64, 64, 4, 4), (64, 3, 3, 3)]
    x = torch.randn(2, 3, 64, 64)
    assert enc(x).shape == (2, 1024)
    out = dec.eval()(torch.randn(2, 128))
    assert out.shape == (2, 3, 64, 64) and out.abs().max() <= 1


def _x(n=6, seed=0):
    return torch.randint(0, 256, (n, 3, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


def test_copy_convolutions_gives_the_vae_encoder_and_skips_what_does_not_fit():
    torch.manual_seed(0)
    vae = ConvVAE(ConvVAEConfig(width=8)).eval()
    cs = ConvCSVAE(ConvCSVAEConfig(width=8)).eval()
    copied = copy_convolutions(cs, vae)
    x = _x()
    assert torch.equal(cs.encoder(cs_in := x.float() / 127.5 - 1), vae.encoder(cs_in))
    assert any(k.startswith("decoder.inp") for k in copied)      # z + w = the VAE's 78: all of the decoder
    cv = ConvCondVAE(ConvCondVAEConfig(width=8))
    names = copy_convolutions(cv, vae)
    # the code is 78 + 7 wide: the layers that read it are not copied, the BatchNorms after them are
    assert not {"decoder.inp.0.weight", "decoder.inp.1.weight", "decoder.blocks.0.conv.weight"} & set(names)
    assert "decoder.blocks.0.bn.running_mean" in names
    assert "decoder.blocks.1.conv.weight" in names and "encoder.blocks.5.conv.weight" in names


def test_csvae_prior_is_per_attribute_and_interpolates():
    m = ConvCSVAE(ConvCSVAEConfig(width=8, n_labels=3))
    with torch.no_grad():
        m.prior_mu.copy_(torch.arange(12.0).view(3, 2, 2))
    mu, _ = m.prior(torch.tensor([[0.0, 1.0, 0.5]]))
    assert mu.tolist() == [[0.0, 1.0, 6.0, 7.0, 9.0, 10.0]]  # attr 0 value 0, attr 1 value 1, attr 2 halfway
    with pytest.raises(ValueError, match=r"labels y must be \(N, 3\)"):
        m.prior(torch.zeros(2, 4))


def test_csvae_edit_replaces_only_the_changed_subspace():
    torch.manual_seed(0)
    m = ConvCSVAE(ConvCSVAEConfig(width=8, n_labels=3)).eval()
    seen = []
    m.decode = lambda z, w: seen.append((z, w)) or torch.zeros(len(z), 3, 64, 64)
    x, y = _x(4), torch.tensor([[0.0, 1, 0]] * 4)
    m.reconstruct(x, y)
    y_new = y.clone()
    y_new[:, 2] = 1
    m.manipulate(x, y, y_new)
    (z0, w0), (z1, w1) = seen
    assert torch.equal(z0, z1) and torch.equal(w0[:, :4], w1[:, :4])
    assert torch.allclose(w1[:, 4:], m.prior_mu[2, 1].expand(4, 2))
    assert not torch.allclose(w0[:, 4:], w1[:, 4:])


def test_losses_are_their_weighted_terms():
    torch.manual_seed(0)
    batch = {"x": _x(4), "y": torch.tensor([[0.0] * 7, [1.0] * 7] * 2)}
    m = ConvCSVAE(ConvCSVAEConfig(width=8))
    torch.manual_seed(1)
    t = m.loss(batch)
    c = m.cfg
    want = c.beta1 * t["recon"] + c.beta2 * t["kl_w"] + c.beta3 * t["kl_z"] + c.beta4 * t["negentropy"]
    assert torch.allclose(t["loss"], want)
    assert -0.6932 < t["negentropy"].item() < 0          # -H of a Bernoulli lies in [-log 2, 0]
    info = ConvCondVAE(ConvCondVAEConfig(width=8, info=True))
    t = info.loss(batch)
    assert torch.allclose(t["loss"], 1e4 * t["recon"] + 12.8 * t["kl"] - 10.0 * t["aux_bce"])
    assert [s.name for s in m.steps()] == ["adversary", "model"]
    assert [s.name for s in info.steps()] == ["model", "aux"]


def test_condvae_edit_with_the_same_labels_is_the_reconstruction():
    m = ConvCondVAE(ConvCondVAEConfig(width=8)).eval()
    x, y = _x(3), torch.zeros(3, 7)
    assert torch.allclose(m.manipulate(x, y, y), m.reconstruct(x, y))
    path = m.interpolate(x, y, 0, steps=4)
    assert path.shape == (4, 3, 3, 64, 64) and torch.allclose(path[0], m.reconstruct(x, y), atol=1e-6)


def test_attribute_directions_recover_a_planted_direction():
    g = torch.Generator().manual_seed(0)
    y = (torch.rand(4000, 2, generator=g) > 0.5).float()
    M = torch.tensor([[3.0, 0, 1], [0, -2.0, 0]])
    codes = y @ M + 0.1 * torch.randn(4000, 3, generator=g)
    assert torch.allclose(attribute_directions(codes, y), M, atol=0.08)
    with pytest.raises(ValueError, match="label column 1 is constant"):
        attribute_directions(codes, torch.stack([y[:, 0], torch.ones(4000)], 1))


def test_experiments_select_and_set_their_labels():
    y = torch.tensor([[0.0, 0, 0, 1, 1, 0, 0], [1.0, 0, 1, 0, 0, 0, 1]])
    male = cc.EXPERIMENTS["male"]
    assert cc.source_mask(y, male).tolist() == [True, False]
    t = cc.target_labels(y, male)
    assert t[0].tolist() == [0.0, 0, 1, 0, 0, 0, 0]        # male, make-up and lipstick removed
    mk = cc.target_labels(y, cc.EXPERIMENTS["makeup"])
    assert mk[1].tolist() == [0.0, 0, 0, 1, 0, 0, 0]       # make-up on; male, glasses, moustache off
    with pytest.raises(ValueError, match="Eyeglasses"):
        cc.labels({"attrs": torch.zeros(2, 1)}, ["Smiling"])


class _Judge:
    """Reads 'attributes' and 'factors' off channel means: equal images read equally."""

    def __init__(self, names):
        self.names = names

    def read(self, x):
        x = x.float() / 255 if x.dtype == torch.uint8 else x
        m = x.mean((2, 3))                                            # (N, 3)
        return {"attrs": (m[:, :1] > 0.5).float().expand(-1, len(self.names)),
                "factors": m.repeat(1, 5)[:, :14]}


class _Oracle(torch.nn.Module):
    """Reconstructs exactly and edits into ToyFaces' true edit (found by matching the input image)."""

    def __init__(self, parts, names):
        super().__init__()
        self.parts, self.names = parts, names

    def _find(self, x):
        for P in self.parts:
            hit = [int(torch.nonzero((P["x"] == xi).flatten(1).all(1))[0]) for xi in x
                   if (P["x"] == xi).flatten(1).all(1).any()]
            if len(hit) == len(x):
                return P, torch.tensor(hit)
        raise AssertionError("image not found")

    def reconstruct(self, x, y):
        return x.float() / 127.5 - 1

    def manipulate(self, x, y, y_new):
        P, idx = self._find(x)
        part = {"attrs": P["attrs"][idx], "factors": {k: v[idx] for k, v in P["factors"].items()}}
        return cc.true_edit(part, y_new, self.names) * 2 - 1

    def interpolate(self, x, y, column, steps=8):
        return torch.stack([self.reconstruct(x, y)] * steps)

    def latents(self, x, y):
        return {"z": x.float().mean((2, 3))}

    def encode(self, x, y):
        """q(z | x) = N(0, I): no information, KL 0."""
        z = torch.zeros(len(x), 2)
        return z, z


def test_an_oracle_edit_scores_zero_truth_error_and_moves_the_factors_as_the_truth():
    """A model that reconstructs exactly and edits into ToyFaces' true edit: no error to the truth, no drift
    in reconstructions, and the same factor drift as the true edit."""
    prof = cc.PROFILES["smoke"]
    D = dt.load_data(prof, progress=False)
    S = cc.eval_sets(D, prof)
    names = D["attributes"]
    oracle = _Oracle([S[e] for e in cc.EXPERIMENTS] + [S["test"], S["dis_train"], S["dis_test"]], names)
    m = cc.evaluate(oracle, S, _Judge(names), names)
    assert m["recon_mse"] < 1e-10 and m["drift_recon"] < 1e-6 and m["kl_z"] == 0
    for e in cc.EXPERIMENTS:
        assert m[f"truth_mse_{e}"] < 1e-9
        assert m[f"drift_{e}"] == pytest.approx(m[f"drift_truth_{e}"], abs=1e-6)
        assert m[f"truth_recon_mse_{e}"] > 1e-4       # the unedited face is not the edit
    assert {"mig", "dci_disentanglement", "sap"} <= set(m)


def test_findings_say_level_with_where_seeds_do_not_separate():
    R = {("CSVAE", s): {"metrics": {"success_eyeglasses": v}} for s, v in enumerate((50.0, 60.0, 55.0))}
    R.update({("CondVAE", s): {"metrics": {"success_eyeglasses": v}} for s, v in enumerate((52.0, 58.0, 57.0))})
    text = ct.edit_findings(R, models=("CondVAE", "CSVAE"))
    assert "CSVAE 55.0 % is level with CondVAE's 55.7 %" in text
    R.update({("CondVAE", s): {"metrics": {"success_eyeglasses": v}} for s, v in enumerate((90.0, 91.0, 92.0))})
    assert "is below CondVAE's 91.0 %" in ct.edit_findings(R, models=("CondVAE", "CSVAE"))
    low = {(m, s): {"metrics": {"success_eyeglasses": v}} for m, vs in (("CondVAE", (4.0, 5.0, 6.0)),
                                                                     ("CSVAE", (1.0, 2.0, 3.0)))
           for s, v in enumerate(vs)}
    assert ("accepts few edits from any model (at most 5.0 %, from CondVAE)"
            in ct.edit_findings(low, ("CondVAE", "CSVAE")))
