"""The CelebA chapter's networks, models and metrics against their definitions and known answers."""
import pytest
import torch

from face_doubles import ChannelJudge
from vaelab.chapters import celeba_csvae as cc
from vaelab.chapters import domain_translation as dt
from vaelab.chapters.celeba_csvae import tables as ct
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
    m = cc.evaluate(oracle, S, ChannelJudge(names), names)
    assert m["recon_mse"] < 1e-10 and m["drift_recon"] < 1e-6 and m["kl_z"] == 0
    for e in cc.EXPERIMENTS:
        assert m[f"truth_mse_{e}"] < 1e-9
        assert m[f"drift_{e}"] == pytest.approx(m[f"drift_truth_{e}"], abs=1e-6)
        assert m[f"truth_recon_mse_{e}"] > 1e-4       # the unedited face is not the edit
    assert {"mig", "dci_disentanglement", "sap"} <= set(m)


class _Coder:
    """z is the labels themselves (``leak``) or nothing at all."""

    def __init__(self, leak: bool):
        self.leak = leak

    def latents(self, x, y):
        return {"z": y * 2 - 1 if self.leak else torch.zeros(len(y), 3)}


def test_label_probes_read_labels_that_z_holds_and_nothing_from_an_empty_z():
    from vaelab.metrics.mi import entropy_bits

    prof = cc.PROFILES["smoke"]
    D = dt.load_data(prof, progress=False)
    S = cc.eval_sets(D, prof)
    names = D["attributes"]
    full, empty = (cc.label_probes(_Coder(leak), S, names) for leak in (True, False))
    assert full["probe_z"] == 100.0 and all(full[f"probe_z_{k}"] == 100.0 for k in cc.LABELS)
    y = cc.labels(S["dis_test"], names)
    assert empty["probe_z"] == pytest.approx(empty["probe_z_majority"]), "an empty z: the commoner label, no more"
    for j, k in enumerate(cc.LABELS):   # always answering the commoner training label, scored on the test faces
        y_tr = cc.labels(S["dis_train"], names)[:, j]
        common = float(y_tr.mean() > 0.5)
        assert empty[f"probe_z_majority_{k}"] == pytest.approx(100 * float((y[:, j] == common).float().mean()))
        assert empty[f"probe_z_{k}"] == pytest.approx(empty[f"probe_z_majority_{k}"])
    assert empty["probe_z_bits"] < 0.05
    h = sum(entropy_bits(y[:, j].long()) for j in range(len(cc.LABELS)))
    assert 0.5 * h < full["probe_z_bits"] <= h + 1e-6, "z = y holds all of the labels' entropy, bounded by it"


def test_findings_say_level_with_where_seeds_do_not_separate():
    R = {("CSVAE", s): {"metrics": {"success_eyeglasses": v}} for s, v in enumerate((50.0, 60.0, 55.0))}
    R.update({("CondVAE", s): {"metrics": {"success_eyeglasses": v}} for s, v in enumerate((52.0, 58.0, 57.0))})
    text = ct.edit_findings(R, models=("CondVAE", "CSVAE"))
    assert text.startswith("The judge accepts the glasses edits most often from CondVAE, and the CSVAE is never "
                           "above or below the CondVAE. Eyeglasses: the judge accepts most edits from CondVAE")
    assert "CSVAE 55.0 % is level with CondVAE's 55.7 %" in text
    R.update({("CondVAE", s): {"metrics": {"success_eyeglasses": v}} for s, v in enumerate((90.0, 91.0, 92.0))})
    text = ct.edit_findings(R, models=("CondVAE", "CSVAE"))
    assert text.startswith("The judge accepts the glasses edits most often from CondVAE, and the CSVAE is never "
                           "above the CondVAE and is below it on the glasses edits. Eyeglasses: ")
    assert "is below CondVAE's 91.0 %" in text
    low = {(m, s): {"metrics": {"success_eyeglasses": v}} for m, vs in (("CondVAE", (4.0, 5.0, 6.0)),
                                                                     ("CSVAE", (1.0, 2.0, 3.0)))
           for s, v in enumerate(vs)}
    text = ct.edit_findings(low, ("CondVAE", "CSVAE"))
    assert text.startswith("The judge accepts few of any model's glasses edits, and the CSVAE is never above the "
                           "CondVAE and is below it on the glasses edits. Eyeglasses: ")
    assert "accepts few edits from any model (at most 5.0 %, from CondVAE)" in text


