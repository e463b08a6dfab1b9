"""What the fourth set of NumPy programs (test_numpy_programs_fourth.py) found, fixed or
refused clearly: np.cov's analytic weights, np.gradient's coordinates, np.interp's
sample points and np.quantile's q as Tensors that get a gradient (checked against
central differences and PyTorch's torch.cov/torch.gradient/torch.quantile); det's
second derivatives at singular matrices; np.maximum.reduceat and the other extremes'
reduceat; the float32 dtype kept; and, where NumPy makes an ndarray of a Tensor
(np.asarray(t), np.array([t, u]), np.full(n, t), np.sum([t, u])), a message naming
the call and what to write instead."""

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference

_rng = np.random.default_rng(20261207)
_X = _rng.normal(size=(9, 3))
_Y = _rng.normal(size=9)
_T = np.linspace(0.0, 2.0, 9)


def test_cov_analytic_weights_get_torch_covs_gradient():
    torch = pytest.importorskip("torch")
    data, weights = _X.T[:, :7], np.linspace(0.5, 2.0, 7)
    counts = np.array([1, 2, 1, 3, 1, 1, 2])
    for options in [{}, {"fweights": counts}]:
        def loss(w, options=options):
            return np.sum(np.cov(data, aweights=w, **options) ** 2)
        value, grad = ad.value_and_grad(loss)(weights)
        np.testing.assert_array_equal(value, loss(weights))
        np.testing.assert_allclose(grad, central_difference(loss, weights), rtol=1e-6)
        w = torch.tensor(weights, requires_grad=True)
        torch_counts = None if not options else torch.tensor(counts)
        (torch.cov(torch.tensor(data), fweights=torch_counts, aweights=w) ** 2).sum().backward()
        np.testing.assert_allclose(grad, w.grad.numpy(), rtol=1e-12)
    assert ad.gradgradcheck(lambda w: np.sum(np.cov(data, aweights=w) ** 2), [weights])


def test_cov_frequency_weights_that_require_grad_are_refused_naming_aweights():
    counts = ad.tensor(np.array([1.0, 2.0, 1.0]), requires_grad=True)
    with pytest.raises(TypeError, match=r"cov: fweights given as a Tensor that requires grad: "
                                        r"frequency weights are integer counts .*aweights"):
        np.cov(_X[:3].T, fweights=counts)


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("coordinates", [np.linspace(0.0, 2.0, 6),
                                         np.array([0.0, 0.3, 0.5, 1.1, 1.6, 2.0])],
                         ids=["equal steps", "unequal steps"])
def test_gradient_with_tensor_coordinates_reaches_every_coordinate(coordinates, edge_order):
    def derivative_energy(c):
        return np.sum(np.gradient(np.sin(3 * c), c, edge_order=edge_order) ** 2)
    value, grad = ad.value_and_grad(derivative_energy)(coordinates)
    np.testing.assert_array_equal(value, derivative_energy(coordinates))   # NumPy's formula
    numerical = central_difference(derivative_energy, coordinates)
    np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-6)
    assert np.all(grad != 0)        # not the first step's alone
    hessian = ad.hessian(derivative_energy)(coordinates)
    gradient = ad.grad(derivative_energy)
    np.testing.assert_allclose(hessian, np.stack([
        (gradient(coordinates + step) - gradient(coordinates - step)) / 2e-6
        for step in np.eye(coordinates.size) * 1e-6]), rtol=1e-5, atol=1e-5)
    torch = pytest.importorskip("torch")
    t = torch.tensor(coordinates, requires_grad=True)
    (d,) = torch.gradient(torch.sin(3 * t), spacing=(t,), edge_order=edge_order)
    (d ** 2).sum().backward()
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gradient_with_a_tensor_step_differentiates_in_the_step():
    samples = np.sin(_T)
    def energy(h):
        return np.sum(np.gradient(samples, h, edge_order=2) ** 2)
    value, grad = ad.value_and_grad(energy)(np.array(0.25))
    np.testing.assert_array_equal(value, energy(0.25))
    np.testing.assert_allclose(grad, (energy(0.25 + 1e-6) - energy(0.25 - 1e-6)) / 2e-6,
                               rtol=1e-7)


