"""The domain-translation chapter: the reference's domain rules, ToyFaces' true translations, the face judge's
targets, and the metrics on models whose scores are known."""
import math

import pytest
import torch

from vaelab import params
from vaelab.chapters import domain_translation as dt
from vaelab.data import celeba, toyfaces
from vaelab.metrics.face_judge import FaceJudge, FaceJudgeConfig, factor_targets, target_names
from vaelab.models.domain_translation import to_input


def reference_split(lines, config):
    """oripress/ContentDisentanglement preprocess.py, its loop over list_attr_celeba.txt, verbatim rules."""
    all_a, all_b = [], []
    for line in lines[2:]:
        line = line.split()
        if config == "glasses":
            if int(line[16]) == 1:
                all_a.append(line[0])
            elif int(line[16]) == -1:
                all_b.append(line[0])
        if config == "mouth":
            if int(line[22]) == 1:
                all_a.append(line[0])
            else:
                all_b.append(line[0])
        if config == "beard":
            if int(line[21]) == 1 and int(line[1]) == -1 and (int(line[23]) == 1 or int(line[17]) == 1 or int(
                    line[25]) == -1):
                all_a.append(line[0])
            elif int(line[21]) == 1 and int(line[25]) == 1 and int(line[1]) == -1:
                all_b.append(line[0])
    return all_a, all_b


@pytest.mark.parametrize("config", ["glasses", "beard", "mouth"])
def test_split_matches_the_reference_on_a_celeba_attribute_file(tmp_path, config):
    g = torch.Generator().manual_seed(1)
    n = 400
    full = (torch.rand(n, len(celeba.ATTRIBUTES), generator=g) < 0.4).long()  # every combination occurs
    names = [celeba.image_name(i + 1) for i in range(n)]
    path = celeba.write_attr_file(tmp_path / "list_attr_celeba.txt", names, full)
    ref_a, ref_b = reference_split(path.read_text().splitlines(), config)
    a = {k: full[:, j].bool() for j, k in enumerate(celeba.ATTRIBUTES)}
    in_a, in_b = dt.split(config, a)
    assert [names[i] for i in torch.nonzero(in_a).flatten()] == ref_a
    assert [names[i] for i in torch.nonzero(in_b).flatten()] == ref_b
    assert len(ref_a) > 10 and len(ref_b) > 10
    assert not (in_a & in_b).any()


def test_beard_split_without_a_shadow_column_counts_it_absent():
    attrs, _ = toyfaces.sample(2000)
    a = dt.attr_dict(attrs, toyfaces.ATTRIBUTES)
    in_a, in_b = dt.split("beard", a)
    with_shadow = {**a, dt.SHADOW: torch.zeros(2000, dtype=torch.bool)}
    ra, rb = dt.split("beard", with_shadow)
    assert torch.equal(in_a, ra) and torch.equal(in_b, rb)
    assert a["Male"][in_a | in_b].all()                 # both beard domains are men only
    assert (~a["No_Beard"][in_b]).sum() == 0
    with pytest.raises(ValueError, match="needs the attributes"):
        dt.split("beard", {"Male": a["Male"]})
    with pytest.raises(ValueError, match="unknown domain 'hat'"):
        dt.split("hat", a)


def _faces(n=64, start=0):
    attrs, factors = toyfaces.sample(n, start=start)
    x = (toyfaces.render(attrs, factors) * 255 + 0.5).to(torch.uint8)
    return {"x": x, "attrs": attrs, "factors": factors}