def test_findings_lead_with_one_plain_sentence_over_experiments_and_scores():
    """Four experiments with known answers: two that no model gets accepted, two led by different models, the
    CSVAE above the CondVAE on one and below on another; then the ground-truth scores and the KL split."""
    success = {"eyeglasses": {"VAE": (1, 2, 3), "CondVAE": (2, 3, 4), "CSVAE": (1, 2, 3)},
               "eyeglasses_smiling": {"VAE": (0, 1, 2), "CondVAE": (1, 2, 3), "CSVAE": (0, 0, 1)},
               "male": {"VAE": (10, 11, 12), "CondVAE": (60, 61, 62), "CSVAE": (30, 31, 32)},
               "makeup": {"VAE": (20, 21, 22), "CondVAE": (40, 41, 42), "CSVAE": (70, 71, 72)}}
    dis = {"mig": {"VAE": (0.1, 0.2, 0.15), "CondVAE": (0.05, 0.06, 0.07), "CSVAE": (0.3, 0.31, 0.32)},
           "dci_disentanglement": {"VAE": (0.5, 0.5, 0.5), "CondVAE": (0.1, 0.1, 0.1), "CSVAE": (0.2, 0.2, 0.2)},
           "sap": {"VAE": (0.1, 0.1, 0.1), "CondVAE": (0.2, 0.2, 0.2), "CSVAE": (0.15, 0.15, 0.15)},
           "kl_z": {"VAE": (20, 20, 20), "CondVAE": (25, 25, 25), "CSVAE": (30, 30, 30)},
           "kl_w": {"CSVAE": (1, 2, 3)}}
    R = {}
    for key, per_model in [*((f"success_{e}", v) for e, v in success.items()), *dis.items()]:
        for m, vs in per_model.items():
            for s, v in enumerate(vs):
                R.setdefault((m, s), {"metrics": {}})["metrics"][key] = float(v)
    models = ("VAE", "CondVAE", "CSVAE")
    assert ct.edit_findings(R, models).startswith(
        "The judge accepts few of any model's glasses and glasses-and-smile edits; it accepts the gender edits most "
        "often from CondVAE and the make-up edits from CSVAE, and the CSVAE is above the CondVAE on the make-up "
        "edits but below it on the gender edits. Eyeglasses: the judge accepts few edits")
    text = ct.disentanglement_findings(R, models)
    assert text.startswith("CSVAE scores highest on MIG, VAE scores highest on DCI disentanglement and CondVAE "
                           "scores highest on SAP, and CSVAE's MIG is above VAE's. MIG is highest for CSVAE (0.310)")
    mig = {"VAE": (0.2, 0.25, 0.15), "CondVAE": (0.1, 0.1, 0.1), "CSVAE": (0.19, 0.1, 0.22)}
    R2 = {(m, s): {"metrics": {**v["metrics"], "mig": mig[m][s]}} for (m, s), v in R.items()}
    assert ct.disentanglement_findings(R2, models).startswith(
        "VAE scores highest on MIG and DCI disentanglement while CondVAE scores highest on SAP, and CSVAE's MIG is "
        "level with VAE's. MIG is highest for VAE (0.200)")
    R4 = {**R, **{(cc.PAPER_CSVAE, s): {"metrics": {"mig": v, "dci_disentanglement": 0.1, "sap": 0.1}}
                  for s, v in enumerate((0.14, 0.2, 0.16))}}
    text = ct.disentanglement_findings(R4, (*models, cc.PAPER_CSVAE))
    assert text.startswith("CSVAE scores highest on MIG, VAE scores highest on DCI disentanglement and CondVAE "
                           "scores highest on SAP, and CSVAE's MIG is above VAE's and CSVAE-paper's MIG is level "
                           "with VAE's. MIG is highest")
    assert text.endswith("; CSVAE-paper 0.167 is level with VAE's 0.150 (Welch p = 0.65).")
    text = ct.information_findings(R, models)
    assert text.startswith("The CSVAE's latent carries the most information per test face, and it codes the face "
                           "mostly in z, the latent meant for all but the attributes. Per test face, the latent "
                           "carries 20.0 nats (VAE), 25.0 nats (CondVAE), 32.0 nats (CSVAE). The CSVAE puts 30.0")
    R3 = {k: {"metrics": {**v["metrics"], "kl_w": 40.0}} if k[0] == "CSVAE" else v for k, v in R.items()}
    R3.update({("CondVAE", s): {"metrics": {"kl_z": 100.0}} for s in range(3)})
    assert ct.information_findings(R3, models).startswith(
        "The CondVAE's latent carries the most information per test face, and the CSVAE codes the face mostly in w, "
        "the latent meant for the attributes, so its edits also replace some of the rest of the face. Per test face")
    R5 = {k: {"metrics": {**v["metrics"], "probe_z": {"VAE": 80.0, "CondVAE": 90.0}.get(k[0], 70.0),
                          "probe_z_majority": 60.0, "probe_z_bits": 0.5}} for k, v in R.items()}
    assert ct.information_findings(R5, models).endswith(
        ". A linear probe per label reads a label off z on 80.0 % (VAE), 90.0 % (CondVAE), 70.0 % (CSVAE) of the test "
        "faces on average over the seven labels, against 60.0 % for always answering the commoner label; the "
        "Barber-Agakov lower bounds on each label's information in z, summed over the seven labels, are 0.50 bits "
        "(VAE), 0.50 bits (CondVAE), 0.50 bits (CSVAE), where the CondVAEs' conditioning and the CSVAEs' adversaries "
        "are meant to leave none.")


