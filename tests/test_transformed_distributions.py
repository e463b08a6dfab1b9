"""TransformedDistribution, LogisticNormal, RelaxedBernoulli and every distribution's
support / arg_constraints: log_prob, shapes, supports, cdf / icdf against PyTorch
(float64), gradients of rsample / log_prob in the parameters against finite
differences and PyTorch, a compiled step against eager, and the errors."""

import numpy as np
import pytest

import autodiff as ad

D = ad.distributions
T = ad.distributions.transforms
C = ad.distributions.constraints
RNG = np.random.default_rng(7)


def _torch():
    return pytest.importorskip("torch")


def _value(t):
    return np.asarray(t.data if isinstance(t, ad.Tensor) else t)


# TransformedDistribution: bases and transforms built from ``d`` (ours or torch's).
def _transformed(d, tensor):
    tt = d.transforms
    return {
        "log_normal": d.TransformedDistribution(d.Normal(tensor([0.3, -0.2]),
                                                         tensor([1.5, 0.7])),
                                                [tt.ExpTransform()]),
        "decreasing_affine": d.TransformedDistribution(
            d.Normal(tensor([0.3, -0.2]), tensor([1.5, 0.7])),
            [tt.AffineTransform(tensor([1.0, 2.0]), -2.0), tt.ExpTransform()]),
        "logit_normal": d.TransformedDistribution(d.Normal(tensor(0.5), tensor(1.2)),
                                                  tt.SigmoidTransform()),
        "tanh_normal_vector": d.TransformedDistribution(
            d.Normal(tensor([0.3, -0.2, 0.1]), tensor([1.5, 0.7, 1.0])),
            [tt.IndependentTransform(tt.TanhTransform(), 1)]),
        "logistic_normal": d.TransformedDistribution(
            d.Normal(tensor([0.3, -0.2, 0.1]), tensor([1.5, 0.7, 1.0])),
            tt.StickBreakingTransform()),
        "affine_event_dim": d.TransformedDistribution(
            d.Normal(tensor([[0.3, -0.2, 0.1]]), tensor([1.5, 0.7, 1.0])),
            tt.AffineTransform(tensor(0.5), tensor([1.0, -2.0, 3.0]), event_dim=1)),
        "new_batch_axes": d.TransformedDistribution(
            d.Normal(tensor(0.0), tensor(1.0)),
            tt.AffineTransform(tensor([1.0, 2.0, 3.0]), tensor(2.0))),
    }


TRANSFORMED = ["log_normal", "decreasing_affine", "logit_normal", "tanh_normal_vector",
               "logistic_normal", "affine_event_dim", "new_batch_axes"]


@pytest.mark.parametrize("name", TRANSFORMED)
def test_transformed_log_prob_and_shapes_against_torch(name):
    torch = _torch()
    ours = _transformed(D, lambda v: ad.tensor(np.array(v, dtype=np.float64)))[name]
    theirs = _transformed(torch.distributions,
                          lambda v: torch.tensor(v, dtype=torch.float64))[name]
    assert ours.batch_shape == tuple(theirs.batch_shape)
    assert ours.event_shape == tuple(theirs.event_shape)
    assert repr(ours.support) == repr(theirs.support)
    value = theirs.sample((5,))
    got = ours.log_prob(ad.tensor(value.numpy()))
    expected = theirs.log_prob(value).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(_value(got), expected, rtol=1e-9)
    drawn = ours.sample((5,), rng=0)
    assert drawn.shape == tuple(value.shape) and not drawn.requires_grad
    assert _value(ours.support.check(drawn)).all()


def _normal_with_transforms(loc, scale, shift, make):
    """A Normal(loc, scale) base pushed through Affine(shift, 1) then ``make()``."""
    return D.TransformedDistribution(D.Normal(loc, scale),
                                     [T.AffineTransform(shift, 1.0), make()])


@pytest.mark.parametrize("make", [T.ExpTransform, T.SigmoidTransform, T.TanhTransform,
                                  T.StickBreakingTransform])
