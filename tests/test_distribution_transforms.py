"""ad.distributions.transforms / constraints / biject_to / transform_to: values,
inverses and log|det J| against PyTorch (float64) and against finite differences (the
slogdet of a numerical Jacobian for stick-breaking), round trips, reprs, domains and
codomains, constraint checks against PyTorch, and the errors.  TransformedDistribution
is tested in test_transformed_distributions.py."""

import math

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


# Elementwise transforms: (name, ours, torch's (built lazily), points in the domain).
SCALE = np.array([2.0, -0.5, 3.0])
ELEMENTWISE = {
    "exp": (lambda: T.ExpTransform(), lambda tt: tt.ExpTransform(), RNG.normal(size=3)),
    "affine_number": (lambda: T.AffineTransform(1.5, -2.0),
                      lambda tt: tt.AffineTransform(1.5, -2.0), RNG.normal(size=3)),
    "affine_tensor": (lambda: T.AffineTransform(ad.tensor([0.1, 0.2, 0.3]), ad.tensor(SCALE)),
                      lambda tt: tt.AffineTransform(_torch().tensor([0.1, 0.2, 0.3],
                                                                    dtype=_torch().float64),
                                                    _torch().tensor(SCALE)),
                      RNG.normal(size=3)),
    "sigmoid": (lambda: T.SigmoidTransform(), lambda tt: tt.SigmoidTransform(),
                RNG.normal(size=3) * 3),
    "tanh": (lambda: T.TanhTransform(), lambda tt: tt.TanhTransform(), RNG.normal(size=3)),
    "softplus": (lambda: T.SoftplusTransform(), lambda tt: tt.SoftplusTransform(),
                 RNG.normal(size=3) * 2),
    "power": (lambda: T.PowerTransform(2.5), lambda tt: tt.PowerTransform(
        _torch().tensor(2.5, dtype=_torch().float64)), RNG.uniform(0.5, 2.0, size=3)),
    "power_negative": (lambda: T.PowerTransform(-0.5), lambda tt: tt.PowerTransform(
        _torch().tensor(-0.5, dtype=_torch().float64)), RNG.uniform(0.5, 2.0, size=3)),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_round_trip_and_log_det_by_finite_differences(name):
    make, _, x = ELEMENTWISE[name]
    t = make()
    y = t(ad.tensor(x))
    np.testing.assert_allclose(_value(t.inv(y)), x, rtol=1e-10, atol=1e-12)
    # log |dy/dx| element by element, from central differences of the forward map.
    h = 1e-6
    slope = (_value(t(ad.tensor(x + h))) - _value(t(ad.tensor(x - h)))) / (2 * h)
    np.testing.assert_allclose(_value(t.log_abs_det_jacobian(ad.tensor(x), y)),
                               np.log(np.abs(slope)), rtol=1e-6, atol=1e-7)
    # the inverse's log-det is minus the forward's, at the swapped points
    np.testing.assert_allclose(_value(t.inv.log_abs_det_jacobian(y, ad.tensor(x))),
                               -_value(t.log_abs_det_jacobian(ad.tensor(x), y)))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_against_torch(name):
    torch = _torch()
    tt = torch.distributions.transforms
    make, make_torch, x = ELEMENTWISE[name]
    ours, theirs = make(), make_torch(tt)
    tx = torch.tensor(x)
    y, ty = ours(ad.tensor(x)), theirs(tx)
    np.testing.assert_allclose(_value(y), ty.numpy(), rtol=1e-12)
    np.testing.assert_allclose(_value(ours.inv(y)), theirs.inv(ty).numpy(), rtol=1e-10)
    np.testing.assert_allclose(_value(ours.log_abs_det_jacobian(ad.tensor(x), y)),
                               theirs.log_abs_det_jacobian(tx, ty).numpy(), rtol=1e-10)
    assert repr(ours) == repr(theirs) and repr(ours.inv) == repr(theirs.inv)
    assert repr(ours.domain) == repr(theirs.domain)
    assert repr(ours.codomain) == repr(theirs.codomain)
    assert ours.bijective == theirs.bijective
    assert np.all(_value(ours.sign) == np.asarray(theirs.sign))


def test_sigmoid_saturates_as_torch_so_that_the_inverse_stays_finite():
    torch = _torch()
    x = np.array([-800.0, -40.0, 40.0, 800.0])
    ours, theirs = T.SigmoidTransform(), torch.distributions.transforms.SigmoidTransform()
    y, ty = ours(ad.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_array_equal(_value(y), ty.numpy())
    np.testing.assert_allclose(_value(ours.inv(y)), theirs.inv(ty).numpy())
    assert np.isfinite(_value(ours.inv(y))).all()


def _jacobian(f, x, h=1e-6):
    """d f(x) / dx by central differences: rows are outputs, columns inputs."""
    columns = []
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = h
        columns.append((f(x + step) - f(x - step)) / (2 * h))
    return np.stack(columns, axis=-1)


def test_stick_breaking_against_torch_and_slogdet_of_numerical_jacobian():
    torch = _torch()
    x = RNG.normal(size=(2, 4))
    t = T.StickBreakingTransform()
    theirs = torch.distributions.transforms.StickBreakingTransform()
    y = t(ad.tensor(x))
    ty = theirs(torch.tensor(x))
    np.testing.assert_allclose(_value(y), ty.numpy(), rtol=1e-12)
    np.testing.assert_allclose(_value(y).sum(-1), 1.0)
    np.testing.assert_allclose(_value(t.inv(y)), x, rtol=1e-9, atol=1e-12)
    log_det = _value(t.log_abs_det_jacobian(ad.tensor(x), y))
    np.testing.assert_allclose(log_det, theirs.log_abs_det_jacobian(torch.tensor(x), ty).numpy(),
                               rtol=1e-10)
    assert log_det.shape == (2,)
    for row in range(2):
        # the map onto the first K entries (the last one is 1 minus their sum)
        jac = _jacobian(lambda v: _value(t(ad.tensor(v)))[:-1], x[row])
        sign, logabs = np.linalg.slogdet(jac)
        assert sign != 0
        np.testing.assert_allclose(log_det[row], logabs, rtol=1e-6)
    assert t.forward_shape((2, 4)) == (2, 5) and t.inverse_shape((2, 5)) == (2, 4)


def test_softmax_against_torch():
    torch = _torch()
    x = RNG.normal(size=(3, 4)) * 5
    t, theirs = T.SoftmaxTransform(), torch.distributions.transforms.SoftmaxTransform()
    y = t(ad.tensor(x))
    np.testing.assert_allclose(_value(y), theirs(torch.tensor(x)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(_value(t.inv(y)), theirs.inv(torch.tensor(_value(y))).numpy())
    # not bijective: inv(y) is x up to a constant per row
    shift = x - _value(t.inv(y))
    np.testing.assert_allclose(shift, shift[:, :1].repeat(4, axis=1), rtol=1e-10)
    assert not t.bijective
    with pytest.raises(NotImplementedError, match="SoftmaxTransform.log_abs_det_jacobian"):
        t.log_abs_det_jacobian(ad.tensor(x), y)


def _compositions(tt, tensor):
    """The same composite transforms built from ``tt`` (ours or torch's)."""
    return {
        "exp_affine": tt.ComposeTransform([tt.ExpTransform(), tt.AffineTransform(1.0, 3.0)]),
        "affine_event": tt.AffineTransform(0.5, tensor([1.0, -2.0, 4.0]), event_dim=1),
        "independent_exp": tt.IndependentTransform(tt.ExpTransform(), 1),
        "compose_event_dims": tt.ComposeTransform(
            [tt.ExpTransform(), tt.IndependentTransform(tt.AffineTransform(0.0, 2.0), 1),
             tt.SigmoidTransform()]),
        "stick_then_affine": tt.ComposeTransform(
            [tt.AffineTransform(0.0, 0.5), tt.StickBreakingTransform()]),
        "reshape": tt.ComposeTransform([tt.ReshapeTransform((2, 3), (6,)),
                                        tt.StickBreakingTransform()]),
        "identity": tt.identity_transform,
    }


@pytest.mark.parametrize("name", ["exp_affine", "affine_event", "independent_exp",
                                  "compose_event_dims", "stick_then_affine", "reshape",
                                  "identity"])
def test_composite_transforms_against_torch(name):
    torch = _torch()
    ours = _compositions(T, lambda v: ad.tensor(np.array(v)))[name]
    theirs = _compositions(torch.distributions.transforms,
                           lambda v: torch.tensor(v, dtype=torch.float64))[name]
    shape = (4, 2, 3) if name == "reshape" else (4, 3)
    x = RNG.normal(size=shape)
    y, ty = ours(ad.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(_value(y), ty.numpy(), rtol=1e-12)
    np.testing.assert_allclose(_value(ours.inv(y)), x, rtol=1e-9, atol=1e-12)
    log_det = _value(ours.log_abs_det_jacobian(ad.tensor(x), y))
    expected = theirs.log_abs_det_jacobian(torch.tensor(x), ty).numpy()
    assert log_det.shape == expected.shape
    np.testing.assert_allclose(log_det, expected, rtol=1e-10, atol=1e-12)
    for attr in ("domain", "codomain"):
        assert repr(getattr(ours, attr)) == repr(getattr(theirs, attr))
        assert getattr(ours, attr).event_dim == getattr(theirs, attr).event_dim
    assert repr(ours) == repr(theirs)
    assert ours.forward_shape(shape) == tuple(theirs.forward_shape(shape))
    out = tuple(ty.shape)
    assert ours.inverse_shape(out) == tuple(theirs.inverse_shape(out))


def test_affine_event_dim_with_a_scale_broadcast_along_the_event():
    # Each of the 3 entries of an event is scaled by 2: log|det| = 3 log 2 per event.
    t = T.AffineTransform(0.0, ad.tensor(2.0), event_dim=1)
    x = ad.tensor(RNG.normal(size=(5, 3)))
    np.testing.assert_allclose(_value(t.log_abs_det_jacobian(x, t(x))),
                               np.full(5, 3 * math.log(2.0)))


def test_inverse_is_cached_without_reference_cycles():
    import gc
    import weakref
    t = T.ExpTransform()
    assert t.inv is t.inv and t.inv.inv is t
    c = T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.0, 2.0)])
    assert c.inv.inv is c
    probe = weakref.ref(c)
    gc.disable()
    try:
        del c
        assert probe() is None           # freed by reference counting alone
    finally:
        gc.enable()


def test_cache_size_one_returns_the_input_itself():
    t = T.ExpTransform(cache_size=1)
    x = ad.tensor([0.3, 0.4])
    assert t.inv(t(x)) is x
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        T.ExpTransform(cache_size=2)


# Constraints: values to check, and the constraints built from ``c`` (ours or torch's).
def _constraints(c):
    return {"real": c.real, "positive": c.positive, "nonnegative": c.nonnegative,
            "unit_interval": c.unit_interval, "interval": c.interval(-1.0, 2.0),
            "greater_than": c.greater_than(0.5), "less_than": c.less_than(0.5),
            "boolean": c.boolean, "nonnegative_integer": c.nonnegative_integer,
            "integer_interval": c.integer_interval(0, 2), "half_open": c.half_open_interval(
                0.0, 1.0), "greater_than_eq": c.greater_than_eq(0.5)}


VALUES = np.array([-np.inf, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, np.inf, np.nan])


@pytest.mark.parametrize("name", list(_constraints(C)))
def test_constraint_checks_against_torch(name):
    torch = _torch()
    ours = _constraints(C)[name]
    theirs = _constraints(torch.distributions.constraints)[name]
    got = ours.check(ad.tensor(VALUES))
    assert got.data.dtype == np.bool_
    np.testing.assert_array_equal(got.data, theirs.check(torch.tensor(VALUES)).numpy())
    assert repr(ours) == repr(theirs)
    assert ours.event_dim == theirs.event_dim and ours.is_discrete == theirs.is_discrete


def test_vector_constraints_against_torch():
    torch = _torch()
    c, tc = C, torch.distributions.constraints
    rows = np.array([[0.2, 0.8, 0.0], [0.5, 0.6, -0.1], [1.0, 0.0, 0.0], [0.3, 0.3, 0.3],
                     [np.nan, 0.5, 0.5], [1.0, 2.0, 3.0]])
    for ours, theirs in [(c.simplex, tc.simplex), (c.real_vector, tc.real_vector),
                         (c.independent(c.positive, 1), tc.independent(tc.positive, 1)),
                         (c.independent(c.real, 2), tc.independent(tc.real, 2))]:
        got = ours.check(rows)
        np.testing.assert_array_equal(got.data, theirs.check(torch.tensor(rows)).numpy())
        assert repr(ours) == repr(theirs) and ours.event_dim == theirs.event_dim
    with pytest.raises(ValueError, match="expected value.dim"):
        c.independent(c.real, 2).check(np.zeros(3))


@pytest.mark.parametrize("name", ["real", "positive", "nonnegative", "unit_interval",
                                  "interval", "greater_than", "less_than", "half_open",
                                  "greater_than_eq", "simplex", "real_vector"])
def test_biject_to_and_transform_to_against_torch(name):
    torch = _torch()
    td = torch.distributions

    def pick(c):
        table = _constraints(c)
        table.update(simplex=c.simplex, real_vector=c.real_vector)
        return table[name]

    x = RNG.normal(size=(3, 4))
    for ours_fn, theirs_fn in [(D.biject_to, td.biject_to),
                               (D.transform_to, td.transform_to)]:
        ours, theirs = ours_fn(pick(C)), theirs_fn(pick(td.constraints))
        assert repr(ours) == repr(theirs)
        y = ours(ad.tensor(x))
        np.testing.assert_allclose(_value(y), theirs(torch.tensor(x)).numpy(), rtol=1e-12)
        assert _value(pick(C).check(y)).all()          # lands in the constraint
        if ours.bijective:
            np.testing.assert_allclose(_value(ours.inv(y)), x, rtol=1e-8, atol=1e-10)


def test_biject_to_refuses_discrete_constraints_by_name():
    with pytest.raises(NotImplementedError, match="biject_to: cannot transform _Boolean"):
        D.biject_to(C.boolean)


def test_transforms_on_too_few_axes_raise_by_name():
    with pytest.raises(ValueError, match="StickBreakingTransform: the map acts on vectors"):
        T.StickBreakingTransform()(ad.tensor(0.5))
    with pytest.raises(ValueError, match="ReshapeTransform: in_shape"):
        T.ReshapeTransform((2, 3), (5,))
    with pytest.raises(ValueError, match=r"ReshapeTransform.forward_shape: expected a "
                                         r"shape ending in \(2, 3\)"):
        T.ReshapeTransform((2, 3), (6,)).forward_shape((3, 2))


def test_matrix_and_one_hot_constraints_against_torch():
    torch = _torch()
    tc = torch.distributions.constraints
    matrices = np.array([[[2.0, 0.5], [0.5, 1.0]], [[1.0, 2.0], [2.0, 1.0]],
                         [[1.0, 0.0], [0.3, 2.0]], [[1.0, 0.1], [0.0, 1.0]],
                         [[-1.0, 0.0], [0.0, 1.0]]])
    for ours, theirs in [(C.positive_definite, tc.positive_definite),
                         (C.lower_cholesky, tc.lower_cholesky)]:
        np.testing.assert_array_equal(ours.check(matrices).data,
                                      theirs.check(torch.tensor(matrices)).numpy())
        assert repr(ours) == repr(theirs) and ours.event_dim == theirs.event_dim
    rows = np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    np.testing.assert_array_equal(C.one_hot.check(rows).data,
                                  tc.one_hot.check(torch.tensor(rows)).numpy())


def test_submodules_import_by_their_pytorch_paths():
    import importlib
    transforms = importlib.import_module("autodiff.distributions.transforms")
    constraints = importlib.import_module("autodiff.distributions.constraints")
    assert transforms is T and constraints is C
    from autodiff.distributions.transforms import ExpTransform
    assert ExpTransform is T.ExpTransform


def test_tanh_inverse_of_the_bounds_is_infinite_as_torch():
    torch = _torch()
    y = np.array([1.0, -1.0, 0.5])
    got = _value(T.TanhTransform().inv(ad.tensor(y)))
    want = torch.distributions.transforms.TanhTransform().inv(torch.tensor(y)).numpy()
    np.testing.assert_array_equal(got[:2], want[:2])
    # (NumPy's and PyTorch's atanh are SIMD loops of their own: 1 ulp apart on some CPUs)
    np.testing.assert_allclose(got[2], want[2], rtol=4.5e-16, atol=0)


@pytest.mark.parametrize("make", [T.ExpTransform, T.SigmoidTransform, T.TanhTransform,
                                  T.SoftplusTransform, T.StickBreakingTransform,
                                  lambda: T.AffineTransform(1.0, 2.0),
                                  lambda: T.PowerTransform(2.0)])
def test_float32_stays_float32(make):
    t = make()
    x = ad.tensor(np.array([0.1, 0.2], dtype=np.float32))
    y = t(x)
    assert y.data.dtype == np.float32
    assert t.inv(y).data.dtype == np.float32
    assert t.log_abs_det_jacobian(x, y).data.dtype == np.float32


def test_cumulative_distribution_transform_against_torch_and_finite_differences():
    torch = _torch()
    tt = torch.distributions.transforms
    loc, scale = np.array([0.2, -0.4]), np.array([1.5, 0.6])
    ours = T.CumulativeDistributionTransform(D.Gumbel(ad.tensor(loc), ad.tensor(scale)))
    theirs = tt.CumulativeDistributionTransform(
        torch.distributions.Gumbel(torch.tensor(loc), torch.tensor(scale)))
    x = RNG.normal(size=(3, 2))
    y = ours(ad.tensor(x))
    ty = theirs(torch.tensor(x))
    np.testing.assert_allclose(_value(y), ty.numpy(), rtol=1e-12)
    np.testing.assert_allclose(_value(ours.inv(y)), x, rtol=1e-9, atol=1e-12)
    log_det = _value(ours.log_abs_det_jacobian(ad.tensor(x), y))
    np.testing.assert_allclose(log_det, theirs.log_abs_det_jacobian(torch.tensor(x), ty).numpy(),
                               rtol=1e-10)
    h = 1e-6
    slope = (_value(ours(ad.tensor(x + h))) - _value(ours(ad.tensor(x - h)))) / (2 * h)
    np.testing.assert_allclose(log_det, np.log(slope), rtol=1e-6)
    assert repr(ours.domain) == repr(theirs.domain) and ours.sign == 1
    with pytest.raises(TypeError, match=r"the distribution \(Bernoulli\) has no cdf"):
        T.CumulativeDistributionTransform(D.Bernoulli(probs=0.3))
