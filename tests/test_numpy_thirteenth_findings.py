"""Focused tests of what the thirteenth round of NumPy programs found
(test_numpy_programs_thirteenth.py and the probes around it): ``np.multiply.at`` and
``np.divide.at`` on a Tensor that is recorded were refused (compounding growth factors
per group into an array in place), where ``np.add.at`` and the extremes' ``at`` had a
gradient.  They now record ops whose forward is NumPy's own ``ufunc.at`` and whose
gradient takes the product of the other values at an entry without dividing, so a
value of 0 gets its gradient too.  Probing the programs NumPy cannot run on a Tensor
with a gradient, two pieces of advice were wrong: a fitted ``numpy.polynomial`` series
at Tensor points was to be evaluated as ``polyval(x, P.coef)``, which ignores the
series' domain (now ``P.convert().coef``), and a NumPy call on a list of Tensors held in
a variable (``np.mean(losses)``, ``np.array(losses)``) was told to use ``np.copy(t)`` or
"NumPy functions that take the Tensor", or was not named (``np.exp``, ``np.dot``), where
a list written in the call was told to ``np.stack`` it."""

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference

_rng = np.random.default_rng(20261213)

#: (name, shape of a, index, shape of the values): repeated, 2-D and broadcast indices
_SCATTERS = [
    ("repeated", (5,), np.array([0, 2, 1, 2, 0, 1, 2, 0, 4]), (9,)),
    ("one entry many times", (3,), np.array([1, 1, 1, 1]), (4,)),
    ("rows of a matrix", (3, 4), np.array([2, 0, 2]), (3, 4)),
    ("a row broadcast", (3, 4), np.array([2, 0, 2]), (4,)),
    ("pairs of indices", (3, 4), (np.array([0, 2, 0, 1]), np.array([3, 1, 3, 3])), (4,)),
    ("a slice and an index", (3, 4), (slice(None), np.array([1, 1])), (3, 2)),
    ("negative indices", (4,), np.array([-1, 3, -4]), (3,)),
    ("0-d", (), (), ()),
    ("an ellipsis", (2, 3), (Ellipsis, np.array([0, 0])), (2, 2)),
    ("a boolean mask", (2, 3), np.array([[True, False, True], [False, False, True]]), (3,)),
]


def _scattered(ufunc, index, a_shape, values_shape):
    """A loss of ``ufunc.at`` into a copy of ``a`` (its entries shifted away from 0) that
    reads every entry twice."""
    size = int(np.prod(a_shape))

    def loss(p):
        a = (p[:size] + 2.0).reshape(a_shape).copy()      # (0-d: an array, not a scalar)
        ufunc.at(a, index, p[size:].reshape(values_shape))
        return (a * np.arange(1.0, size + 1).reshape(a_shape)).sum() + (a ** 2).sum()
    return loss


def _parameters(a_shape, values_shape, zeros=False):
    a = _rng.normal(size=a_shape).ravel()
    values = _rng.uniform(0.5, 1.5, size=values_shape) * _rng.choice([-1.0, 1.0], values_shape)
    if zeros:
        values.ravel()[::2] = 0.0
    return np.concatenate([a, values.ravel()])


@pytest.mark.parametrize("ufunc", [np.multiply, np.divide], ids=["multiply", "divide"])
@pytest.mark.parametrize("name, a_shape, index, values_shape", _SCATTERS,
                         ids=[s[0] for s in _SCATTERS])
def test_a_product_at_indices_is_numpys_with_the_gradient_of_central_differences(
        ufunc, name, a_shape, index, values_shape):
    loss = _scattered(ufunc, index, a_shape, values_shape)
    p = _parameters(a_shape, values_shape)
    value, gradient = ad.value_and_grad(loss)(p)
    np.testing.assert_array_equal(value, loss(p))
    np.testing.assert_allclose(gradient, central_difference(loss, p), rtol=1e-6, atol=1e-6)
    assert ad.gradgradcheck(loss, [p])


