"""Distribution.expand against torch.distributions: the expanded distribution's
shapes, log_prob, entropy, mean, variance and stddev, its samples (the same draws as a
distribution built with the broadcast parameters), gradients that reach the original
parameters, the errors of an incompatible shape, and TransformedDistribution's base
broadcast along a size-1 batch axis."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import distributions as D
from autodiff.distributions import transforms as T


def _value(t):
    return np.asarray(t.data if isinstance(t, ad.Tensor) else t)


def _cases(d, tensor):
    """(distribution with batch_shape (1,) or (2,), the batch_shape to expand to)."""
    return [(d.Normal(tensor([0.5]), tensor([2.0])), (3, 1)),
            (d.Normal(tensor([0.5]), tensor([2.0])), (2, 4)),
            (d.Bernoulli(probs=tensor([0.3])), (3,)),
            (d.Categorical(probs=tensor([[0.2, 0.3, 0.5]])), (2, 3)),
            (d.Uniform(tensor([-1.0, 0.0]), tensor([2.0, 1.0])), (3, 2)),
            (d.Exponential(tensor([1.5])), (4,)),
            (d.Laplace(tensor([0.0]), tensor([1.5])), (3,)),
            (d.LogNormal(tensor([0.2]), tensor([0.7])), (3,)),
            (d.HalfNormal(tensor([1.3])), (3,)),
            (d.Cauchy(tensor([0.0]), tensor([1.0])), (3,)),
            (d.Gumbel(tensor([0.1]), tensor([1.2])), (3,)),
            (d.StudentT(tensor([3.0]), tensor([0.5]), tensor([2.0])), (3,)),
            (d.Poisson(tensor([2.0])), (3,)),
            (d.Geometric(tensor([0.3])), (3,)),
            (d.Binomial(tensor([5.0]), tensor([0.3])), (3,)),
            (d.OneHotCategorical(tensor([[0.2, 0.8]])), (3,)),
            (d.MultivariateNormal(tensor([[0.0, 1.0]]), tensor([[1.0, 0.2], [0.2, 1.0]])),
             (3,)),
            (d.Independent(d.Normal(tensor([[0.0, 1.0]]), tensor(1.5)), 1), (3,)),
            (d.Gamma(tensor([2.0]), tensor([1.5])), (3,)),
            (d.Chi2(tensor([3.0])), (3,)),
            (d.Beta(tensor([1.5]), tensor([2.0])), (3,)),
            (d.Dirichlet(tensor([[1.0, 2.0, 0.5]])), (3,)),
            (d.LogisticNormal(tensor([[0.3, -0.2]]), tensor(1.0)), (3,)),
            (d.RelaxedBernoulli(tensor(0.7), probs=tensor([0.3])), (3,))]


def _ids():
    return [f"{type(d).__name__}-{shape}" for d, shape in
            _cases(D, lambda v: ad.tensor(np.asarray(v, dtype=np.float64)))]


def _call(f):
    """``f()``, or the type of the NotImplementedError it raises (no closed form)."""
    try:
        return f()
    except NotImplementedError:
        return NotImplementedError


@pytest.mark.parametrize("index", range(len(_ids())), ids=_ids())
def test_expanded_distribution_matches_torchs(index):
    torch = pytest.importorskip("torch")
    ours, shape = _cases(D, lambda v: ad.tensor(np.asarray(v, dtype=np.float64)))[index]
    theirs, _ = _cases(torch.distributions,
                       lambda v: torch.tensor(v, dtype=torch.float64))[index]
    ours, theirs = ours.expand(shape), theirs.expand(shape)
    name = type(ours).__name__
    assert type(ours) is getattr(D, name)
    assert ours.batch_shape == tuple(theirs.batch_shape) == shape, name
    assert ours.event_shape == tuple(theirs.event_shape), name
    torch.manual_seed(0)
    value = theirs.sample((2,))
    assert ours.sample((2,), rng=0).shape == tuple(value.shape)
    np.testing.assert_allclose(_value(ours.log_prob(value.numpy())),
                               theirs.log_prob(value).numpy(), rtol=1e-10, err_msg=name)
    for what in ("mean", "variance", "stddev"):
        mine, ref = _call(lambda: getattr(ours, what)), _call(lambda: getattr(theirs, what))
        if ref is NotImplementedError:
            assert mine is NotImplementedError, (name, what)
        else:
            np.testing.assert_allclose(_value(mine), ref.numpy(), rtol=1e-10,
                                       err_msg=f"{name}.{what}")
            assert _value(mine).shape == tuple(ref.shape)
    mine, ref = _call(ours.entropy), _call(theirs.entropy)
    if ref is NotImplementedError:
        assert mine is NotImplementedError, name
    else:
        np.testing.assert_allclose(_value(mine), ref.numpy(), rtol=1e-10, err_msg=name)
        np.testing.assert_allclose(_value(ours.perplexity()), theirs.perplexity().numpy(),
                                   rtol=1e-10, err_msg=name)


def _same_draws_cases():
    """(expanded distribution, the one built from the broadcast parameters)."""
    loc, scale = np.array([0.5]), np.array([2.0])
    conc = np.array([[1.0, 2.0, 0.5]])
    cov = np.array([[1.0, 0.2], [0.2, 1.0]])
    return [(D.Normal(loc, scale).expand((3, 2)), D.Normal(np.full((3, 2), 0.5), 2.0)),
            (D.Gamma(np.array([2.0]), 1.5).expand((4,)), D.Gamma(np.full(4, 2.0), 1.5)),
            (D.Dirichlet(conc).expand((2, 3)), D.Dirichlet(np.broadcast_to(conc, (2, 3, 3)))),
            (D.Categorical(probs=conc).expand((3,)),
             D.Categorical(probs=np.broadcast_to(conc, (3, 3)))),
            (D.MultivariateNormal(np.zeros((1, 2)), cov).expand((3,)),
             D.MultivariateNormal(np.zeros((3, 2)), cov)),
            (D.Independent(D.Normal(np.zeros((1, 2)), 1.0), 1).expand((3,)),
             D.Independent(D.Normal(np.zeros((3, 2)), 1.0), 1)),
            (D.LogisticNormal(np.zeros((1, 2)), 1.0).expand((3,)),
             D.LogisticNormal(np.zeros((3, 2)), 1.0)),
            (D.Bernoulli(probs=np.array([0.3])).expand((5,)),
             D.Bernoulli(probs=np.full(5, 0.3)))]


@pytest.mark.parametrize("expanded, broadcast", _same_draws_cases(),
                         ids=lambda d: type(d).__name__)
def test_expanded_samples_are_those_of_the_broadcast_parameters(expanded, broadcast):
    # The same draws (same rng) as the distribution built from the broadcast
    # parameters: expand changes the shape of the batch and nothing else.
    assert expanded.batch_shape == broadcast.batch_shape
    np.testing.assert_array_equal(_value(expanded.sample((3,), rng=7)),
                                  _value(broadcast.sample((3,), rng=7)))
    if expanded.has_rsample:
        np.testing.assert_array_equal(_value(expanded.rsample((3,), rng=7)),
                                      _value(broadcast.rsample((3,), rng=7)))
    value = broadcast.sample((2,), rng=1)
    np.testing.assert_allclose(_value(expanded.log_prob(value)),
                               _value(broadcast.log_prob(value)), rtol=1e-12)


def test_gradients_through_expand_reach_the_original_parameters():
    torch = pytest.importorskip("torch")
    value = np.array([[0.3, -1.0], [2.0, 0.5], [0.1, 0.0]])

    def log_prob_sum(loc, scale):
        return D.Normal(loc, scale).expand((3, 2)).log_prob(value).sum()

    start = [np.array([0.2]), np.array([1.5])]
    params = [ad.tensor(p, requires_grad=True) for p in start]
    log_prob_sum(*params).backward()
    numeric = ad.numerical_grad(log_prob_sum, start)
    torch_params = [torch.tensor(p, requires_grad=True) for p in start]
    torch.distributions.Normal(*torch_params).expand((3, 2)).log_prob(
        torch.tensor(value)).sum().backward()
    for param, fd, ref in zip(params, numeric, torch_params):
        assert param.grad.shape == (1,)
        np.testing.assert_allclose(param.grad, fd, rtol=1e-7)
        np.testing.assert_allclose(param.grad, ref.grad.numpy(), rtol=1e-12)


def test_rsample_of_an_expanded_distribution_is_differentiable():
    cov = np.array([[1.0, 0.3], [0.3, 2.0]])

    def drawn_sum(loc):
        drawn = D.MultivariateNormal(loc, cov).expand((4,)).rsample((2,), rng=3)
        return (ad.exp(drawn) * np.arange(8.0).reshape(2, 4, 1)).sum()

    start = np.array([[0.4, -0.3]])
    loc = ad.tensor(start, requires_grad=True)
    drawn_sum(loc).backward()
    np.testing.assert_allclose(loc.grad, ad.numerical_grad(drawn_sum, [start])[0],
                               rtol=1e-7)


@pytest.mark.parametrize("shape, message", [
    ((3,), r"Normal.expand: batch_shape \(2,\) cannot be expanded to \(3,\): axis 0 has "
           r"size 2, which must equal 3 or be 1"),
    ((), r"batch_shape \(\) has fewer axes than the distribution's batch_shape \(2,\)"),
    ((2, 3), r"cannot be expanded to \(2, 3\)")])
def test_incompatible_batch_shapes_raise_runtime_error_as_torch(shape, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=message):
        D.Normal(np.zeros(2), 1.0).expand(shape)
    with pytest.raises(RuntimeError):
        torch.distributions.Normal(torch.zeros(2), 1.0).expand(shape)


def test_batch_shape_that_is_not_sizes_raises_type_error():
    with pytest.raises(TypeError, match="Normal.expand: batch_shape must hold non-negative "
                                        "ints"):
        D.Normal(0.0, 1.0).expand((-1,))
    with pytest.raises(TypeError, match="batch_shape must be a tuple of ints"):
        D.Normal(0.0, 1.0).expand(3.0)


def test_expand_fills_the_instance_given_and_keeps_the_original():
    normal = D.Normal(np.zeros(2), 1.0)
    instance = object.__new__(D.Normal)
    assert normal.expand((4, 2)) is not normal
    assert normal.expand((3, 2), _instance=instance) is instance
    assert instance.batch_shape == (3, 2) and instance.loc.shape == (3, 2)
    assert normal.batch_shape == (2,) and normal.loc.shape == (2,)


def test_transformed_distribution_broadcasts_a_base_with_a_size_one_axis():
    # Refused before expand existed; PyTorch expands the base to (2, 3).
    torch = pytest.importorskip("torch")
    shift = np.array([0.0, 1.0, -2.0])
    ours = D.TransformedDistribution(D.Normal(np.zeros((2, 1)), 1.5),
                                     T.AffineTransform(shift, 2.0))
    theirs = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(torch.zeros(2, 1, dtype=torch.float64), 1.5),
        torch.distributions.transforms.AffineTransform(torch.tensor(shift), 2.0))
    assert ours.batch_shape == tuple(theirs.batch_shape) == (2, 3)
    assert ours.base_dist.batch_shape == (2, 3)
    value = theirs.sample((4,))
    np.testing.assert_allclose(_value(ours.log_prob(value.numpy())),
                               theirs.log_prob(value).numpy(), rtol=1e-12)
    assert ours.rsample((4,), rng=0).shape == (4, 2, 3)
    expanded = ours.expand((5, 2, 3))
    assert expanded.base_dist.batch_shape == (5, 2, 3)
    np.testing.assert_allclose(_value(expanded.log_prob(value[:, None].numpy())),
                               theirs.expand((5, 2, 3)).log_prob(value[:, None]).numpy(),
                               rtol=1e-12)


def test_a_compiled_step_with_expand_follows_each_calls_parameters():
    def step(loc, probs, x, counts):
        normal = D.Normal(loc, 1.0).expand((3, 2)).log_prob(x).sum()
        geometric = D.Geometric(probs=probs).expand((4, 2)).log_prob(counts).sum()
        through_exp = D.TransformedDistribution(D.Normal(loc[:, None], 1.0),
                                                T.ExpTransform()).expand((5, 2, 1))
        return normal + geometric + through_exp.log_prob(x[:2, :1] + 1.0).sum()

    compiled = ad.compile(step)
    # probs of 1 (a certain success) make log_prob -inf for counts > 0: a mask read
    # from each call's probs
    for k, probs in enumerate([[0.3, 1.0], [0.5, 0.2], [0.3, 1.0]]):
        loc = ad.tensor(np.array([0.1, 0.2]) * k)
        args = (loc, np.array(probs), np.full((3, 2), float(k)), np.full((4, 2), float(k)))
        np.testing.assert_array_equal(compiled(*args).data, step(*args).data)