def test_true_translations_change_only_the_attribute():
    f = _faces(400)
    a = dt.attr_dict(f["attrs"], toyfaces.ATTRIBUTES)
    ia, ib = dt.split("glasses", a)
    A, B = dt._take(f, ia), dt._take(f, ib)
    donor = dt.donors(len(B["x"]), len(A["x"]), 0)
    t_add, t_rem = dt.truths("glasses", A, B, donor, toyfaces.ATTRIBUTES)
    eye = toyfaces.eye_region(B["factors"]).unsqueeze(1).expand_as(t_add)
    diff = (t_add - B["x"].float() / 255).abs()
    assert diff[~eye].max() < 2 / 255                    # outside the eyes: the same face (uint8 rounding)
    assert diff[eye].mean() > 0.02                       # inside: the glasses were drawn
    # removing what was added gives the face back; removing from an A face draws it without glasses
    added = dict(B, attrs=B["attrs"].clone())
    added["attrs"][:, toyfaces.ATTRIBUTES.index("Eyeglasses")] = 1
    _, back = dt.truths("glasses", added, B, torch.zeros(len(B["x"]), dtype=torch.long), toyfaces.ATTRIBUTES)
    assert (back - B["x"].float() / 255).abs().max() < 2 / 255
    j = toyfaces.ATTRIBUTES.index("Eyeglasses")
    assert A["attrs"][:, j].all() and not B["attrs"][:, j].any()
    assert (t_rem - A["x"].float() / 255).abs().mean() > 0


def test_beard_truth_takes_the_donors_facial_hair():
    f = _faces(600)
    ia, ib = dt.split("beard", dt.attr_dict(f["attrs"], toyfaces.ATTRIBUTES))
    A, B = dt._take(f, ia), dt._take(f, ib)
    donor = dt.donors(len(B["x"]), len(A["x"]), 3)
    names = list(toyfaces.ATTRIBUTES)
    t_add, _ = dt.truths("beard", A, B, donor, names)
    expect = B["attrs"].clone()
    for k in ("Mustache", "Goatee", "No_Beard"):
        expect[:, names.index(k)] = A["attrs"][donor, names.index(k)]
    assert torch.allclose(t_add, toyfaces.render(expect, B["factors"]))
    assert dt.present("beard", dt.attr_dict(expect, names)).all()


def test_factor_targets_map_ranges_to_unit_interval_and_wrap_circular_factors():
    n = len(toyfaces.FACTORS)
    lo = {k: torch.tensor([toyfaces.RANGES[k][0]]) for k in toyfaces.FACTORS}
    hi = {k: torch.tensor([toyfaces.RANGES[k][1]]) for k in toyfaces.FACTORS}
    t_lo, t_hi = factor_targets(lo), factor_targets(hi)
    names = target_names()
    assert t_lo.shape == (1, n + 2) and len(names) == n + 2
    for i, k in enumerate(names):
        if k.endswith(("_cos", "_sin")):   # one full turn: the same target
            assert t_lo[0, i] == pytest.approx(float(t_hi[0, i]), abs=1e-6)
        else:
            assert (float(t_lo[0, i]), float(t_hi[0, i])) == pytest.approx((0.0, 1.0))
    quarter = dict(lo, light_angle=torch.tensor([math.pi / 2]))
    t = factor_targets(quarter)
    assert float(t[0, names.index("light_angle_cos")]) == pytest.approx(0.5, abs=1e-6)
    assert float(t[0, names.index("light_angle_sin")]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="missing"):
        factor_targets({"dx": torch.zeros(1)})


def test_face_judge_learns_an_attribute_it_can_see():
    """A few steps on glasses vs no glasses, drawn large and obvious, get above the majority rate."""
    f = _faces(256)
    y = torch.zeros(256, 1)
    y[:128] = 1
    x = f["x"].clone()
    x[:128, :, 20:30, 10:54] = 0          # a black band where the glasses sit: unmissable
    torch.manual_seed(0)
    judge = FaceJudge(FaceJudgeConfig(attributes=("Eyeglasses",), n_factors=14))
    opt = torch.optim.Adam(judge.parameters(), 1e-3)
    t = factor_targets(f["factors"])
    for _ in range(12):
        idx = torch.randperm(256)[:64]
        loss = judge.loss({"x": x[idx], "attrs": y[idx], "targets": t[idx]})
        assert torch.isfinite(loss["loss"]) and set(loss) == {"loss", "bce", "factor_mse"}
        opt.zero_grad()
        loss["loss"].backward()
        opt.step()
    with torch.no_grad():  # 12 steps leave BatchNorm's running averages far from the data's: recompute them
        for m in judge.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None
        judge(x)
    acc = judge.attribute_accuracy(x, y)
    assert acc["Eyeglasses"][1] == pytest.approx(50.0)
    assert acc["Eyeglasses"][0] > 90.0
    assert judge.attribute_accuracy(x, y, reading=judge.read(x)) == acc  # a reading passed in: the same answer
    out = judge.read(x[:5])
    assert out["attrs"].shape == (5, 1) and out["factors"].shape == (5, 14)
    # float input in [0, 1] reads the same as uint8
    assert torch.allclose(judge.read(x[:5].float() / 255)["attrs"], out["attrs"], atol=1e-4)
    with pytest.raises(ValueError, match="at least one attribute"):
        FaceJudge(FaceJudgeConfig())


