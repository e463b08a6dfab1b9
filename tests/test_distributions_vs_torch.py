"""ad.distributions side by side with torch.distributions: gradients that reach every
parameter that requires grad, the supports PyTorch accepts, and the ``mode``, ``cdf``
and ``icdf`` PyTorch has."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import distributions as D
from autodiff.gradcheck import gradcheck, gradgradcheck

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


def _mode_cases():
    """(name, constructor arguments): the edge cases of each mode's formula."""
    conc = np.array([[0.5, 0.7, 0.2], [2.0, 3.0, 1.0], [1.0, 1.0, 1.0], [0.5, 2.0, 3.0],
                     [1.0, 0.5, 1.0]])
    return [("Normal", (np.array([0.5, -1.0]), 2.0)), ("Laplace", (np.array([0.5, -1.0]), 2.0)),
            ("Cauchy", (np.array([0.5]), 2.0)), ("Gumbel", (np.array([0.5]), 2.0)),
            ("LogNormal", (np.array([0.5, -1.0]), np.array([2.0, 0.1]))),
            ("HalfNormal", (np.array([2.0, 1.0]),)), ("StudentT", (np.array([0.5, 3.0]),)),
            ("Uniform", (np.array([0.0, 1.0]), 2.0)), ("Exponential", (np.array([2.0]),)),
            ("Gamma", (np.array([0.5, 1.0, 3.0]), 2.0)), ("Chi2", (np.array([1.0, 2.0, 5.0]),)),
            ("Beta", (np.array([1.0, 0.5, 2.0, 0.5, 3.0, 1.0]),
                      np.array([1.0, 0.5, 0.5, 2.0, 2.0, 0.5]))),
            ("Dirichlet", (conc,)), ("Poisson", (np.array([0.0, 2.0, 2.5]),)),
            ("MultivariateNormal", (np.array([1.0, 2.0]), np.eye(2)))]


@pytest.mark.parametrize("name, args", _mode_cases(), ids=lambda c: c if isinstance(c, str) else "")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mode_is_pytorchs(name, args, dtype):
    torch = pytest.importorskip("torch")
    ours = getattr(D, name)(*[ad.tensor(np.asarray(a, dtype)) for a in args]).mode
    theirs = getattr(torch.distributions, name)(*[torch.tensor(np.asarray(a, dtype))
                                                   for a in args]).mode
    assert ours.dtype == dtype
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name, kwargs", [
    ("Bernoulli", {"probs": [0.2, 0.5, 0.7]}), ("Bernoulli", {"logits": [-1.0, 0.0, 2.0]}),
    ("Geometric", {"probs": [0.2, 1.0]}),
    ("Binomial", {"total_count": 4.0, "probs": [0.0, 0.5, 1.0, 0.3]}),
    ("Categorical", {"probs": [[0.2, 0.5, 0.3], [0.4, 0.2, 0.4]]}),
    ("OneHotCategorical", {"logits": [[0.2, 0.5, 0.3], [0.4, 0.2, 0.4]]})])
def test_discrete_mode_is_pytorchs(name, kwargs):
    torch = pytest.importorskip("torch")
    ours = getattr(D, name)(**{k: ad.tensor(v) for k, v in kwargs.items()}).mode
    theirs = getattr(torch.distributions, name)(
        **{k: torch.tensor(v, dtype=torch.float64) for k, v in kwargs.items()}).mode
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_mode_gradients_and_independent_mode():
    gradcheck(lambda loc, scale: D.LogNormal(loc, scale).mode.sum(),
              [np.array([0.5, -1.0]), np.array([0.7, 1.3])])
    gradgradcheck(lambda alpha, rate: D.Gamma(alpha, rate).mode.sum(),
                  [np.array([1.5, 3.0]), np.array([0.7, 2.0])])
    gradcheck(lambda alpha: D.Dirichlet(alpha).mode.sum(-1)[0] + D.Dirichlet(alpha).mode[1, 1],
              [np.array([[1.5, 3.0, 2.0], [0.5, 0.7, 0.2]])])
    gradcheck(lambda a, b: D.Beta(a, b).mode.sum(), [np.array([1.5, 3.0]), np.array([2.5, 4.0])])
    alpha = ad.tensor([[0.5, 0.7], [1.0, 1.0]], requires_grad=True)
    D.Dirichlet(alpha).mode.sum().backward()
    assert np.isfinite(alpha.grad).all()                  # no 0 / 0 in the gradient
    normals = D.Normal(np.arange(6.0).reshape(2, 3), 1.0)
    np.testing.assert_array_equal(D.Independent(normals, 1).mode.data, normals.mode.data)


