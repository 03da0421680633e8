"""The toy chapter's verdicts (vaelab.chapters.toy_csvae): on per-seed results whose answer is known, the findings
and the adversary's sentence open with one plain sentence that says it, the numbers after it."""
import math

from vaelab import runs
from vaelab.chapters import toy_csvae as toy


def toy_results(z, noadv, w=0.57, mi_x=0.565, h_y=0.577, bce=None):
    """Per-seed metrics: CSVAE's I(y;w) = w and I(y;z) = z[i], CSVAE-noadv's I(y;z) = noadv[i]; the VAE and
    CondVAE-info fixed; the adversary's last cross-entropy ``bce`` nats where given."""
    R = runs.Results()
    R.extra["data"] = {}
    for i, (zi, ni) in enumerate(zip(z, noadv)):
        R.extra["data"][i] = {"metrics": {"h_y": h_y, "mi_x": mi_x}}
        R[("VAE", i)] = {"metrics": {"mi_z": 0.5}}
        R[("CondVAE-info", i)] = {"metrics": {"mi_z": 0.06}}
        R[("CSVAE", i)] = {"metrics": {"mi_w": w, "mi_z": zi},
                           "record": {"history": [{"adversary/bce": 0.0 if bce is None else bce}]}}
        R[("CSVAE-noadv", i)] = {"metrics": {"mi_z": ni}}
    return R


def first_sentence(text):
    lead, _, rest = text.partition(". ")
    return lead + ".", rest


def test_findings_lead_states_the_verdict_in_each_case():
    cases = [
        ((0.10, 0.12, 0.11), (0.105, 0.125, 0.115), {},
         "The CSVAE's w holds the label, but its z keeps part of it, and at this training length the adversary "
         "makes no measurable difference."),
        ((0.10, 0.12, 0.11), (0.30, 0.31, 0.32), {},
         "The CSVAE's w holds the label, but its z keeps part of it, and the adversary measurably lowers what z "
         "keeps."),
        ((0.30, 0.31, 0.32), (0.10, 0.12, 0.11), {},
         "The CSVAE's w holds the label, but its z keeps most of it, and against the paper's argument z keeps more "
         "with the adversary than without."),
        ((0.001, 0.002, 0.003), (0.001, 0.003, 0.002), {},
         "The CSVAE's w holds the label, while its z is all but free of it, and at this training length the "
         "adversary makes no measurable difference."),
        ((0.10, 0.12, 0.11), (0.105, 0.125, 0.115), {"w": 0.2},
         "The CSVAE's w holds only part of the label, but its z keeps part of it, and at this training length the "
         "adversary makes no measurable difference."),
        ((0.11,), (0.15,), {},
         "The CSVAE's w holds the label, but its z keeps part of it, and whether the adversary changes that cannot "
         "be tested with fewer than two seeds."),
    ]
    for z, noadv, kw, want in cases:
        lead, rest = first_sentence(toy.findings(toy_results(z, noadv, **kw)))
        assert lead == want
        assert not any(c in lead for c in "0123456789±()")


def test_findings_keep_the_numbers_after_the_lead():
    text = toy.findings(toy_results((0.10, 0.12, 0.11), (0.30, 0.31, 0.32)))
    _, rest = first_sentence(text)
    assert rest.startswith("The label carries H(y) = 0.577 bits, and a probe reads 0.565 of them off x itself. "
                           "A probe reads 0.570 bits off CSVAE's w and 0.110 ± 0.010 off its z; the VAE's single "
                           "latent gives away 0.500. Without the adversary z holds 0.310 ± 0.010 bits, more than the "
                           "full CSVAE (Welch p = ")
    assert rest.endswith("The lowest mean label information in z is CondVAE-info's (0.060 bits).")


def test_adversary_sentence_lead_says_how_much_the_adversary_reads():
    h_nats = 0.577 * math.log(2)
    for bce, want in [(0.321, "The adversary itself still reads part of the label off z, so the adversarial term "
                              "is active, yet the encoder leaves that information in place."),
                      (0.05, "The adversary itself still reads most of the label off z, so the adversarial term "
                             "is active, yet the encoder leaves that information in place."),
                      (h_nats, "The adversary reads almost nothing off z.")]:
        text = toy.adversary_sentence(toy_results((0.1, 0.1), (0.1, 0.1), bce=bce))
        lead, rest = first_sentence(text)
        assert lead == want
        assert rest.startswith(f"At the end of training the adversary's cross-entropy is {bce:.3f} nats against "
                               f"the label's entropy of {h_nats:.3f} nats")
    text = toy.adversary_sentence(toy_results((0.1, 0.1), (0.1, 0.1), bce=0.321))
    assert text.endswith(f"so it reads about {(h_nats - 0.321) / math.log(2):.3f} bits off z.")
