"""Sample-based entropy and KL (Kozachenko–Leonenko) against closed forms."""
import math

import pytest
import torch

from vaelab.metrics.divergence import kl_to_standard_normal, knn_entropy


def gaussian_entropy(cov: torch.Tensor) -> float:
    d = cov.shape[0]
    return 0.5 * (d * (1 + math.log(2 * math.pi)) + torch.logdet(cov).item())


def test_entropy_of_a_correlated_gaussian():
    g = torch.Generator().manual_seed(0)
    cov = torch.tensor([[1.0, 0.8], [0.8, 2.0]])
    x = torch.randn(6000, 2, generator=g) @ torch.linalg.cholesky(cov).T
    assert abs(knn_entropy(x).item() - gaussian_entropy(cov)) < 0.05


def test_entropy_of_a_uniform_square_is_log_area():
    g = torch.Generator().manual_seed(1)
    x = 3.0 * torch.rand(6000, 2, generator=g)  # area 9
    # boundary effects bias the estimate up slightly; it is still within 0.05 nats
    assert abs(knn_entropy(x).item() - math.log(9.0)) < 0.05


def test_entropy_in_one_and_three_dimensions():
    g = torch.Generator().manual_seed(2)
    for d, s in ((1, 0.3), (3, 2.0)):
        x = s * torch.randn(6000, d, generator=g)
        assert abs(knn_entropy(x).item() - gaussian_entropy(s ** 2 * torch.eye(d))) < 0.06


def test_kl_to_standard_normal_matches_the_closed_form_per_leading_index():
    g = torch.Generator().manual_seed(3)
    mu = torch.tensor([[0.0, 0.0], [1.5, -0.5], [0.2, 0.1]])
    sd = torch.tensor([[1.0, 1.0], [0.3, 0.8], [0.05, 0.1]])
    z = mu[:, None] + sd[:, None] * torch.randn(3, 5000, 2, generator=g)
    closed = 0.5 * (mu ** 2 + sd ** 2 - 2 * sd.log() - 1).sum(-1)
    est = kl_to_standard_normal(z)
    assert est.shape == (3,)
    assert torch.allclose(est.float(), closed, atol=0.06), (est, closed)


def test_a_wider_sample_has_more_entropy():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(3000, 2, generator=g)
    assert knn_entropy(2 * x) - knn_entropy(x) == pytest.approx(2 * math.log(2), abs=1e-9)  # exact: scaling


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="k must be"):
        knn_entropy(torch.randn(5, 2), k=5)
    with pytest.raises(ValueError, match="shape"):
        knn_entropy(torch.randn(5))
    with pytest.raises(ValueError, match="duplicate"):
        knn_entropy(torch.zeros(10, 2))
