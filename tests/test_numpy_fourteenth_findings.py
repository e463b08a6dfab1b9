"""Focused tests of what the fourteenth round of NumPy programs found
(test_numpy_programs_fourteenth.py and the probes around it): a homography by the
direct linear transform from four correspondences takes the last row of ``Vh`` from
``np.linalg.svd`` of an 8 x 9 matrix with NumPy's default ``full_matrices=True``, the
null vector, and its gradient was refused as "an arbitrary basis of the complement".
A one-dimensional complement is no more arbitrary than any singular vector (its sign
only), so it now has a gradient, and a wider complement has one for results that
depend only on its span (a projector); a result that depends on the basis LAPACK chose
is still refused, with advice that names the span.  Complete QR's extra columns stay
refused, as in PyTorch, and the refusal now names the SVD for them.  Probing around:
a Tensor in the ``range=`` of ``np.histogram``, ``histogram2d`` or ``histogramdd`` over
ndarray data failed inside NumPy's code with a message about an in-place ``&=`` into an
ndarray or a reshape; it is now explained, with the edges as ``bins`` to write instead.
A Tensor where NumPy does not look for one, ``np.interp``'s ``left=``, ``np.piecewise``'s
values over an ndarray ``x``, ``np.apply_along_axis`` over an ndarray, ``np.select``'s
``default=`` and a reduction's ``initial=``, was told to "write it with NumPy functions
that take the Tensor itself" (``np.select`` to stack its condition list): each now gets
a rewrite that keeps it on the tape, and ``np.arange`` with a Tensor step, refused
without naming it, says how to build the grid on the tape."""

import re

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference

_rng = np.random.default_rng(20261214)


def _null_vector_loss(a):
    """A sign-free use of the null vector of a wide matrix: ``Vh[-1]`` scaled so its
    entry of largest size is positive, against fixed weights."""
    vh = np.linalg.svd(a)[2]
    null = vh[..., -1, :]
    return np.sum(null * null[..., :1] * np.arange(1.0, a.shape[-1] + 1))


@pytest.mark.parametrize("shape", [(2, 3), (8, 9), (2, 3, 4)], ids=str)
def test_the_null_vector_of_a_wide_matrix_has_a_gradient(shape):
    a = _rng.normal(size=shape)
    grad = ad.grad(lambda t: _null_vector_loss(t))(a)
    numerical = central_difference(lambda x: _null_vector_loss(x.reshape(shape)),
                                   a.ravel()).reshape(shape)
    np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-8)


def test_the_null_vector_gradient_is_the_cross_products():
    # The null vector of a 2 x 3 matrix is the cross product of its rows, normalised:
    # the same sign-free loss written that way has the same gradient.
    a = _rng.normal(size=(2, 3))

    def by_cross_product(t):
        c = np.cross(t[0], t[1])
        null = c / np.linalg.norm(c)
        return np.sum(null * null[:1] * np.arange(1.0, 4.0))

    np.testing.assert_allclose(ad.grad(_null_vector_loss)(a), ad.grad(by_cross_product)(a),
                               rtol=1e-10, atol=1e-12)


def test_the_last_column_of_u_of_a_tall_matrix_has_a_gradient_and_a_hessian():
    a = _rng.normal(size=(4, 3))

    def loss(t):
        column = np.linalg.svd(t)[0][:, -1]
        return np.sum(column ** 2 * np.arange(4.0)) + np.sum(column * column[0])

    grad = ad.grad(loss)(a)
    numerical = central_difference(lambda x: loss(x.reshape(4, 3)), a.ravel())
    np.testing.assert_allclose(grad.ravel(), numerical, rtol=1e-6, atol=1e-8)
    hessian = ad.hessian(lambda x: loss(x.reshape(4, 3)))(a.ravel())
    gradient = ad.grad(lambda x: loss(x.reshape(4, 3)))
    steps = np.eye(12) * 1e-6
    expected = np.stack([(gradient(a.ravel() + h) - gradient(a.ravel() - h)) / 2e-6
                         for h in steps])
    np.testing.assert_allclose(hessian, expected, rtol=1e-5, atol=1e-6)


def test_a_projector_onto_a_wider_complement_has_the_forward_modes_gradient():
    # A 1 x 4 matrix has three complement rows in Vh: Q Q.T depends on their span only.
    a, weights = _rng.normal(size=(1, 4)), _rng.normal(size=(4, 4))

    def loss(t):
        q = np.linalg.svd(t)[2][1:]
        return np.sum((q.T @ q) * weights)

    grad = ad.grad(loss)(a)
    numerical = central_difference(lambda x: loss(x.reshape(1, 4)), a.ravel())
    np.testing.assert_allclose(grad.ravel(), numerical, rtol=1e-6, atol=1e-8)
    direction = _rng.normal(size=(1, 4))
    _, tangent = ad.jvp(loss, (a,), (direction,))
    np.testing.assert_allclose(tangent, np.sum(grad * direction), rtol=1e-10)