def test_the_papers_weighting_weighs_one_faces_terms_as_the_paper_does():
    """ConvCSVAEConfig.paper: on a batch of one face the total is the paper's per-datapoint objective,
    20 * squared error summed over the face's values + 1 * KL(w) + 0.2 * KL(z) + 10 * negentropy summed over the
    labels, each term computed here from the model's pieces with the same noise."""
    torch.manual_seed(0)
    m = ConvCSVAE(ConvCSVAEConfig.paper(width=8, n_labels=3)).eval()   # eval: no dropout draws
    assert (m.cfg.beta1, m.cfg.beta2, m.cfg.beta3, m.cfg.beta4, m.cfg.beta5) == (20 * 12_288, 1.0, 0.2, 30.0, 3.0)
    x, y = _x(1), torch.tensor([[1.0, 0.0, 1.0]])
    torch.manual_seed(1)
    out = m.loss({"x": x, "y": y})
    torch.manual_seed(1)
    xi = x.float() / 127.5 - 1
    (mz, lz), (mw, lw) = m.encode(xi, y)
    z = mz + torch.exp(0.5 * lz) * torch.randn_like(mz)
    w = mw + torch.exp(0.5 * lw) * torch.randn_like(mw)
    pm, pl = m.prior(y)
    kl = lambda mu, lv, pmu, plv: 0.5 * (plv - lv + (lv.exp() + (mu - pmu) ** 2) / plv.exp() - 1).sum()
    q = torch.sigmoid(m.adversary(z))
    negentropy = (q * q.log() + (1 - q) * (1 - q).log()).sum()
    paper = (20 * ((m.decode(z, w) - xi) ** 2).sum() + kl(mw, lw, pm, pl)
             + 0.2 * kl(mz, lz, torch.zeros_like(mz), torch.zeros_like(lz)) + 10 * negentropy)
    assert out["loss"].item() == pytest.approx(paper.item(), rel=1e-4)
    assert ConvCSVAEConfig().beta2 < ConvCSVAEConfig().beta3, "the notebook's weights: KL(z) above KL(w)"


def test_findings_set_the_csvae_with_the_papers_weights_beside_the_notebooks():
    """Both CSVAE rows: the edit lead says where each stands against the CondVAE, the information lead where each
    codes the face, with the KL weights each was trained with."""
    paper = cc.PAPER_CSVAE
    R = {}
    for m, success, kl_z, kl_w in (("CondVAE", (40, 41, 42), 25, None), ("CSVAE", (1, 2, 3), 1, 90),
                                   (paper, (60, 61, 62), 80, 5)):
        for s in range(3):
            R[(m, s)] = {"metrics": {"success_eyeglasses": float(success[s]), "kl_z": float(kl_z),
                                     **({"kl_w": float(kl_w)} if kl_w else {})}}
    models = ("CondVAE", "CSVAE", paper)
    edits = ct.edit_findings(R, models)
    assert edits.startswith("The judge accepts the glasses edits most often from CSVAE-paper, and the CSVAE is "
                            "never above the CondVAE and is below it on the glasses edits; the CSVAE-paper is never "
                            "below the CondVAE and is above it on the glasses edits. ")
    assert "CSVAE-paper 61.0 % is above CondVAE's 41.0 %" in edits
    alone = ct.edit_findings(R, ("CondVAE", paper))
    assert alone.startswith("The judge accepts the glasses edits most often from CSVAE-paper, and the CSVAE-paper "
                            "is never below the CondVAE")
    info = ct.information_findings(R, models)
    assert info.startswith("The CSVAE's latent carries the most information per test face, and it codes the face "
                           "mostly in w, the latent meant for the attributes, so its edits also replace some of the "
                           "rest of the face; the CSVAE-paper codes the face mostly in z, the latent meant for all "
                           "but the attributes.")
    assert ("The CSVAE-paper puts 80.0 nats in z and 5.0 in w: with the paper's weights (the KL on w weighs 1 per "
            "face against 0.2 on z) the face is coded mostly in z") in info
