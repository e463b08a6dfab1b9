"""ad.distributions side by side with torch.distributions: gradients that reach every
parameter that requires grad, the supports PyTorch accepts, and the ``mode``, ``cdf``
and ``icdf`` PyTorch has."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import distributions as D

RNG = np.random.default_rng(11)


def test_binomial_total_count_that_requires_grad_gets_its_gradient():
    # log_prob was cut from total_count (requires_grad=False), silently; PyTorch keeps it.
    n = ad.tensor([3.0, 5.0], requires_grad=True)
    log_p = D.Binomial(n, probs=0.3).log_prob([1.0, 2.0])
    assert log_p.requires_grad
    # (No finite differences: a count that is not whole is refused.)  d/dn of
    # log C(n, k) + n log(1 - p) is digamma(n + 1) - digamma(n - k + 1) + log(1 - p).
    log_p.sum().backward()
    digamma = ad.special.digamma
    expected = digamma([4.0, 6.0]).data - digamma([3.0, 4.0]).data + np.log(0.7)
    np.testing.assert_allclose(n.grad, expected, rtol=1e-12)
    torch = pytest.importorskip("torch")
    tn = torch.tensor([3.0, 5.0], dtype=torch.float64, requires_grad=True)
    torch.distributions.Binomial(tn, probs=torch.tensor(0.3, dtype=torch.float64)).log_prob(
        torch.tensor([1.0, 2.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(n.grad, tn.grad.numpy(), rtol=1e-12)


def test_binomial_total_count_that_requires_grad_is_still_checked():
    with pytest.raises(ValueError, match="Binomial: total_count must be whole numbers"):
        D.Binomial(ad.tensor(2.5, requires_grad=True), probs=0.5)


@pytest.mark.parametrize("alpha, expected", [(1.0, np.log(2.0)), (2.0, -np.inf),
                                             (0.5, np.inf)])
def test_gamma_log_prob_at_zero_is_pytorchs(alpha, expected):
    # 0 is in PyTorch's support of Gamma (and Chi2); it was refused, though
    # Exponential(2).log_prob(0), the same density, answered log 2.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert D.Gamma(alpha, 2.0).log_prob(0.0).item() == expected
        assert D.Chi2(2 * alpha).log_prob(0.0).item() == D.Gamma(alpha, 0.5).log_prob(0.0).item()
    concentration = ad.tensor(1.0, requires_grad=True)
    D.Gamma(concentration, 2.0).log_prob(0.0).backward()
    assert np.isfinite(concentration.grad)


@pytest.mark.parametrize("make, value", [(lambda: D.Beta(2.0, 1.5), [0.25, 0.5]),
                                         (lambda: D.Poisson(1.5), [0.0, 3.0]),
                                         (lambda: D.Binomial(3.0, probs=0.3), [0.0, 2.0])])
def test_log_prob_of_a_list_is_that_of_its_array(make, value):
    # Beta, Poisson and Binomial raised "unsupported operand" on a list (1 - [..]).
    np.testing.assert_array_equal(make().log_prob(value).data,
                                  make().log_prob(ad.tensor(value)).data)