@pytest.mark.parametrize("name, a_shape, index, values_shape", _SCATTERS[:3],
                         ids=[s[0] for s in _SCATTERS[:3]])
def test_a_value_of_zero_gets_the_product_of_the_others_without_dividing(
        name, a_shape, index, values_shape):
    loss = _scattered(np.multiply, index, a_shape, values_shape)
    p = _parameters(a_shape, values_shape, zeros=True)
    gradient = ad.grad(loss)(p)
    assert np.isfinite(gradient).all()
    np.testing.assert_allclose(gradient, central_difference(loss, p), rtol=1e-6, atol=1e-6)
    hessian = ad.hessian(loss)(p)
    step = ad.grad(loss)
    numerical = np.stack([(step(p + e) - step(p - e)) / 2e-6 for e in np.eye(p.size) * 1e-6])
    np.testing.assert_allclose(hessian, numerical, rtol=1e-5, atol=1e-5)


def test_a_product_at_indices_matches_pytorchs_scatter_reduce_prod():
    torch = pytest.importorskip("torch")
    index = np.array([0, 2, 1, 2, 0, 1, 2, 0, 4])
    a0, v0 = _rng.normal(size=5), _rng.normal(size=9)
    weights = np.arange(1.0, 6.0)
    a, v = ad.tensor(a0, requires_grad=True), ad.tensor(v0, requires_grad=True)
    scaled = a * 1.0
    np.multiply.at(scaled, index, v)
    (scaled * weights).sum().backward()
    ta = torch.tensor(a0, requires_grad=True)
    tv = torch.tensor(v0, requires_grad=True)
    theirs = ta.scatter_reduce(0, torch.tensor(index), tv, "prod", include_self=True)
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(scaled.data, theirs.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(v.grad, tv.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("ufunc", [np.multiply, np.divide], ids=["multiply", "divide"])
def test_float32_entries_keep_numpys_dtype_and_each_input_its_own(ufunc):
    a0 = _rng.uniform(1.0, 2.0, size=4).astype(np.float32)
    v0 = _rng.uniform(1.0, 2.0, size=3)
    a, v = ad.tensor(a0, requires_grad=True), ad.tensor(v0, requires_grad=True)
    scaled = a * 1
    ufunc.at(scaled, [1, 3, 1], v)
    expected = a0.copy()
    ufunc.at(expected, [1, 3, 1], v0)
    assert scaled.dtype == expected.dtype == np.float32
    np.testing.assert_array_equal(scaled.data, expected)
    scaled.sum().backward()
    assert a.grad.dtype == np.float32 and v.grad.dtype == np.float64


@pytest.mark.parametrize("ufunc", [np.multiply, np.divide], ids=["multiply", "divide"])
def test_no_indices_leave_the_entries_and_their_gradient_unchanged(ufunc):
    a = ad.tensor(_rng.normal(size=3), requires_grad=True)
    v = ad.tensor(np.zeros(0), requires_grad=True)
    scaled = a * 1.0
    ufunc.at(scaled, np.array([], dtype=np.intp), v)
    np.testing.assert_array_equal(scaled.data, a.data)
    (scaled * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 2.0, 3.0])
    assert v.grad.shape == (0,)


def test_a_scalar_tensor_value_gets_the_gradient_of_every_entry_it_scales():
    growth = ad.tensor(1.5, requires_grad=True)
    balances = ad.tensor([100.0, 200.0, 300.0]) * 1.0
    np.multiply.at(balances, [0, 2, 0], growth)
    balances.sum().backward()
    np.testing.assert_array_equal(balances.data, [225.0, 200.0, 450.0])
    assert growth.grad == pytest.approx(2 * 1.5 * 100.0 + 300.0, rel=1e-15)


def _tape_drop_message(call) -> str:
    with pytest.warns(ad.TapeDropWarning) as caught:
        call()
    return str(caught[0].message)


@pytest.mark.parametrize("kind", [np.polynomial.Polynomial, np.polynomial.Chebyshev,
                                  np.polynomial.Legendre], ids=lambda kind: kind.__name__)
def test_a_fitted_series_at_tensor_points_suggests_an_evaluation_that_is_its_value(kind):
    """A series from .fit maps x from the data's domain onto its window before it sums
    the coefficients: the advice was polyval(x, P.coef), a different function; the
    module's function of P.convert().coef is P(x), and P(x) itself now takes a Tensor
    (test_numpy_twentyeighth_findings.py), with P's own value."""
    data_x = np.linspace(2.0, 10.0, 9)
    series = kind.fit(data_x, np.sin(data_x), 3)
    module = {np.polynomial.Polynomial: np.polynomial.polynomial.polyval,
              np.polynomial.Chebyshev: np.polynomial.chebyshev.chebval,
              np.polynomial.Legendre: np.polynomial.legendre.legval}[kind]
    x = ad.tensor([3.0, 7.5], requires_grad=True)
    message = _tape_drop_message(lambda: kind(x)(0.5))
    assert "P(x)" in message and "polyval(x, P.coef)" not in message
    kept = module(x, series.convert().coef)
    assert kept.requires_grad
    # (convert() rounds its coefficients, so the sums differ from P(x) in the last bits)
    np.testing.assert_allclose(kept.data, series(x.data), rtol=1e-12)
    assert not np.allclose(module(x.data, series.coef), series(x.data))
    called = series(x)
    np.testing.assert_array_equal(called.data, series(x.data))
    called.sum().backward()
    np.testing.assert_allclose(x.grad, series.deriv()(x.data), rtol=1e-10)


def _losses():
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    return t, [t[0] * 2.0, t[1] ** 2]


#: NumPy calls on a list of Tensors held in a variable (a loop's losses): NumPy makes an
#: array of the list without handing the call to any Tensor in it.
_ON_A_NAMED_LIST = [
    ("sum", lambda losses: np.sum(losses), lambda stacked: np.sum(stacked)),
    ("mean", lambda losses: np.mean(losses), lambda stacked: np.mean(stacked)),
    ("max", lambda losses: np.max(losses), lambda stacked: np.max(stacked)),
    ("linalg.norm", lambda losses: np.linalg.norm(losses), lambda stacked: np.linalg.norm(stacked)),
    ("exp", lambda losses: np.exp(losses).sum(), lambda stacked: np.exp(stacked).sum()),
    ("dot", lambda losses: np.dot(losses, [1.0, 3.0]), lambda stacked: np.dot(stacked, [1.0, 3.0])),
    ("array", lambda losses: np.array(losses).sum(), None),
    ("asarray", lambda losses: np.asarray(losses).sum(), None),
]


@pytest.mark.parametrize("name, call, on_the_stack", _ON_A_NAMED_LIST,
                         ids=[case[0] for case in _ON_A_NAMED_LIST])
def test_a_numpy_call_on_a_named_list_of_tensors_says_to_stack_it(name, call, on_the_stack):
    """The advice for a list written in the call (np.sum([a, b])) was given only then: for
    a list in a variable, np.array(losses) was told to use np.copy(t), and np.sum(losses)
    to "write it with NumPy functions that take the Tensor itself"; np.exp and np.dot were
    not named at all."""
    t, losses = _losses()
    message = _tape_drop_message(lambda: call(losses))
    assert f"by np.{name}," in message and "np.stack(list)" in message
    assert "np.copy(t)" not in message
    stacked = np.stack(losses)
    result = on_the_stack(stacked) if on_the_stack is not None else stacked.sum()
    result.backward()
    expected = call([x.data for x in losses])
    np.testing.assert_array_equal(result.data, expected)
    assert np.any(t.grad != 0)           # (np.max: to the larger one only)