class Copier(torch.nn.Module):
    """Returns its input: add, remove and reconstruct all copy; codes are given per image."""

    def __init__(self, specific):
        super().__init__()
        self.specific = specific  # x -> code

    def add_attribute(self, x_b, x_a):
        return to_input(x_b)

    def remove_attribute(self, x_a):
        return to_input(x_a)

    def reconstruct(self, x, has_attribute=True):
        return to_input(x)

    def latents(self, x):
        g = torch.Generator().manual_seed(len(x))
        return {"common": torch.randn(len(x), 8, generator=g), "specific": self.specific(x)}


class TruthJudge:
    """Reads the attributes and factor targets that drew each image (looked up by its pixels)."""

    def __init__(self, faces: list):
        self.table = {}
        for f in faces:
            t = factor_targets(f["factors"])
            for i in range(len(f["x"])):
                self.table[f["x"][i].numpy().tobytes()] = (f["attrs"][i], t[i])

    def read(self, x):
        if x.dtype != torch.uint8:
            x = (x * 255 + 0.5).to(torch.uint8)
        rows = [self.table.get(xi.numpy().tobytes()) for xi in x]
        attrs = torch.stack([r[0] if r else torch.full((17,), 0.5) for r in rows])
        factors = torch.stack([r[1] if r else torch.zeros(14) for r in rows])
        return {"attrs": attrs, "factors": factors}


def test_evaluate_scores_a_copying_model_as_the_copy_baseline():
    D = {"attributes": toyfaces.ATTRIBUTES, "dataset": "toyfaces"}
    for s, start in (("train", 0), ("valid", 3000), ("test", 6000)):
        D[s] = _faces(600, start)
    prof = dt.Profile(n_images=0, iterations=1, judge_iterations=1, n_eval=20, n_probe=20, probe_steps=200)
    S = dt.domain_sets(D, "glasses", prof)
    assert len(S["test"]["a"]["x"]) == len(S["test"]["b"]["x"]) == 20
    assert len(S["train"]["a"]) == len(S["train"]["b"]) == max(S["n_train"])
    j = toyfaces.ATTRIBUTES.index("Eyeglasses")
    lookup = {x.numpy().tobytes(): at[j] for split in ("probe", "test") for part in ("a", "b")
              for x, at in zip(S[split][part]["x"], S[split][part]["attrs"])}
    spec = lambda x: torch.stack([lookup[xi.numpy().tobytes()] for xi in x]).float().unsqueeze(1)
    m = dt.evaluate(Copier(spec), S, TruthJudge([D["valid"], D["test"]]), "glasses", toyfaces.ATTRIBUTES, prof, 0)
    assert m["recon_mse"] < 1e-10
    assert m["add_mse"] == pytest.approx(m["add_copy_mse"]) and m["remove_mse"] == pytest.approx(m["remove_copy_mse"])
    assert m["add_success"] == 0.0 and m["remove_success"] == 0.0 and m["judge_real"] == 100.0
    assert m["judge_recon"] == 100.0                     # its reconstructions are the faces themselves
    assert m["add_recon_mse"] == pytest.approx(m["add_copy_mse"]) and m["add_copy_mse"] > 0
    assert m["add_eye_mse"] == pytest.approx(m["add_eye_recon_mse"])
    assert m["add_eye_mse"] > m["add_mse"]               # the glasses' change sits in the eye region
    assert m["drift_add"] == 0.0 and m["drift_remove"] == 0.0 and m["drift_recon"] == 0.0 and m["flips_add"] == 0.0
    assert m["drift_unrelated"] > 0.1
    assert m["probe_specific"] == 100.0                  # the code is the label
    assert 20.0 <= m["probe_common"] <= 80.0            # noise: near chance on 40 test codes