def test_a_use_of_one_vector_of_a_wider_complement_is_refused_with_the_span_named():
    t = ad.tensor(_rng.normal(size=(2, 5)), requires_grad=True)
    vh = np.linalg.svd(t)[2]
    with pytest.raises(ValueError, match=r"svd: with full_matrices=True the last 3 rows "
                                         r"of Vh are an arbitrary basis .*\(input shape "
                                         r"\(2, 5\)\).*depends only on their span.*a "
                                         r"rotation of those 3 rows of Vh"):
        (vh[-1] ** 2 * np.arange(5.0)).sum().backward()


def test_a_complement_unused_by_the_result_keeps_the_reduced_gradient():
    # Only the reduced rows used: the full SVD's gradient is the reduced one's.
    a = _rng.normal(size=(3, 5))

    def loss(t, full):
        u, s, vh = np.linalg.svd(t, full_matrices=full)
        return np.sum(s ** 2) + np.sum(vh[:3] * vh[:3, :1]) + np.sum(u * u[:1])

    np.testing.assert_allclose(ad.grad(lambda t: loss(t, True))(a),
                               ad.grad(lambda t: loss(t, False))(a), rtol=1e-12, atol=1e-14)


def test_complete_qr_of_a_tall_matrix_points_to_the_svd_for_the_normal():
    # The normal of a plane through the origin spanned by two measured directions:
    # complete QR's last column has no gradient (as in PyTorch); the refusal names the
    # SVD's, which equals the cross product's up to sign.
    a = _rng.normal(size=(3, 2))
    with pytest.raises(NotImplementedError, match=r"qr: mode='complete' has no gradient "
                                                  r".*mode='reduced'.*np\.linalg\.svd\(a\)"
                                                  r"\[0\]\[\.\.\., 2:\]"):
        ad.grad(lambda t: np.sum(np.linalg.qr(t, mode="complete")[0][:, -1]))(a)

    def by_svd(t):
        normal = np.linalg.svd(t)[0][:, -1]
        return np.sum(normal * normal[2] * np.array([1.0, 2.0, 3.0]))

    def by_cross_product(t):
        c = np.cross(t[:, 0], t[:, 1])
        normal = c / np.linalg.norm(c)
        return np.sum(normal * normal[2] * np.array([1.0, 2.0, 3.0]))

    np.testing.assert_allclose(ad.grad(by_svd)(a), ad.grad(by_cross_product)(a),
                               rtol=1e-10, atol=1e-12)


def test_a_float32_projector_onto_the_complement_is_not_refused_for_rounding():
    # Q.T g_Q is symmetric only up to rounding: float32's must not read as a basis use.
    a, weights = _rng.normal(size=(2, 5)), _rng.normal(size=(5, 5))

    def loss(t):
        q = np.linalg.svd(t)[2][2:]
        return np.sum((q.T @ q) * weights)

    grad32 = ad.grad(loss)(a.astype(np.float32))
    assert grad32.dtype == np.float32
    grad64 = ad.grad(loss)(a)
    np.testing.assert_allclose(grad32, grad64, rtol=1e-3, atol=1e-3 * np.abs(grad64).max())


_READINGS = np.linspace(0.0, 1.0, 20)


@pytest.mark.parametrize("histogram", [
    lambda hi: np.histogram(_READINGS, bins=4, range=(0.0, hi), density=True),
    lambda hi: np.histogram2d(_READINGS, _READINGS ** 2, bins=4,
                              range=[[0.0, hi], [0.0, 1.0]], density=True),
    lambda hi: np.histogramdd(np.stack([_READINGS, _READINGS], axis=1), bins=4,
                              range=[(0.0, hi), (0.0, 1.0)], density=True),
], ids=["histogram", "histogram2d", "histogramdd"])
def test_a_tensor_in_a_histograms_range_over_ndarray_data_is_explained(histogram):
    # NumPy runs its own code (the data are an ndarray) and failed on a line inside it,
    # an in-place `&=` into an ndarray or a reshape, naming neither range nor a remedy.
    with pytest.raises(TypeError, match=r"np\.histogram(2d|dd)? with a Tensor in range= "
                                        r"and its data an ndarray.*Give the bin edges "
                                        r"instead, bins=.*np\.linspace"):
        ad.grad(lambda p: np.sum(histogram(1.0 + 0.1 * p[0])[0]))(np.array([1.0]))


def test_the_advised_edges_give_the_density_its_gradient():
    def density_by_edges(p):
        edges = np.linspace(0.0, 1.0 + 0.1 * p[0], 5)
        return np.sum(np.histogram(_READINGS, bins=edges, density=True)[0] ** 2)

    p = np.array([1.0])
    expected = np.histogram(_READINGS, bins=4, range=(0.0, 1.1), density=True)[0]
    value, grad = ad.value_and_grad(density_by_edges)(p)
    np.testing.assert_allclose(value, np.sum(expected ** 2), rtol=1e-15)
    np.testing.assert_allclose(grad, central_difference(density_by_edges, p), rtol=1e-6)


_GRID = np.linspace(0.0, 1.0, 6)
_POINTS = np.array([-1.0, 0.5, 2.0])