def test_gradient_with_traced_coordinates_is_refused_in_compile_naming_the_fix():
    compiled = ad.compile(lambda f, c: np.gradient(f, c))
    with pytest.raises(ad.TraceError, match=r"compile: gradient at .*reads the coordinates "
                                            r".*Pass them as a NumPy array from outside"):
        compiled(np.sin(_T), _T)


def test_complete_qr_of_a_tall_matrix_is_refused_as_pytorch_refuses_it():
    a = _X[:4].copy()
    with pytest.raises(NotImplementedError, match=r"qr: mode='complete' has no gradient for "
                                                  r"a of shape \(4, 3\).*mode='reduced'"):
        ad.grad(lambda t: np.sum(np.linalg.qr(t, mode="complete")[0]))(a)
    torch = pytest.importorskip("torch")
    q, _ = torch.linalg.qr(torch.tensor(a, requires_grad=True), mode="complete")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        q.sum().backward()


@pytest.mark.parametrize("singular", [
    np.array([[1.0, 2.0], [2.0, 4.0]]), np.zeros((3, 3)),
    np.outer([1.0, 2.0, 3.0], [0.5, -1.0, 2.0]),
    np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),
    np.diag([1.0, 2.0, 0.0, 3.0])],
    ids=["rank 1 of 2", "zero 3x3", "rank 1 of 3", "rank 2 of 3", "rank 3 of 4"])
def test_det_second_derivatives_at_singular_matrices(singular):
    """Collinear points (a zero triangle area) and flat tetrahedra have singular edge
    matrices; the Hessian of det is a polynomial's, defined there too."""
    hessian = ad.hessian(np.linalg.det)(singular)
    gradient = ad.grad(np.linalg.det)
    steps = np.eye(singular.size).reshape((singular.size,) + singular.shape) * 1e-6
    numerical = np.stack([(gradient(singular + s) - gradient(singular - s)) / 2e-6
                          for s in steps]).reshape(hessian.shape)
    np.testing.assert_allclose(hessian, numerical, atol=1e-6)
    assert ad.gradgradcheck(lambda a: np.linalg.det(a) ** 2 + np.linalg.det(a), [singular])
    torch = pytest.importorskip("torch")
    reference = torch.autograd.functional.hessian(torch.linalg.det, torch.tensor(singular))
    if np.any(singular):            # (PyTorch's is NaN at the zero matrix)
        np.testing.assert_allclose(hessian, reference.numpy(), atol=1e-12)


def test_det_hessian_of_a_stack_with_one_singular_matrix():
    stack = np.stack([np.outer([1.0, 2.0], [3.0, 4.0]), _X[:2, :2]])
    hessian = ad.hessian(lambda a: np.sum(np.linalg.det(a) * [1.0, 2.0]))(stack)
    gradient = ad.grad(lambda a: np.sum(np.linalg.det(a) * [1.0, 2.0]))
    numerical = np.stack([(gradient(stack + s) - gradient(stack - s)) / 2e-6
                          for s in np.eye(8).reshape(8, 2, 2, 2) * 1e-6]).reshape(hessian.shape)
    np.testing.assert_allclose(hessian, numerical, atol=1e-6)


def test_np_put_with_a_list_holding_a_tensor_is_refused_naming_stack():
    def put_list(p):
        d = p.copy()
        np.put(d, [0, 3], [p[1], 7.0])
        return np.sum(d ** 2)
    p = _rng.normal(size=5)
    with pytest.raises(TypeError, match=r"converted to a NumPy array .*ad\.stack"):
        ad.grad(put_list)(p)

    def put_stacked(p):
        d = p.copy()
        np.put(d, [0, 3], np.stack([p[1], np.full_like(p[1], 7.0)]))
        return np.sum(d ** 2)
    np.testing.assert_allclose(ad.grad(put_stacked)(p), central_difference(put_list, p),
                               rtol=1e-6)


def _float32_program(xp, p):
    counts = xp.arange(4, dtype=xp.int8)           # (int64 would promote to float64)
    w = xp.asarray(_X[:4, :2].T, dtype=xp.float32)
    hidden = xp.tanh(w @ p) * counts[:2]
    return xp.sum(hidden ** 2) / 3 + xp.mean(p) * 2.0 + xp.linalg.norm(p) + xp.var(p)