def test_domain_sets_name_an_empty_domain():
    f = _faces(50)
    f["attrs"][:, toyfaces.ATTRIBUTES.index("Eyeglasses")] = 0
    D = {"train": f, "valid": f, "test": f, "attributes": toyfaces.ATTRIBUTES}
    with pytest.raises(ValueError, match="domain 'glasses': the train split has 0 images in A"):
        dt.domain_sets(D, "glasses", dt.PROFILES["smoke"])


def test_celeba_dataset_reads_a_celeba_layout_folder(tmp_path):
    toyfaces.write_celeba(tmp_path / "celeba", 400, progress=False)
    D = dt.load_data(dt.PROFILES["smoke"], "celeba", tmp_path, progress=False)
    attrs, _ = toyfaces.sample(400)
    part = toyfaces.partition(torch.arange(400), 400)
    assert torch.equal(D["test"]["attrs"][:, :17], attrs[part == 2])
    assert D["attributes"][-1] == dt.SHADOW and not D["train"]["attrs"][:, -1].any()
    S = dt.domain_sets(D, "beard", dt.PROFILES["smoke"])
    assert "factors" not in S["test"]["a"] and len(S["test"]["a"]["x"]) > 0
    with pytest.raises(ValueError, match="dataset='lfw' is not valid"):
        dt.load_data(dt.PROFILES["smoke"], "lfw")
    with pytest.raises(FileNotFoundError):
        dt.load_data(dt.PROFILES["smoke"], "celeba", tmp_path / "nowhere")


def test_params_accept_the_chapter_dataset():
    P = params.validate(profile="smoke", dataset="celeba", choices={"dataset": ("toyfaces", "celeba")})
    assert P.extra["dataset"] == "celeba"


def test_strongest_donor_shows_the_most_of_the_attribute():
    names = list(toyfaces.ATTRIBUTES)
    attrs = torch.zeros(3, len(names))
    attrs[:, names.index("No_Beard")] = 1
    attrs[0, names.index("Mustache")] = 1                      # a moustache alone
    attrs[1, names.index("Mustache")] = 1
    attrs[1, names.index("No_Beard")] = 0                      # a beard and a moustache
    attrs[2, names.index("Goatee")] = 1
    attrs[2, names.index("No_Beard")] = 0                      # a goatee: also two
    assert dt.strongest("beard", attrs, names) == 1
    assert dt.present("beard", dt.attr_dict(attrs, names)).all()