def test_rsample_and_log_prob_gradients_by_finite_differences_and_torch(make):
    torch = _torch()
    tt = torch.distributions.transforms
    loc0, scale0, shift0 = np.array([0.2, -0.4]), np.array([0.8, 1.3]), np.array([0.1, 0.3])

    def rsample_sum(loc, scale, shift):
        d = _normal_with_transforms(loc, scale, shift, make)
        return (d.rsample((3,), rng=4) ** 2).sum()

    def log_prob_sum(loc, scale, shift, value):
        d = _normal_with_transforms(loc, scale, shift, make)
        return d.log_prob(value).sum()

    value = _value(_normal_with_transforms(ad.tensor(loc0), ad.tensor(scale0),
                                           ad.tensor(shift0), make).sample((3,), rng=9))
    eps = D.Normal(0.0, 1.0).sample((3, 2), rng=4).data      # the noise of rsample(rng=4)
    torch_params = [torch.tensor(p, requires_grad=True) for p in (loc0, scale0, shift0)]
    tl, ts, tsh = torch_params
    theirs = tt.ComposeTransform([tt.AffineTransform(tsh, 1.0), make_torch(tt, make)])
    (theirs(tl + ts * torch.tensor(eps)) ** 2).sum().backward()
    torch_rsample_grads = [p.grad.numpy().copy() for p in torch_params]
    for p in torch_params:
        p.grad = None
    td = torch.distributions.TransformedDistribution(torch.distributions.Normal(tl, ts),
                                                     [theirs])
    td.log_prob(torch.tensor(value)).sum().backward()
    torch_log_prob_grads = [p.grad.numpy() for p in torch_params]

    for f, args, expected in [(rsample_sum, (), torch_rsample_grads),
                              (log_prob_sum, (value,), torch_log_prob_grads)]:
        params = [ad.tensor(p.copy(), requires_grad=True) for p in (loc0, scale0, shift0)]
        f(*params, *args).backward()
        numeric = ad.numerical_grad(lambda *ps: f(*ps, *args), [loc0, scale0, shift0])
        for param, fd, ref in zip(params, numeric, expected):
            np.testing.assert_allclose(param.grad, fd, rtol=1e-5, atol=1e-7)
            np.testing.assert_allclose(param.grad, ref, rtol=1e-9, atol=1e-12)


def make_torch(tt, make):
    return getattr(tt, make.__name__)()


@pytest.mark.parametrize("name", ["log_normal", "decreasing_affine", "logit_normal",
                                  "new_batch_axes"])
def test_cdf_and_icdf_of_monotone_transforms_against_torch(name):
    torch = _torch()
    ours = _transformed(D, lambda v: ad.tensor(np.array(v, dtype=np.float64)))[name]
    theirs = _transformed(torch.distributions,
                          lambda v: torch.tensor(v, dtype=torch.float64))[name]
    value = theirs.sample((4,))
    cdf = ours.cdf(ad.tensor(value.numpy()))
    np.testing.assert_allclose(_value(cdf), theirs.cdf(value).numpy(), rtol=1e-9)
    q = np.array([0.1, 0.5, 0.9, 0.99])[:, None] * np.ones(ours.batch_shape)
    np.testing.assert_allclose(_value(ours.icdf(ad.tensor(q))),
                               theirs.icdf(torch.tensor(q)).numpy(), rtol=1e-9)
    np.testing.assert_allclose(_value(ours.cdf(ours.icdf(ad.tensor(q)))), q, rtol=1e-9)


def test_transformed_log_normal_matches_the_lognormal_distribution():
    loc, scale = ad.tensor([0.3, -1.0]), ad.tensor([0.5, 2.0])
    via_transform = D.TransformedDistribution(D.Normal(loc, scale), T.ExpTransform())
    value = np.array([[0.5, 2.0], [1.5, 0.1]])
    np.testing.assert_allclose(_value(via_transform.log_prob(value)),
                               _value(D.LogNormal(loc, scale).log_prob(value)), rtol=1e-12)