def test_float32_parameters_keep_float32_and_float64_data_promotes_as_numpy():
    p = _rng.normal(size=4).astype(np.float32)
    value, grad = ad.value_and_grad(lambda t: _float32_program(np, t))(p)
    expected = _float32_program(np, p)
    assert value.dtype == expected.dtype == np.float32 and grad.dtype == np.float32
    np.testing.assert_array_equal(value, expected)
    wide = ad.grad(lambda t: _float32_program(np, t.astype(np.float64)))(p.astype(np.float64))
    np.testing.assert_allclose(grad, wide, rtol=1e-5)
    # a float64 ndarray or NumPy float64 scalar promotes, as NumPy promotes (NEP 50)
    for mixed in [lambda t: np.sum(t @ np.ones(4)), lambda t: np.sum(t * np.float64(2.0)),
                  lambda t: np.sum(t * np.arange(4))]:
        value = mixed(ad.tensor(p, requires_grad=True))
        assert value.dtype == mixed(p).dtype == np.float64
        assert ad.grad(mixed)(p).dtype == np.float32      # a gradient has its input's dtype


def _defensive_asarray(p):
    x = np.asarray(p)                  # the habit of functions written for array-likes
    return np.sum(x ** 2)


def _matrix_from_entries(p):
    return np.sum(np.array([p[0], p[1]]) ** 2)


def _filled(p):
    return np.sum(np.full(3, p[1]) * p[:3])


def _sum_of_a_list(p):
    return np.sum([p[0] ** 2, p[1], 0.5])


@pytest.mark.parametrize("program, message, fixed", [
    (_defensive_asarray, r"by np\.asarray, which always makes an ndarray .*the call can go",
     lambda t: np.sum(t ** 2)),
    (_matrix_from_entries, r"by np\.array, .*for a list that holds Tensors, np\.stack\(list\)",
     lambda t: np.sum(np.stack([t[0], t[1]]) ** 2)),
    (_filled, r"by np\.full, NumPy code that makes arrays of its arguments .*"
              r"np\.full_like\(t, value, shape=shape\)",
     lambda t: np.sum(np.full_like(t, t[1], shape=3) * t[:3])),
    (_sum_of_a_list, r"by np\.sum, which does not look inside a list for Tensors .*"
                     r"np\.sum\(np\.stack\(list\)\)",
     lambda t: np.sum(np.stack([t[0] ** 2, t[1], 0.5]))),
], ids=["asarray", "array of a list", "full", "sum of a list"])
def test_numpy_calls_that_always_make_an_ndarray_are_named_with_the_fix(program, message,
                                                                        fixed):
    p = _rng.normal(size=4)
    with pytest.raises(TypeError, match=message + r".* at .*test_numpy_fourth_findings\.py"):
        ad.grad(program)(p)
    with pytest.warns(ad.TapeDropWarning, match=message):
        program(ad.tensor(p, requires_grad=True))
    # written as the message says, it differentiates
    np.testing.assert_allclose(ad.grad(fixed)(p), central_difference(program, p), rtol=1e-6)


def test_interp_differentiates_in_its_sample_points():
    """Learned knot positions of a piecewise-linear calibration curve."""
    x = np.linspace(-0.45, 3.45, 9)                     # none on a knot; two outside
    def calibration(knots, values):
        return np.sum(np.interp(x, knots, values, left=-1.0) ** 2 * np.arange(1.0, 10.0))
    knots, values = np.array([0.0, 1.1, 1.9, 3.2]), np.array([0.0, 1.0, 4.0, 9.0])
    value, (grad_knots, grad_values) = ad.value_and_grad(calibration, argnums=(0, 1))(
        knots, values)
    np.testing.assert_array_equal(value, calibration(knots, values))
    np.testing.assert_allclose(grad_knots, central_difference(
        lambda k: calibration(k, values), knots), rtol=1e-6)
    np.testing.assert_allclose(grad_values, central_difference(
        lambda v: calibration(knots, v), values), rtol=1e-6)
    assert ad.gradgradcheck(lambda k: calibration(k, values ** 2), [knots])
    # at a knot NumPy returns fp there; the derivatives are the segment's on its right
    at_knots = ad.grad(lambda k: np.sum(np.interp(knots[:3], k, values)))(knots)
    slopes = np.diff(values) / np.diff(knots)
    np.testing.assert_allclose(at_knots, np.append(-slopes, 0.0), rtol=1e-12)