def test_verdicts_follow_the_per_seed_numbers():
    def runs(**m):
        return {("glasses", s): {"metrics": {k: v[s] for k, v in m.items()}} for s in range(3)}
    common = dict(probe_specific=[90.0, 91.0, 92.0], judge_real=[98.0] * 3, judge_recon=[60.0] * 3,
                  add_success=[10.0, 20.0, 30.0], remove_success=[90.0] * 3)
    level = runs(probe_common=[60.0, 64.0, 62.0], probe_truth=[62.0, 61.0, 63.0], **common)
    assert dt.probe_findings(level).startswith(
        "A linear probe reads the glasses domain better from E2's code than from E1's in every seed, and E1 holds "
        "no more of the glasses domain than the rest of the face tells. Glasses: a linear probe reads the domain")
    assert "level with the ground truth's 62.0 %" in dt.probe_findings(level)
    above = runs(probe_common=[70.0, 71.5, 72.0], probe_truth=[60.0, 60.2, 60.1], **common)
    assert "and E1 holds more of the glasses domain than the rest of the face tells. " in dt.probe_findings(above)
    assert "above the ground truth's 60.1 %" in dt.probe_findings(above)
    closer = runs(add_mse=[0.010, 0.011, 0.012], add_recon_mse=[0.020, 0.022, 0.021], remove_mse=[0.01, 0.03, 0.02],
                  remove_recon_mse=[0.02, 0.02, 0.021], drift_add=[0.1] * 3, drift_remove=[0.1] * 3,
                  drift_recon=[0.1] * 3, drift_truth=[0.05] * 3, drift_unrelated=[0.3] * 3, **common)
    text = dt.translation_findings(closer)
    # added on 20 % (at most half), removed on 90 %; adding is closer to the truth, removing about as close
    assert text.startswith("The judge sees the glasses removed on most faces but added on at most half, and on "
                           "ToyFaces 1 of the 2 translations lands closer to the true translation than the input's "
                           "own reconstruction does. Glasses: the judge sees")
    assert "an image closer to the truth than the B face's own reconstruction (0.0110 against 0.0210" in text
    assert "removing it one about as close to the truth as the A face's own reconstruction" in text
    assert "judge sees the attribute on 20.0 ± 10.0 % of the faces it was added to" in text


def test_findings_lead_with_the_verdict_across_domains():
    """Two domains that differ: the first sentence says each one's verdict, then the numbers follow."""
    def runs(**per_domain):
        return {(d, s): {"metrics": {k: v[s] for k, v in m.items()}} for d, m in per_domain.items() for s in range(3)}
    glasses = dict(add_success=[80.0] * 3, remove_success=[90.0] * 3, judge_real=[99.0] * 3, judge_recon=[95.0] * 3,
                   add_mse=[0.010, 0.011, 0.012], add_recon_mse=[0.020, 0.022, 0.021],
                   remove_mse=[0.010, 0.012, 0.011], remove_recon_mse=[0.020, 0.021, 0.023],
                   probe_specific=[80.0, 82.0, 81.0], probe_common=[60.0, 61.0, 59.0], probe_truth=[70.0, 71.0, 72.5])
    beard = dict(glasses, add_success=[30.0] * 3, remove_success=[40.0] * 3,
                 add_mse=[0.030, 0.032, 0.031], remove_mse=[0.025, 0.026, 0.028],
                 probe_specific=[60.0, 50.0, 70.0], probe_common=[55.0, 56.0, 54.0], probe_truth=[55.0, 54.0, 56.5])
    for d in ("glasses", "beard"):   # the factor drifts the paragraphs quote
        for k in ("drift_add", "drift_remove", "drift_recon", "drift_truth", "drift_unrelated"):
            (glasses if d == "glasses" else beard)[k] = [0.1] * 3
    R = runs(glasses=glasses, beard=beard)
    text = dt.translation_findings(R)
    assert text.startswith("The judge sees the glasses added and removed on most faces and facial hair added and "
                           "removed on at most half of the faces; on ToyFaces 2 of the 4 translations land closer to "
                           "the true translation than the input's own reconstruction does. Glasses: ")
    assert ". Beard: the judge sees the attribute on 30.0 ± 0.0 % of the faces it was added to" in text
    both = runs(glasses=glasses, beard={**glasses, "add_mse": beard["add_mse"], "remove_mse": beard["remove_mse"]})
    assert dt.translation_findings(both).startswith(
        "The judge sees the glasses and facial hair added and removed on most faces, and on ToyFaces 2 of the 4 "
        "translations land closer")
    none = runs(glasses={**glasses, "add_mse": beard["add_mse"], "remove_mse": beard["remove_mse"]})
    assert dt.translation_findings(none, ("glasses",)).startswith(
        "The judge sees the glasses added and removed on most faces, but on ToyFaces no translation lands closer")
    assert dt.translation_findings(runs(glasses=glasses), ("glasses",)).startswith(
        "The judge sees the glasses added and removed on most faces, and on ToyFaces every translation lands closer")
    # E2 beats E1 in every glasses seed but not in beard seed 1; E1 below the truth for the glasses, level for the beard
    assert dt.probe_findings(R).startswith(
        "A linear probe reads the glasses domain better from E2's code than from E1's in every seed, but not the beard "
        "domain, and E1 holds no more of the beard domain than the rest of the face tells, but less of the glasses "
        "domain. Glasses: ")
    assert dt.probe_findings(runs(beard=beard), ("beard",)).startswith(
        "A linear probe does not read the beard domain better from E2's code than from E1's in every seed, and E1")
    assert dt.translation_findings({}) == "" and dt.probe_findings({}) == ""


