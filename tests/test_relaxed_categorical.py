"""RelaxedOneHotCategorical and ExpRelaxedCategorical against torch.distributions:
log_prob, draws from the same uniform noise (fed to torch's own rsample), rsample
gradients against central finite differences and torch's, expand, and the errors."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import distributions as D
from autodiff.distributions_more import _unit_interval

PROBS = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
LOGITS = np.array([[0.5, -1.0, 2.0], [0.0, 0.3, -0.4]])


def _value(t):
    return np.asarray(t.data if isinstance(t, ad.Tensor) else t)


def _params(given):
    return {"probs": PROBS, "logits": LOGITS}[given]


@pytest.mark.parametrize("given", ["probs", "logits"])
@pytest.mark.parametrize("name", ["RelaxedOneHotCategorical", "ExpRelaxedCategorical"])
def test_log_prob_and_draws_from_the_same_noise_are_torchs(given, name, monkeypatch):
    torch = pytest.importorskip("torch")
    temperature = 0.7
    ours = getattr(D, name)(temperature, **{given: _params(given)})
    from torch.distributions import relaxed_categorical
    theirs = getattr(relaxed_categorical, name)(
        torch.tensor(temperature, dtype=torch.float64),
        **{given: torch.tensor(_params(given))})
    assert ours.batch_shape == tuple(theirs.batch_shape) == (2,)
    assert ours.event_shape == tuple(theirs.event_shape) == (3,)
    assert repr(ours.support) == repr(theirs.support)
    assert {k: repr(v) for k, v in ours.arg_constraints.items()} == \
        {k: repr(v) for k, v in theirs.arg_constraints.items()}
    np.testing.assert_allclose(_value(ours.probs), theirs.probs.numpy(), rtol=1e-12)
    value = theirs.sample((5,))
    np.testing.assert_allclose(_value(ours.log_prob(value.numpy())),
                               theirs.log_prob(value).numpy(), rtol=1e-10)
    # torch's rsample reads torch.rand: give it the uniforms of our rng=4
    uniforms = _unit_interval(4, (5, 2, 3), np.dtype(np.float64))
    monkeypatch.setattr(torch, "rand", lambda *args, **kwargs: torch.tensor(uniforms))
    np.testing.assert_allclose(_value(ours.rsample((5,), rng=4)),
                               theirs.rsample((5,)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(_value(ours.sample((5,), rng=4)),
                               theirs.sample((5,)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("given", ["probs", "logits"])
def test_rsample_gradients_match_finite_differences_and_torch(given, monkeypatch):
    weights = np.arange(6.0).reshape(2, 3)

    def drawn(temperature, params):
        x = D.RelaxedOneHotCategorical(temperature, **{given: params}).rsample((3,), rng=5)
        return (x ** 2 * weights).sum()

    start = [np.array(0.6), _params(given)]
    params = [ad.tensor(p, requires_grad=True) for p in start]
    drawn(*params).backward()
    numeric = ad.numerical_grad(drawn, start)
    for param, fd in zip(params, numeric):
        np.testing.assert_allclose(param.grad, fd, rtol=1e-6, atol=1e-9)
    torch = pytest.importorskip("torch")
    uniforms = _unit_interval(5, (3, 2, 3), np.dtype(np.float64))
    monkeypatch.setattr(torch, "rand", lambda *args, **kwargs: torch.tensor(uniforms))
    torch_params = [torch.tensor(p, requires_grad=True) for p in start]
    x = torch.distributions.RelaxedOneHotCategorical(
        torch_params[0], **{given: torch_params[1]}).rsample((3,))
    (x ** 2 * torch.tensor(weights)).sum().backward()
    for param, ref in zip(params, torch_params):
        np.testing.assert_allclose(param.grad, ref.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_log_prob_gradients_match_finite_differences():
    value = np.array([[0.1, 0.3, 0.6], [0.25, 0.25, 0.5]])

    def log_prob_sum(temperature, logits):
        return D.RelaxedOneHotCategorical(temperature, logits=logits).log_prob(value).sum()

    start = [np.array(0.8), LOGITS]
    params = [ad.tensor(p, requires_grad=True) for p in start]
    log_prob_sum(*params).backward()
    for param, fd in zip(params, ad.numerical_grad(log_prob_sum, start)):
        np.testing.assert_allclose(param.grad, fd, rtol=1e-6, atol=1e-9)


def test_expand_matches_torch():
    torch = pytest.importorskip("torch")
    ours = D.RelaxedOneHotCategorical(0.5, probs=PROBS[:1]).expand((4, 2))
    theirs = torch.distributions.RelaxedOneHotCategorical(
        torch.tensor(0.5, dtype=torch.float64), probs=torch.tensor(PROBS[:1])).expand((4, 2))
    assert ours.batch_shape == tuple(theirs.batch_shape) == (4, 2)
    assert ours.rsample((3,), rng=0).shape == (3, 4, 2, 3)
    value = theirs.sample((3,))
    np.testing.assert_allclose(_value(ours.log_prob(value.numpy())),
                               theirs.log_prob(value).numpy(), rtol=1e-10)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="^RelaxedOneHotCategorical: temperature must be > 0"):
        D.RelaxedOneHotCategorical(0.0, probs=PROBS)
    with pytest.raises(ValueError, match=r"RelaxedOneHotCategorical: temperature of shape "
                                         r"\(2,\) does not broadcast with the logits of "
                                         r"shape \(2, 3\)"):
        D.RelaxedOneHotCategorical(np.array([0.5, 1.0]), probs=PROBS)
    with pytest.raises(ValueError, match="pass exactly one of probs= or logits="):
        D.RelaxedOneHotCategorical(1.0)
    with pytest.raises(ValueError, match=r"ExpRelaxedCategorical.log_prob: values are "
                                         r"vectors of 3 .* got shape \(2, 2\)"):
        D.ExpRelaxedCategorical(1.0, logits=LOGITS).log_prob(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="support Simplex"):
        D.RelaxedOneHotCategorical(1.0, logits=LOGITS).log_prob(np.full((2, 3), 0.5))
