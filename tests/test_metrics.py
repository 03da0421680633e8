"""Probes and the mutual-information bound on representations whose answer is known."""
import math

import torch

from vaelab.metrics.mi import ba_lower_bound, entropy_bits
from vaelab.metrics.probes import train_probe


def test_entropy_bits():
    assert math.isclose(entropy_bits(torch.tensor([0, 1, 0, 1])), 1.0)
    assert math.isclose(entropy_bits(torch.tensor([3, 3, 3])), 0.0, abs_tol=1e-12)
    assert math.isclose(entropy_bits(torch.arange(8)), 3.0)


def test_ba_bound_perfect_and_uninformed():
    y = torch.tensor([0, 1] * 50)
    perfect = torch.stack([(y == 0).float(), (y == 1).float()], 1) * 50.0
    assert math.isclose(ba_lower_bound(perfect, y), 1.0, abs_tol=1e-6)
    uniform = torch.zeros(100, 2)  # predicts the marginal exactly: bound = 0
    assert math.isclose(ba_lower_bound(uniform, y), 0.0, abs_tol=1e-9)


def _labels(n, p, seed):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, generator=g) < p).long(), g


def test_probe_reads_a_copied_label_and_not_noise():
    y_tr, g = _labels(2000, 0.3, 0)
    y_te, _ = _labels(2000, 0.3, 1)
    h = entropy_bits(y_te)
    # the label itself (plus a noise coordinate): accuracy 1, I(y; z) = H(y)
    z_tr = torch.stack([y_tr.float(), torch.randn(2000, generator=g)], 1)
    z_te = torch.stack([y_te.float(), torch.randn(2000, generator=g)], 1)
    p = train_probe(z_tr, y_tr, z_te, y_te, steps=200)
    assert p.accuracy == 1.0 and abs(p.mi_bits - h) < 0.02
    # pure noise: accuracy at the majority rate, I(y; z) about 0
    n_tr, n_te = torch.randn(2000, 2, generator=g), torch.randn(2000, 2, generator=g)
    q = train_probe(n_tr, y_tr, n_te, y_te, steps=200, hidden=0)
    assert abs(q.accuracy - (1 - y_te.float().mean())) < 0.03 and abs(q.mi_bits) < 0.02
    assert abs(q.majority - 0.7) < 0.03


def test_probe_needs_matching_lengths():
    import pytest
    with pytest.raises(ValueError, match="differ in length"):
        train_probe(torch.zeros(5, 2), torch.zeros(4), torch.zeros(3, 2), torch.zeros(3))


def test_nearest_angle_error_known_answers():
    """Codes on the unit circle read the angle to within the reference spacing; codes independent of the angle
    read it at the circle's mean random error, 90 degrees; identical codes give the first reference's angle."""
    import pytest

    from vaelab.metrics.probes import nearest_angle_error
    gen = torch.Generator().manual_seed(0)
    a_ref, a = torch.rand(3600, generator=gen) * 2 * math.pi, torch.rand(2000, generator=gen) * 2 * math.pi
    circle = lambda t: torch.stack([t.cos(), t.sin()], 1)  # noqa: E731
    assert nearest_angle_error(circle(a_ref), a_ref, circle(a), a) < 0.2   # spacing 0.1 degrees on average
    assert nearest_angle_error(4 * circle(a_ref), a_ref, 4 * circle(a), a) < 0.2  # any scale
    noise = lambda n: torch.randn(n, 8, generator=gen)  # noqa: E731
    assert nearest_angle_error(noise(3600), a_ref, noise(2000), a) == pytest.approx(90, abs=3)
    # one code for every input: every query reads the first reference's angle (a = pi/2 from it: 90 degrees)
    same = nearest_angle_error(torch.zeros(3, 4), torch.tensor([0.0, 1.0, 2.0]), torch.zeros(2, 4),
                               torch.tensor([math.pi / 2, 2 * math.pi - math.pi / 2]))
    assert same == pytest.approx(90)
    with pytest.raises(ValueError, match="differ in length"):
        nearest_angle_error(torch.zeros(3, 2), torch.zeros(2), torch.zeros(1, 2), torch.zeros(1))
    with pytest.raises(ValueError, match="numbers"):
        nearest_angle_error(torch.zeros(3, 2), torch.zeros(3), torch.zeros(1, 3), torch.zeros(1))