def test_gaussian_blur_matches_torchvision_and_keeps_mass():
    from torchvision.transforms.functional import gaussian_blur as tv_blur

    from vaelab.metrics.face_judge import gaussian_blur

    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 16, 16, generator=g)
    sigma = torch.tensor([0.0, 0.7, 1.5])
    y = gaussian_blur(x, sigma)
    assert torch.allclose(y[0], x[0])                       # sigma 0: unchanged
    for i in (1, 2):
        ref = tv_blur(x[i:i + 1], kernel_size=[7, 7], sigma=[float(sigma[i])] * 2)
        assert torch.allclose(y[i], ref[0], atol=1e-5)
    delta = torch.zeros(1, 1, 15, 15)
    delta[0, 0, 7, 7] = 1
    assert float(gaussian_blur(delta, torch.tensor([1.0])).sum()) == pytest.approx(1.0, abs=1e-6)


def test_factor_baseline_is_the_error_of_answering_the_mean():
    f = _faces(400)
    D = {"train": f, "test": f}
    t = factor_targets(f["factors"])
    assert dt.factor_mae_baseline(D) == pytest.approx(float((t - t.mean(0)).abs().mean()))
    # uniform targets in [0, 1]: the mean absolute deviation from the middle is 1/4
    assert 0.2 < dt.factor_mae_baseline(D) < 0.35


def test_length_findings_lead_with_what_the_longer_run_moves_and_what_has_settled():
    from vaelab.chapters.domain_translation import length

    def curve(add, remove):
        its = (500, length.BOOK, 5000, 10_000, 5 * length.BOOK)
        return {"record": {"curve": [{"iter": i, "add_success": a, "remove_success": r, "recon_mse": 0.01}
                                     for i, a, r in zip(its, add, remove)]}}

    # added: 70 at the book's length -> 75 at the end, last three within 4.3; removed 95 -> 97.7, within 0.3
    beard = curve((60, 70, 79.3, 78.1, 75.0), (70, 95.0, 98.0, 97.7, 97.7))
    text = length.findings({"beard": beard})
    assert text.startswith("Training 5 times longer raises how often the judge sees facial hair added and removed, "
                           "and only the removal rate has settled. The curve for the glasses is not committed yet, "
                           "so its verdicts stand on the book's length. Beard: from the book's 3,000 iterations")
    assert "added on 70.0 → 75.0 % of faces and removed on 95.0 → 97.7 %" in text
    flat = curve((50, 80, 80.5, 81.0, 81.5), (50, 90, 90, 89.5, 89.0))
    lead = length.findings({"glasses": flat, "beard": beard}).split(". ")[0]
    assert lead == ("Training 5 times longer barely changes how often the judge sees the glasses added and removed, "
                    "and both rates have settled; it raises how often the judge sees facial hair added and removed, "
                    "and only the removal rate has settled")
    falling = curve((50, 80, 60, 50, 40), (50, 90, 91, 91, 91))
    assert length.findings({"glasses": falling, "beard": beard}).startswith(
        "Training 5 times longer lowers how often the judge sees the glasses added and barely changes how often it "
        "sees the glasses removed, and only the removal rate has settled;")