@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum, np.fmax, np.fmin])
@pytest.mark.parametrize("indices, axis", [([0, 2, 5], 1), ([3, 1, 6, 6], -1), ([2, 0], 0)],
                         ids=["segments", "not increasing", "axis 0"])
def test_segment_extremes_by_reduceat_are_numpys_and_differentiate(ufunc, indices, axis):
    """Max-pooling over ragged groups of columns, as np.maximum.reduceat writes it."""
    x = _rng.normal(size=(3, 7))
    def pooled(t):
        return np.sum(ufunc.reduceat(t, indices, axis=axis) ** 2 * 1.5)
    value, grad = ad.value_and_grad(pooled)(x)
    np.testing.assert_array_equal(value, pooled(x))
    numerical = central_difference(lambda a: pooled(a.reshape(3, 7)), x.ravel())
    np.testing.assert_allclose(grad, numerical.reshape(3, 7), rtol=1e-6, atol=1e-6)
    compiled = ad.compile(lambda t: ufunc.reduceat(t, indices, axis=axis))
    for call in range(2):
        t = _rng.normal(size=(3, 7))
        np.testing.assert_array_equal(compiled(t).data, ufunc.reduceat(t, indices, axis=axis))


def test_segment_extremes_refuse_as_numpy_refuses():
    t = ad.tensor(_rng.normal(size=(3, 7)), requires_grad=True)
    with pytest.raises(IndexError, match=r"index 9 out-of-bounds in maximum\.reduceat"):
        np.maximum.reduceat(t, [0, 9], axis=1)
    with pytest.raises(TypeError, match=r"numpy\.minimum\.reduceat: indices must be integers"):
        np.minimum.reduceat(t, [0.5])
    assert np.maximum.reduceat(t, [], axis=1).shape == (3, 0)
    with pytest.raises(ad.TraceError, match=r"maximum\.reduceat .*slices the segments"):
        ad.compile(lambda a, i: np.maximum.reduceat(a, i))(np.ones(4), np.array([0, 2]))


@pytest.mark.parametrize("method", ["linear", "hazen", "weibull", "median_unbiased",
                                    "normal_unbiased", "interpolated_inverted_cdf",
                                    "lower", "nearest", "midpoint", "averaged_inverted_cdf"])
def test_quantile_differentiates_in_q(method):
    """A learned quantile level (a threshold at the q-th quantile of scores)."""
    levels = np.array([0.13, 0.52, 0.97])
    def thresholds(q):
        return (np.sum(np.quantile(_X, q, axis=0, method=method) ** 2)
                + np.sum(np.percentile(_Y, q * 100, method=method)))
    value, grad = ad.value_and_grad(thresholds)(levels)
    np.testing.assert_array_equal(value, thresholds(levels))
    np.testing.assert_allclose(grad, central_difference(thresholds, levels), atol=1e-6)
    if method == "linear":
        assert ad.gradgradcheck(lambda v, q: np.sum(np.quantile(v, q) ** 2), [_Y, levels])


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_tensor_quantile_gradient_in_q_is_torchs(interpolation):
    torch = pytest.importorskip("torch")
    q = ad.tensor([0.2, 0.65], requires_grad=True)
    y = ad.tensor(_X.T).quantile(q, dim=1, interpolation=interpolation)
    expected_q = torch.tensor([0.2, 0.65], dtype=torch.float64, requires_grad=True)
    expected = torch.tensor(_X.T).quantile(expected_q, dim=1, interpolation=interpolation)
    np.testing.assert_array_equal(y.data, expected.detach().numpy())
    assert y.requires_grad == expected.requires_grad   # (a step function of q: not linked)
    if expected.requires_grad:
        (y ** 2).sum().backward()
        (expected ** 2).sum().backward()
        np.testing.assert_allclose(q.grad, expected_q.grad.numpy(), rtol=1e-12)