def test_modes_read_each_calls_parameters_in_a_compiled_step():
    def step(x):
        return (D.Dirichlet(ad.exp(x)).mode, D.Bernoulli(logits=x).mode,
                D.Categorical(logits=x).mode, D.Beta(ad.exp(x), 1.5).mode)

    compiled = ad.compile(step)
    data = np.random.default_rng(5)
    for shape in [(3, 4), (3, 4), (3, 4), (2, 5)]:
        x = data.normal(size=shape)
        x[0, 0] = 0.0                                    # a Bernoulli tie: NaN
        for ours, eager in zip(compiled(x), step(x)):
            np.testing.assert_array_equal(ours.data, eager.data)


def _cdf_cases():
    """(name, parameters, values in the support), batch shapes that broadcast."""
    data = np.random.default_rng(3)
    loc, scale = data.normal(size=(2, 3)), data.uniform(0.5, 2.0, 3)
    real, positive = data.normal(size=(4, 2, 3)), data.uniform(0.1, 3.0, (4, 2, 3))
    return [("Normal", (loc, scale), real), ("Laplace", (loc, scale), real),
            ("Cauchy", (loc, scale), real), ("Gumbel", (loc, scale), real),
            ("LogNormal", (loc, scale), positive), ("HalfNormal", (scale,), positive),
            ("Uniform", (data.uniform(-2, -1, 3), data.uniform(1, 2, (2, 3))),
             data.uniform(-1, 1, (4, 2, 3))),
            ("Exponential", (scale,), positive)]


@pytest.mark.parametrize("name, params, values", _cdf_cases(),
                         ids=[case[0] for case in _cdf_cases()])
def test_cdf_and_icdf_are_pytorchs_and_inverse_of_each_other(name, params, values):
    dist = getattr(D, name)(*[ad.tensor(p) for p in params])
    probs = np.random.default_rng(4).uniform(0.01, 0.99, values.shape)
    cdf, icdf = dist.cdf(values), dist.icdf(probs)
    assert cdf.shape == icdf.shape == values.shape
    np.testing.assert_allclose(dist.icdf(cdf).data, values, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dist.cdf(icdf).data, probs, rtol=1e-9)
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.distributions, name)(*[torch.tensor(p) for p in params])
    np.testing.assert_allclose(cdf.data, theirs.cdf(torch.tensor(values)).numpy(), rtol=1e-10)
    np.testing.assert_allclose(icdf.data, theirs.icdf(torch.tensor(probs)).numpy(), rtol=1e-10)


@pytest.mark.parametrize("name, params, values", _cdf_cases(),
                         ids=[case[0] for case in _cdf_cases()])
def test_cdf_and_icdf_gradients_match_finite_differences(name, params, values):
    probs = np.random.default_rng(5).uniform(0.05, 0.95, values.shape)
    make = getattr(D, name)
    gradgradcheck(lambda v, *p: make(*p).cdf(v).sum(), [values[:2, :1], *params])
    gradgradcheck(lambda q, *p: make(*p).icdf(q).sum(), [probs[:2, :1], *params])


@pytest.mark.parametrize("name, params, values", _cdf_cases(),
                         ids=[case[0] for case in _cdf_cases()])
def test_cdf_and_icdf_keep_float32_and_reach_the_ends_silently(name, params, values):
    dist = getattr(D, name)(*[ad.tensor(np.float32(p)) for p in params])
    assert dist.cdf(values.astype(np.float32)).dtype == np.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ends = dist.icdf(np.array([0.0, 1.0], np.float32)[:, None, None]).data
    assert ends.dtype == np.float32
    assert (ends[0] <= ends[1]).all()
    if name == "Gumbel":
        # PyTorch's Gumbel transforms a Uniform(tiny, 1 - eps): finite ends, as ours.
        assert np.isfinite(ends).all()
    elif name != "Uniform":
        # The exact ends: PyTorch's float32 Cauchy gives +2.3e7 at 0 and -2.3e7 at 1
        # (tan of π (p - ½) rounded past ±π/2).
        assert np.isinf(ends[1]).all()
        assert (ends[0] == (0 if name in ("LogNormal", "HalfNormal", "Exponential")
                            else -np.inf)).all()
    with pytest.raises(ValueError, match=rf"{name}.icdf: values must be probabilities in "
                                         r"\[0, 1\]; got 1.5"):
        dist.icdf(1.5)


def test_cdf_refuses_values_outside_the_support_as_log_prob_does():
    with pytest.raises(ValueError, match=r"Exponential.cdf: values must be ≥ 0 \(the support\)"):
        D.Exponential(1.0).cdf(-1.0)
    with pytest.raises(ValueError, match=r"LogNormal.cdf: values must be > 0"):
        D.LogNormal(0.0, 1.0).cdf(0.0)
    with pytest.raises(ValueError, match=r"Normal.cdf: values must be real numbers, not NaN"):
        D.Normal(0.0, 1.0).cdf(np.nan)
    np.testing.assert_array_equal(D.Uniform(0.0, 2.0).cdf([-1.0, 1.0, 3.0]).data,
                                  [0.0, 0.5, 1.0])     # as a cdf is, outside [low, high]