#: (name, a NumPy call on ndarrays with a Tensor only where NumPy does not look for one,
#: the advice the refusal gives, the call written as advised)
_UNDISPATCHED = [
    ("interp", lambda p: np.interp(_POINTS, _GRID, _GRID ** 2, left=p[0], right=2 * p[1]),
     r"np\.interp hands the call to a Tensor only when x, xp or fp is one.*np\.where\(x < "
     r"xp\[0\], left",
     lambda p: np.where(_POINTS < _GRID[0], p[0], np.where(
         _POINTS > _GRID[-1], 2 * p[1], np.interp(_POINTS, _GRID, _GRID ** 2)))),
    ("piecewise", lambda p: np.piecewise(_GRID, [_GRID < 0.5, _GRID >= 0.5],
                                         [p[0], lambda x: x * p[1]]),
     r"np\.piecewise hands the call to a Tensor only when x or a condition is one: pass x "
     r"as a Tensor, ad\.tensor\(x\)",
     lambda p: np.piecewise(ad.tensor(_GRID), [_GRID < 0.5, _GRID >= 0.5],
                            [p[0], lambda x: x * p[1]])),
    ("apply_along_axis", lambda p: np.apply_along_axis(lambda row: np.sum(row * p), 1,
                                                       _GRID.reshape(3, 2)),
     r"np\.apply_along_axis hands the call to a Tensor only when the array is one: pass "
     r"ad\.tensor\(arr\)",
     lambda p: np.apply_along_axis(lambda row: np.sum(row * p), 1,
                                   ad.tensor(_GRID.reshape(3, 2)))),
    ("select", lambda p: np.select([_GRID < 0.3, _GRID > 0.7], [_GRID, 2 * _GRID],
                                   default=p[0]),
     r"np\.select hands the call to a Tensor only when condlist or choicelist holds one.*"
     r"np\.where\(np\.any\(condlist, axis=0\), np\.select\(condlist, choicelist\), default\)",
     lambda p: np.where(np.any([_GRID < 0.3, _GRID > 0.7], axis=0),
                        np.select([_GRID < 0.3, _GRID > 0.7], [_GRID, 2 * _GRID]), p[0])),
]


@pytest.mark.parametrize("call, advice, advised", [entry[1:] for entry in _UNDISPATCHED],
                         ids=[entry[0] for entry in _UNDISPATCHED])
def test_a_tensor_where_numpy_does_not_look_gets_advice_that_works(call, advice, advised):
    # These were told to "write it with NumPy functions that take the Tensor itself",
    # and np.select to np.stack its condition list.
    p = np.array([0.7, -0.4])
    with pytest.raises(TypeError, match=advice):
        ad.grad(lambda t: np.sum(call(t) ** 2))(p)
    expected = np.sum(call(p) ** 2)
    value, grad = ad.value_and_grad(lambda t: np.sum(advised(t) ** 2))(p)
    np.testing.assert_allclose(value, expected, rtol=1e-15)
    np.testing.assert_allclose(grad, central_difference(lambda a: np.sum(call(a) ** 2), p),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("reduction, advice", [
    (lambda p: np.sum(_GRID, initial=p[0]), r"np\.sum reads initial= as a number: "
                                            r"np\.sum\(a\) \+ t"),
    (lambda p: np.max(_GRID, initial=p[0]), r"np\.max reads initial= as a number: "
                                            r"np\.maximum\(np\.max\(a\), t\)"),
], ids=["sum", "max"])
def test_a_tensor_as_a_reductions_initial_is_named_under_numpys_error(reduction, advice):
    # NumPy replaces the conversion's TypeError with its own ValueError ("setting an
    # array element with a sequence") and keeps it as the cause, which names the fix.
    with pytest.raises(ValueError) as caught:
        ad.grad(reduction)(np.array([1.0]))
    assert isinstance(caught.value.__cause__, TypeError)
    assert re.search(advice, str(caught.value.__cause__))


def test_a_tensor_step_of_np_arange_is_named_with_a_grid_on_the_tape():
    # A time grid np.arange(0.0, duration, dt) with a parameter step: the refusal named
    # no function; the advised grid keeps the step on the tape with NumPy's values.
    def integral(p, grid):
        times = grid(0.1 + 0.01 * p[0])
        return np.sum(np.exp(-times) * (0.1 + 0.01 * p[0]))

    def by_arange(dt):
        return np.arange(0.0, 2.0, dt)

    def as_advised(dt):
        return 0.0 + dt * np.arange(int(np.ceil((2.0 - 0.0) / dt)))

    p = np.array([0.5])
    with pytest.raises(TypeError, match=r"by np\.arange, which reads its arguments as "
                                        r"numbers.*start \+ step \* np\.arange\(n\)"):
        ad.grad(lambda t: integral(t, by_arange))(p)
    value, grad = ad.value_and_grad(lambda t: integral(t, as_advised))(p)
    assert value == integral(p, by_arange)
    np.testing.assert_allclose(grad, central_difference(lambda a: integral(a, as_advised), p),
                               rtol=1e-6)