def test_transformed_distribution_errors_name_the_problem():
    normal = D.Normal(0.0, 1.0)
    d = D.TransformedDistribution(normal, T.ExpTransform())
    with pytest.raises(ValueError, match=r"TransformedDistribution.log_prob: values must "
                                         r"lie in the support GreaterThan\(lower_bound=0.0\)"
                                         r"; got -1.0 at index \(1,\)"):
        d.log_prob(np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="transforms must be a Transform or a list"):
        D.TransformedDistribution(normal, "exp")
    with pytest.raises(ValueError, match="base_distribution needs to have shape with size "
                                         "at least 1"):
        D.TransformedDistribution(normal, T.StickBreakingTransform())
    simplex = D.TransformedDistribution(D.Normal(np.zeros(2), 1.0),
                                        T.StickBreakingTransform())
    with pytest.raises(ValueError, match="support Simplex"):
        simplex.log_prob(np.array([0.5, 0.6, 0.1]))
    with pytest.raises(NotImplementedError, match="Bernoulli.rsample"):
        D.TransformedDistribution(D.Bernoulli(probs=0.3), T.ExpTransform()).rsample()


def _distributions(d, tensor):
    """One of each distribution, built from ``d`` (ours or torch's)."""
    return [d.Normal(tensor(0.0), tensor(1.0)), d.Bernoulli(probs=tensor(0.3)),
            d.Categorical(probs=tensor([0.2, 0.3, 0.5])), d.Uniform(tensor(-1.0), tensor(2.0)),
            d.Exponential(tensor(1.5)), d.Laplace(tensor(0.0), tensor(1.0)),
            d.LogNormal(tensor(0.0), tensor(1.0)), d.HalfNormal(tensor(1.0)),
            d.Cauchy(tensor(0.0), tensor(1.0)), d.Gumbel(tensor(0.0), tensor(1.0)),
            d.StudentT(tensor(3.0)), d.Poisson(tensor(2.0)), d.Geometric(tensor(0.3)),
            d.Binomial(tensor(5.0), tensor(0.3)), d.OneHotCategorical(tensor([0.2, 0.8])),
            d.MultivariateNormal(tensor([0.0, 0.0]), tensor([[1.0, 0.2], [0.2, 1.0]])),
            d.Independent(d.Normal(tensor([0.0, 0.0]), tensor(1.0)), 1),
            d.Gamma(tensor(2.0), tensor(1.0)), d.Chi2(tensor(2.0)),
            d.Beta(tensor(1.0), tensor(2.0)), d.Dirichlet(tensor([1.0, 2.0])),
            d.LogisticNormal(tensor([0.0, 0.0]), tensor(1.0))]


def test_support_and_arg_constraints_against_torch():
    torch = _torch()
    ours = _distributions(D, lambda v: ad.tensor(np.array(v, dtype=np.float64)))
    theirs = _distributions(torch.distributions,
                            lambda v: torch.tensor(v, dtype=torch.float64))
    for mine, their in zip(ours, theirs):
        name = type(mine).__name__
        assert name == type(their).__name__
        assert set(mine.arg_constraints) == set(their.arg_constraints), name
        if name not in ("Uniform", "Binomial"):        # bounds print as tensors there
            assert repr(mine.support) == repr(their.support), name
            assert {k: repr(v) for k, v in mine.arg_constraints.items()} == \
                {k: repr(v) for k, v in their.arg_constraints.items()}, name
        assert mine.support.event_dim == their.support.event_dim, name
        assert mine.support.is_discrete == their.support.is_discrete, name
        # the support holds what the distribution draws, and judges like torch's
        drawn = their.sample((6,))
        assert _value(mine.support.check(drawn.numpy())).all(), name
        outside = drawn * -1.5 - 0.25
        np.testing.assert_array_equal(mine.support.check(outside.numpy()).data,
                                      their.support.check(outside).numpy(), err_msg=name)


def test_support_of_an_unknown_subclass_says_what_to_set():
    class Mine(D.Distribution):
        pass

    with pytest.raises(NotImplementedError, match="Mine.support is not defined"):
        Mine().support