def test_cdf_and_icdf_read_each_calls_values_in_a_compiled_step():
    def step(loc, x, p):
        return (D.Normal(loc, 2.0).cdf(x), D.Gumbel(loc, 2.0).icdf(p),
                D.Exponential(ad.exp(loc)).icdf(p), D.Cauchy(loc, 1.0).icdf(ad.sigmoid(x)))

    compiled = ad.compile(step)
    data = np.random.default_rng(6)
    for n in (3, 3, 5):
        args = data.normal(size=n), data.normal(size=n), data.uniform(size=n)
        for ours, eager in zip(compiled(*args), step(*args)):
            np.testing.assert_allclose(ours.data, eager.data, rtol=1e-13)
    with pytest.raises(ValueError, match="Gumbel.icdf: values must be probabilities"):
        compiled(np.zeros(3), np.zeros(3), np.full(3, 2.0))


def test_cauchy_icdf_slope_at_the_median():
    # d/dp of loc + scale tan(π (p - ½)) at p = ½ is π scale.
    p = ad.tensor(0.5, requires_grad=True)
    D.Cauchy(1.0, 2.0).icdf(p).backward()
    assert p.grad == pytest.approx(2 * np.pi, rel=1e-12)


def test_normal_cdf_gradients_are_autograds():
    agrad = pytest.importorskip("autograd")
    norm = pytest.importorskip("autograd.scipy.stats.norm")
    x, loc = np.array([-3.0, 0.2, 4.0]), np.array([0.5, -1.0, 1.0])
    scale = np.array([0.7, 2.0, 1.5])
    args = [ad.tensor(a, requires_grad=True) for a in (x, loc, scale)]
    D.Normal(args[1], args[2]).cdf(args[0]).sum().backward()
    for k, arg in enumerate(args):
        expected = agrad.grad(lambda *a: norm.cdf(*a).sum(), k)(x, loc, scale)
        np.testing.assert_allclose(arg.grad, expected, rtol=1e-12)


_FLOAT32_CASES = [
    (lambda f: D.Normal(f(0), f(1)), [1, 2]), (lambda f: D.LogNormal(f(0), f(1)), [1, 2]),
    (lambda f: D.Laplace(f(0), f(1)), [1, 2]), (lambda f: D.StudentT(f(3)), [1, 2]),
    (lambda f: D.Exponential(f(1)), [1, 2]), (lambda f: D.Gamma(f(2), f(1)), [1, 2]),
    (lambda f: D.Beta(f(2), f(1)), [0, 1]), (lambda f: D.Poisson(f(1)), [1, 2]),
    (lambda f: D.Geometric(probs=f(0.3)), [1, 2]), (lambda f: D.Binomial(3, probs=f(0.3)), [1, 2]),
    (lambda f: D.Bernoulli(probs=f(0.3)), [True, False]),
    (lambda f: D.Dirichlet(np.ones(2, f)), [[0, 1]]),
    (lambda f: D.MultivariateNormal(np.zeros(2, f), np.eye(2, dtype=f)), [[0, 1]])]


@pytest.mark.parametrize("make, values", _FLOAT32_CASES)
def test_integer_values_keep_float32_parameters_float32(make, values):
    # NumPy made int64 values with float32 parameters float64; PyTorch keeps float32.
    dist32, dist64 = make(np.float32), make(np.float64)
    for convert in (np.array, ad.tensor):
        log_p = dist32.log_prob(convert(values))
        assert log_p.dtype == np.float32
        np.testing.assert_allclose(log_p.data, dist64.log_prob(values).data, rtol=1e-6)
    if hasattr(dist32, "cdf"):
        assert dist32.cdf(np.array([1, 2])).dtype == np.float32


def test_integer_values_are_read_at_each_call_in_a_compiled_step():
    def step(loc, counts):
        return D.Normal(loc, 1.0).log_prob(counts), D.Poisson(ad.exp(loc)).log_prob(counts)

    compiled = ad.compile(step)
    data = np.random.default_rng(8)
    for n in (3, 3, 4):
        loc, counts = data.normal(size=n).astype(np.float32), data.integers(0, 5, n)
        for ours, eager in zip(compiled(loc, counts), step(loc, counts)):
            assert ours.dtype == np.float32
            np.testing.assert_allclose(ours.data, eager.data, rtol=1e-6)