@pytest.mark.parametrize("loc", [[0.3, -0.2], 0.3])
def test_logistic_normal_against_torch_and_its_gradients(loc):
    torch = _torch()
    scale = [1.0, 2.0] if isinstance(loc, list) else 2.0
    theirs = torch.distributions.LogisticNormal(torch.tensor(loc, dtype=torch.float64),
                                                torch.tensor(scale, dtype=torch.float64))
    ours = D.LogisticNormal(ad.tensor(np.array(loc)), ad.tensor(np.array(scale)))
    assert ours.batch_shape == tuple(theirs.batch_shape)
    assert ours.event_shape == tuple(theirs.event_shape)
    value = theirs.sample((4,))
    np.testing.assert_allclose(_value(ours.log_prob(value.numpy())),
                               theirs.log_prob(value).numpy(), rtol=1e-10)
    drawn = ours.rsample((3,), rng=0)
    assert drawn.shape == (3,) + ours.event_shape
    np.testing.assert_allclose(_value(drawn).sum(-1), 1.0)

    def log_prob_sum(loc_, scale_):
        return D.LogisticNormal(loc_, scale_).log_prob(value.numpy()).sum()

    params = [ad.tensor(np.array(p, dtype=float), requires_grad=True) for p in (loc, scale)]
    log_prob_sum(*params).backward()
    numeric = ad.numerical_grad(log_prob_sum, [np.array(loc, float), np.array(scale, float)])
    torch_params = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
                    for p in (loc, scale)]
    torch.distributions.LogisticNormal(*torch_params).log_prob(value).sum().backward()
    for param, fd, ref in zip(params, numeric, torch_params):
        np.testing.assert_allclose(param.grad, fd, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(param.grad, ref.grad.numpy(), rtol=1e-10)


def test_compiled_step_agrees_with_eager_and_checks_the_support_at_each_replay():
    def make():
        w = ad.nn.Parameter(np.array([[0.5, -0.2], [0.1, 0.3]]))

        def step(x, simplex, positive):
            h = x @ w
            loc, scale = h[:, 0], ad.exp(h[:, 1])
            normal = D.Normal(loc, scale)
            squashed = D.TransformedDistribution(
                normal, [T.AffineTransform(1.0, 2.0), T.SigmoidTransform()])
            terms = [squashed.rsample(rng=3).sum(),
                     (D.LogisticNormal(h, scale[:, None]).rsample(rng=5) ** 2).sum(),
                     (D.RelaxedBernoulli(scale, logits=loc).rsample(rng=7) ** 2).sum(),
                     D.TransformedDistribution(normal, T.ExpTransform()).log_prob(positive),
                     D.LogisticNormal(h[:, :1], scale[:, None]).log_prob(simplex),
                     D.TransformedDistribution(normal, T.TanhTransform()).log_prob(
                         simplex[:, 0])]
            loss = sum(term.sum() for term in terms)
            w.grad = None
            loss.backward()
            return loss, w.grad
        return step

    eager, compiled = make(), ad.compile(make())
    data = np.random.default_rng(2)
    for n in (4, 4, 5):
        x = data.normal(size=(n, 2))
        simplex = data.dirichlet(np.ones(2), n)
        positive = data.uniform(0.1, 3.0, n)
        for a, b in zip(eager(x, simplex, positive), compiled(x, simplex, positive)):
            np.testing.assert_allclose(_value(b), _value(a), rtol=1e-11)
    with pytest.raises(ValueError, match="TransformedDistribution.log_prob: values must lie"):
        compiled(x, simplex, -positive)


def test_cdf_needs_monotone_maps_of_numbers_and_a_base_with_a_cdf():
    vectors = D.TransformedDistribution(D.Normal(np.zeros(2), 1.0),
                                        T.StickBreakingTransform())
    with pytest.raises(NotImplementedError, match=r"TransformedDistribution.cdf: the base "
                                                  r"distribution \(Independent\) has no cdf"):
        vectors.cdf(np.array([0.2, 0.3, 0.5]))
    squared = D.TransformedDistribution(D.Exponential(1.0), T.AbsTransform())
    with pytest.raises(NotImplementedError, match=r"icdf: AbsTransform\(\) is not a "
                                                  "monotone map"):
        squared.icdf(0.5)
    counts = D.TransformedDistribution(D.Bernoulli(probs=0.3),
                                       T.AffineTransform(ad.tensor([1.0, 2.0]), 2.0))
    with pytest.raises(NotImplementedError, match=r"the base distribution \(Bernoulli\) has "
                                                  "no cdf"):
        counts.cdf(1.0)


@pytest.mark.parametrize("given", ["probs", "logits"])
def test_relaxed_bernoulli_against_torch_and_its_gradients(given):
    torch = _torch()
    from torch.distributions.relaxed_bernoulli import LogitRelaxedBernoulli
    params = {"probs": np.array([0.2, 0.7]), "logits": np.array([-1.0, 2.0])}[given]
    temperature = 0.7

    def torch_pair(t, p):
        return (torch.distributions.RelaxedBernoulli(t, **{given: p}),
                LogitRelaxedBernoulli(t, **{given: p}))

    t0 = torch.tensor(temperature, dtype=torch.float64)
    theirs, their_logit = torch_pair(t0, torch.tensor(params))
    ours = D.RelaxedBernoulli(ad.tensor(temperature), **{given: ad.tensor(params)})
    our_logit = D.LogitRelaxedBernoulli(ad.tensor(temperature), **{given: ad.tensor(params)})
    for mine, their in [(ours, theirs), (our_logit, their_logit)]:
        value = their.sample((5,))
        np.testing.assert_allclose(_value(mine.log_prob(value.numpy())),
                                   their.log_prob(value).numpy(), rtol=1e-10)
        assert repr(mine.support) == repr(their.support)
        assert mine.batch_shape == tuple(their.batch_shape)
        assert {k: repr(v) for k, v in mine.arg_constraints.items()} == \
            {k: repr(v) for k, v in their.arg_constraints.items()}
    assert _value(ours.support.check(ours.sample((50,), rng=1))).all()

    def rsample_sum(t, p):
        return (D.RelaxedBernoulli(t, **{given: p}).rsample((3,), rng=6) ** 2).sum()

    # the logistic noise of rsample(rng=6): what the logit sample is beyond logit(p) / t
    logit_sample = _value(D.LogitRelaxedBernoulli(temperature, **{given: params})
                          .rsample((3,), rng=6))
    clamped = np.clip(1 / (1 + np.exp(-params)) if given == "logits" else params,
                      np.finfo(float).eps, 1 - np.finfo(float).eps)
    noise = logit_sample * temperature - np.log(clamped / (1 - clamped))
    t_param = torch.tensor(temperature, dtype=torch.float64, requires_grad=True)
    p_param = torch.tensor(params, requires_grad=True)
    probs = torch.sigmoid(p_param) if given == "logits" else p_param
    probs = probs.clamp(np.finfo(float).eps, 1 - np.finfo(float).eps)
    drawn = torch.sigmoid((torch.tensor(noise) + probs.log() - (-probs).log1p()) / t_param)
    (drawn ** 2).sum().backward()
    mine = [ad.tensor(np.array(temperature), requires_grad=True),
            ad.tensor(params.copy(), requires_grad=True)]
    rsample_sum(*mine).backward()
    numeric = ad.numerical_grad(rsample_sum, [np.array(temperature), params.copy()])
    for param, fd, ref in zip(mine, numeric, (t_param.grad, p_param.grad)):
        np.testing.assert_allclose(param.grad, fd, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(param.grad, ref.numpy(), rtol=1e-9, atol=1e-12)


def test_relaxed_bernoulli_refuses_a_temperature_that_is_not_positive():
    with pytest.raises(ValueError, match="^RelaxedBernoulli: temperature must be > 0"):
        D.RelaxedBernoulli(0.0, probs=0.5)
    with pytest.raises(ValueError, match="^LogitRelaxedBernoulli: temperature must be > 0"):
        D.LogitRelaxedBernoulli(-1.0, logits=0.5)


def test_moments_without_closed_form_are_refused_with_an_estimate_to_use():
    d = D.TransformedDistribution(D.Normal(0.0, 1.0), T.SigmoidTransform())
    with pytest.raises(NotImplementedError, match=r"TransformedDistribution.mean: .*"
                                                  r"d.sample\(\(n,\)\).mean\(0\)"):
        d.mean
    with pytest.raises(NotImplementedError, match="TransformedDistribution.variance"):
        d.variance
    with pytest.raises(NotImplementedError, match="TransformedDistribution.entropy"):
        d.entropy()
