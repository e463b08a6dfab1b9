"""Focused tests of what the twelfth round of NumPy programs found
(test_numpy_programs_twelfth.py and the probes around it): NumPy 2's vector products
``np.vecdot`` (and ``np.linalg.vecdot``), ``np.matvec`` and ``np.vecmat`` refused
complex operands that require grad, while ``np.dot``, ``np.vdot``, ``np.inner``,
``np.einsum`` and ``@`` took them; and Tensors given as the values that fill, in
``np.pad(constant_values=)`` (a border of the image's mean) and ``np.nan_to_num(nan=,
posinf=, neginf=)`` (missing readings imputed by ``np.nanmean``), were refused; and the
2- and Frobenius norms of complex arrays (``np.linalg.norm``, ``vector_norm``,
``matrix_norm``), and the norm of a real transposed matrix, differed from NumPy's in
the last bit in many draws (they summed |z| squared, or in row order, where NumPy sums
the real and imaginary parts' squares, in memory order).  Probing around those: the
variances of complex Tensors with ``where=``, ``mean=`` (and ``np.nanvar``/``nanstd``)
came back off the tape, silently (a zero gradient), ``np.sum``/``np.mean`` with
``where=`` refused complex values, and ``np.convolve``/``np.correlate`` differed in
the last bit at the edges of modes 'full' and 'same' (complex values, long kernels);
``np.corrcoef`` of complex variables failed naming an inner ``clip``, and
``np.histogram`` with complex weights blamed ``a``'s real dtype."""

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference

_rng = np.random.default_rng(20261212)


def _complex(*shape):
    return _rng.normal(size=shape) + 1j * _rng.normal(size=shape)


def _split(theta, *shapes):
    """Complex arrays of ``shapes`` from a real parameter vector (real parts, then
    imaginary parts, of each in turn)."""
    arrays, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        real, imag = theta[start:start + size], theta[start + size:start + 2 * size]
        arrays.append((real + 1j * imag).reshape(shape))
        start += 2 * size
    return arrays


#: (name, function of complex operands, operand shapes): each keeps NumPy's spelling
_PRODUCTS = [
    ("vecdot", lambda a, b: np.vecdot(a, b), [(4,), (4,)]),
    ("vecdot batched", lambda a, b: np.vecdot(a, b), [(2, 3, 4), (3, 4)]),
    ("vecdot axis=0 keepdims", lambda a, b: np.vecdot(a, b, axis=0, keepdims=True),
     [(4, 3), (4, 1)]),
    ("linalg.vecdot", lambda a, b: np.linalg.vecdot(a, b, axis=-2), [(3, 2), (3, 2)]),
    ("matvec", lambda m, v: np.matvec(m, v), [(3, 4), (4,)]),
    ("matvec batched", lambda m, v: np.matvec(m, v), [(2, 3, 4), (2, 1, 4)]),
    ("vecmat", lambda v, m: np.vecmat(v, m), [(3,), (3, 4)]),
    ("vecmat batched", lambda v, m: np.vecmat(v, m), [(2, 3), (1, 3, 4)]),
]


def _loss(product, weights):
    """A real loss that reads both the real and the imaginary parts of ``product``."""
    return lambda *operands: (np.abs(product(*operands) * weights) ** 2).sum()


@pytest.mark.parametrize("name, product, shapes", _PRODUCTS, ids=[p[0] for p in _PRODUCTS])
def test_a_complex_vector_product_gives_numpys_value_and_the_gradient_of_its_parts(
        name, product, shapes):
    operands = [_complex(*shape) for shape in shapes]
    expected = product(*operands)
    weights = _rng.uniform(0.5, 1.5, size=expected.shape) * (1 - 0.5j)
    tensors = [ad.tensor(a, requires_grad=True) for a in operands]
    result = product(*tensors)
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result.data, expected)
    _loss(product, weights)(*tensors).backward()
    # PyTorch's convention: z.grad = dL/dRe z + i dL/dIm z
    theta = np.concatenate([part for a in operands for part in (a.real.ravel(), a.imag.ravel())])
    numerical = central_difference(lambda t: _loss(product, weights)(*_split(t, *shapes)), theta)
    for tensor, gradient in zip(tensors, _split(numerical, *shapes)):
        np.testing.assert_allclose(tensor.grad, gradient, rtol=1e-6, atol=1e-8)


def test_a_real_vector_with_a_complex_one_gets_the_real_gradient():
    real, matrix = _rng.normal(size=3), _complex(3, 4)
    x = ad.tensor(real, requires_grad=True)
    loss = (np.abs(np.vecmat(x, matrix)) ** 2).sum()
    loss.backward()
    assert x.grad.dtype == np.float64
    numerical = central_difference(lambda v: (np.abs(np.vecmat(v, matrix)) ** 2).sum(), real)
    np.testing.assert_allclose(x.grad, numerical, rtol=1e-7)


def test_the_complex_vector_products_match_pytorch():
    torch = pytest.importorskip("torch")
    a, b, m = _complex(2, 4), _complex(2, 4), _complex(4, 3)
    tensors = [ad.tensor(v, requires_grad=True) for v in (a, b, m)]
    ta, tb, tm = (torch.tensor(v, requires_grad=True) for v in (a, b, m))
    ours = (np.abs(np.vecdot(tensors[0], tensors[1])) ** 2).sum() + np.abs(
        np.vecmat(tensors[0], tensors[2])).sum() + np.abs(
        np.matvec(np.swapaxes(tensors[2], 0, 1), tensors[1])).sum()
    theirs = (torch.linalg.vecdot(ta, tb).abs() ** 2).sum() + (
        ta.conj() @ tm).abs().sum() + (tb @ tm).abs().sum()
    ours.backward()
    theirs.backward()
    for tensor, reference in zip(tensors, (ta, tb, tm)):
        np.testing.assert_allclose(tensor.grad, reference.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_an_op_without_complex_rules_still_names_itself_and_the_real_route():
    z = ad.tensor(_complex(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"fmax: its gradient rule is written for real "
                                        r"numbers.*z\.real.*vecdot, matvec, vecmat"):
        np.fmax(z, z)


# ---- Tensors as the values that fill: np.pad(constant_values=), np.nan_to_num(nan=)

_WEIGHTS = np.sqrt(np.arange(1.0, 50.0))


def _weighted(values):
    return (values * _WEIGHTS[:values.size].reshape(values.shape)).sum()


#: (name, pad widths, constant_values from the parameters, shape padded)
_PADS = [
    ("the mean", 1, lambda p: p.mean(), (3, 4)),
    ("a (before, after) pair", (1, 2), lambda p: (p[0], p[1] ** 2), (3, 4)),
    ("numbers and Tensors per axis", ((1, 2), (2, 1)), lambda p: ((p[0], 1.5), (-2.0, p[3])),
     (3, 4)),
    ("a Tensor of two", 2, lambda p: p[:2] * 3, (5,)),
    ("a Tensor of shape (2, 1)", 1, lambda p: p[:2].reshape(2, 1), (3, 4)),
    ("a Tensor of shape (1, 2)", 1, lambda p: p[:2].reshape(1, 2), (3, 4)),
    ("a Tensor per axis of a 3-D array", ((1, 0), (0, 1), (1, 1)), lambda p: p[:6].reshape(3, 2),
     (2, 2, 3)),
    ("a list of 0-d Tensors", 1, lambda p: [p[4], p[5]], (3, 4)),
    ("no padding", 0, lambda p: p[0], (3, 4)),
]


@pytest.mark.parametrize("name, widths, values, shape", _PADS, ids=[p[0] for p in _PADS])
def test_pad_with_constant_values_that_hold_tensors_is_numpys_with_their_gradient(
        name, widths, values, shape):
    p0 = _rng.normal(size=int(np.prod(shape)))

    def padded(p):
        return np.pad(p.reshape(shape), widths, constant_values=values(p))

    def numbers(p):         # NumPy's own padding, the values as numbers
        return np.pad(p.reshape(shape), widths, constant_values=np.array(
            np.broadcast_arrays(*values(p)) if isinstance(values(p), list) else values(p)))

    result = padded(ad.tensor(p0, requires_grad=True))
    assert result.requires_grad
    np.testing.assert_array_equal(result.data, numbers(p0))
    gradient = ad.grad(lambda p: _weighted(padded(p)))(p0)
    np.testing.assert_allclose(gradient, central_difference(lambda p: _weighted(numbers(p)), p0),
                               rtol=1e-7, atol=1e-9)


def test_pad_casts_tensor_values_to_the_arrays_dtype_as_numpy_writes_them():
    data = np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float32)
    border = ad.tensor(1 / 3, requires_grad=True)
    padded = np.pad(ad.tensor(data), 1, constant_values=border)
    expected = np.pad(data, 1, constant_values=1 / 3)
    assert padded.dtype == np.float32
    np.testing.assert_array_equal(padded.data, expected)
    padded.sum().backward()
    assert border.grad == 12.0


def test_pad_of_an_ndarray_with_tensor_values_names_the_fix():
    border = ad.tensor(2.0, requires_grad=True)
    with pytest.raises(TypeError, match=r"by np\.pad.*pad ad\.tensor\(a\) \(or call ad\.pad\)"):
        ad.grad(lambda b: np.pad(np.ones(2), 1, constant_values=b).sum())(border)


def _with_gaps(p):
    """Readings with NaN where p > 1 and -inf where p < -1."""
    return np.where(p > 1, np.nan, np.where(p < -1, -np.inf, p))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nan_to_num_imputes_by_tensors_with_their_gradient(dtype):
    p0 = np.array([0.5, 1.5, -2.0, 0.25, 3.0, -0.75, -1.5, 0.9], dtype=dtype)

    def imputed(p):
        readings = _with_gaps(p)
        mean = np.nanmean(np.where(np.isinf(readings), np.nan, readings))
        return np.nan_to_num(readings, nan=mean, neginf=p[0] * 2)

    def numbers(p):
        readings = _with_gaps(p)
        mean = np.nanmean(np.where(np.isinf(readings), np.nan, readings))
        return np.nan_to_num(readings, nan=float(mean), neginf=float(p[0] * 2))

    result = imputed(ad.tensor(p0, requires_grad=True))
    assert result.dtype == dtype and result.requires_grad
    np.testing.assert_array_equal(result.data, numbers(p0))
    gradient = ad.grad(lambda p: _weighted(imputed(p)))(p0)
    assert gradient.dtype == dtype
    p64 = p0.astype(np.float64)
    np.testing.assert_allclose(gradient, central_difference(lambda p: _weighted(imputed(p)), p64),
                               rtol=1e-6 if dtype == np.float64 else 1e-3, atol=1e-6)


def test_nan_to_num_with_a_tensor_per_column_and_copy_false():
    grid = np.array([[1.0, np.nan, 3.0], [np.inf, 5.0, np.nan]])
    fill = ad.tensor(np.array([10.0, 20.0, 30.0]), requires_grad=True)
    x = ad.tensor(grid.copy(), requires_grad=True)
    y = x * 1.0
    same = np.nan_to_num(y, copy=False, nan=fill, posinf=fill[0] * 2)
    assert same is y
    np.testing.assert_array_equal(y.data, [[1.0, 20.0, 3.0], [20.0, 5.0, 30.0]])
    (y * np.arange(6.0).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(fill.grad, [6.0, 1.0, 5.0])
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 2.0], [0.0, 4.0, 0.0]])


def test_nan_to_num_refuses_tensor_replacements_it_cannot_place():
    fill = ad.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    with pytest.raises(ValueError, match=r"nan_to_num: nan= of shape \(3,\) does not "
                                         r"broadcast to x's shape \(2,\)"):
        np.nan_to_num(ad.tensor(np.array([np.nan, 1.0])), nan=fill)
    with pytest.raises(TypeError, match=r"nan_to_num: replacements given as Tensors are "
                                        r"supported for real arrays, not complex128"):
        np.nan_to_num(ad.tensor(np.array([np.nan + 1j])), nan=fill[0])


def test_a_compiled_step_replays_tensor_fills_on_new_values():
    fill, border = (ad.tensor(v, requires_grad=True) for v in (5.0, 2.0))

    @ad.compile
    def step(x):
        fill.grad = border.grad = None
        loss = (np.nan_to_num(x, nan=fill) * np.arange(3.0)).sum() + (
            np.pad(np.zeros_like(x), 1, constant_values=border) * np.arange(1.0, 6.0)).sum()
        loss.backward()
        return loss.detach(), fill.grad, border.grad

    for data in ([np.nan, 1.0, 2.0], [1.0, np.nan, np.nan], [1.0, 2.0, 3.0]):
        data = np.array(data)
        loss, fill_grad, border_grad = step(ad.tensor(data))
        expected = (np.nan_to_num(data, nan=5.0) * np.arange(3.0)).sum() + 2.0 * (1 + 5)
        assert loss.item() == expected
        assert fill_grad == np.isnan(data) @ np.arange(3.0) and border_grad == 6.0


# ---- norms to NumPy's last bit: complex 2- and Frobenius norms, transposed matrices

#: (name, norm of ``m``'s namespace): the 2- and Frobenius norms NumPy sums squares for
_EUCLIDEAN_NORMS = [
    ("norm", lambda m, z: m.linalg.norm(z)),
    ("norm of the flattened", lambda m, z: m.linalg.norm(z.reshape(-1), 2)),
    ("norm 'fro'", lambda m, z: m.linalg.norm(z, "fro")),
    ("norm 'fro' over axes", lambda m, z: m.linalg.norm(z, "fro", axis=(1, 0))),
    ("norm over an axis", lambda m, z: m.linalg.norm(z, axis=0)),
    ("norm over the last axis kept", lambda m, z: m.linalg.norm(z, axis=-1, keepdims=True)),
    ("vector_norm", lambda m, z: m.linalg.vector_norm(z)),
    ("vector_norm over a tuple of axes", lambda m, z: m.linalg.vector_norm(z, axis=(0, 1))),
    ("matrix_norm", lambda m, z: m.linalg.matrix_norm(z)),
]


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("name, norm", _EUCLIDEAN_NORMS, ids=[n[0] for n in _EUCLIDEAN_NORMS])
def test_complex_euclidean_norms_are_numpys_to_the_bit(name, norm, dtype):
    # about two draws in five differed in the last bit before
    rng = np.random.default_rng(7)
    for shape in [(3, 4), (5, 7), (4, 9), (6, 6)]:
        for _ in range(6):
            z = (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(dtype)
            expected = norm(np, z)
            result = norm(np, ad.tensor(z, requires_grad=True))
            assert result.dtype == np.asarray(expected).dtype
            np.testing.assert_array_equal(result.data, expected)


@pytest.mark.parametrize("name, norm", _EUCLIDEAN_NORMS, ids=[n[0] for n in _EUCLIDEAN_NORMS])
def test_complex_euclidean_norms_gradients_match_central_differences(name, norm):
    z0 = _complex(3, 4)
    shape = np.shape(norm(np, z0))
    weights = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)

    def loss(z):
        return (norm(np, z) * weights).sum()

    z = ad.tensor(z0, requires_grad=True)
    loss(z).backward()
    theta = np.concatenate([z0.real.ravel(), z0.imag.ravel()])
    numerical = central_difference(lambda t: loss((t[:12] + 1j * t[12:]).reshape(3, 4)), theta)
    np.testing.assert_allclose(z.grad, (numerical[:12] + 1j * numerical[12:]).reshape(3, 4),
                               rtol=1e-7, atol=1e-9)


def test_complex_norms_second_order_and_forward_mode():
    p0 = _rng.normal(size=8)

    def program(p):
        z = p[:4] + 1j * p[4:]
        return np.linalg.norm(z ** 2) + np.linalg.norm(z.reshape(2, 2), axis=0).sum()

    gradient = ad.grad(program)
    numerical = np.stack([(gradient(p0 + step) - gradient(p0 - step)) / 2e-6
                          for step in np.eye(8) * 1e-6])
    np.testing.assert_allclose(ad.hessian(program)(p0), numerical, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ad.jacfwd(program)(p0), gradient(p0), rtol=1e-12)


def test_complex_norms_match_pytorch():
    torch = pytest.importorskip("torch")
    z0 = _complex(3, 4)
    z, tz = ad.tensor(z0, requires_grad=True), torch.tensor(z0, requires_grad=True)
    (np.linalg.norm(z) + np.linalg.norm(z, axis=1).sum()
     + np.linalg.matrix_norm(z)).backward()
    (torch.linalg.norm(tz) + torch.linalg.norm(tz, dim=1).sum()
     + torch.linalg.matrix_norm(tz)).backward()
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-12)


def test_the_norm_of_a_transposed_matrix_sums_in_numpys_order():
    # NumPy ravels in memory order (order='K'); in row order about a draw in ten
    # differed in the last bit
    rng = np.random.default_rng(8)
    for _ in range(60):
        a = rng.normal(size=(5, 7))
        t = ad.tensor(a, requires_grad=True)
        np.testing.assert_array_equal(np.linalg.norm(t.T).data, np.linalg.norm(a.T))
        np.testing.assert_array_equal(np.linalg.norm(t.T, "fro").data, np.linalg.norm(a.T, "fro"))


# ---- complex reductions with where=, complex variances, convolution edges

_MASK = np.array([[True, False, True, True, False], [True, True, True, False, True],
                  [False, True, True, True, True], [True, True, False, True, True]])

#: (name, a reduction of complex values that NumPy computes with where=, mean= or NaNs)
_COMPLEX_REDUCTIONS = [
    ("sum where", lambda z: np.abs(np.sum(z, axis=1, where=_MASK))),
    ("mean where", lambda z: np.abs(np.mean(z, axis=0, where=_MASK))),
    ("sum where initial", lambda z: np.abs(np.sum(z, where=_MASK, initial=1 - 2j))),
    ("var where", lambda z: np.var(z, where=_MASK)),
    ("std where ddof=1", lambda z: np.std(z, axis=1, where=_MASK, ddof=1)),
    ("var mean=", lambda z: np.var(z, axis=0, mean=np.mean(z, axis=0, keepdims=True))),
    ("nanvar", lambda z: np.nanvar(z, axis=0)),
    ("nanstd", lambda z: np.nanstd(z, axis=1, ddof=1)),
    ("nanvar where", lambda z: np.nanvar(z, where=_MASK)),
]


def _complex_with_nan():
    z = _complex(4, 5)
    z[1, 2] = np.nan
    z[3, 0] = 1 + np.nan * 1j
    return z


@pytest.mark.parametrize("name, reduction", _COMPLEX_REDUCTIONS,
                         ids=[r[0] for r in _COMPLEX_REDUCTIONS])
def test_complex_reductions_with_where_and_nans_are_numpys_with_the_gradient(name, reduction):
    # (the second in memory order transposed, whose sums NumPy takes in that order)
    for z0 in (_complex_with_nan() if "nan" in name else _complex(4, 5),
               _complex_with_nan().T.copy().T if "nan" in name else _complex(5, 4).T):
        result = reduction(ad.tensor(z0, requires_grad=True))
        assert result.requires_grad
        np.testing.assert_array_equal(result.data, reduction(z0))
    weights = np.arange(1.0, 1.0 + result.size).reshape(result.shape)

    def loss(z):
        return np.nansum(reduction(z) * weights)

    z = ad.tensor(z0, requires_grad=True)
    loss(z).backward()
    theta = np.concatenate([z0.real.ravel(), z0.imag.ravel()])
    numerical = central_difference(lambda t: loss((t[:20] + 1j * t[20:]).reshape(z0.shape)),
                                   theta)
    finite = ~np.isnan(z0)
    np.testing.assert_allclose(z.grad[finite],
                               (numerical[:20] + 1j * numerical[20:]).reshape(z0.shape)[finite],
                               rtol=1e-6, atol=1e-8)


def test_complex_variances_match_pytorch():
    torch = pytest.importorskip("torch")
    z0 = _complex(4, 5)
    z, tz = ad.tensor(z0, requires_grad=True), torch.tensor(z0, requires_grad=True)
    (np.nanvar(z, axis=1).sum() + np.std(z, ddof=1, where=True)).backward()
    (tz.var(dim=1, correction=0).sum() + tz.std(correction=1)).backward()
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-12)


@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")    # (NumPy's own run)
def test_complex_variance_with_dtype_of_a_tensor_that_requires_grad_is_refused():
    z = ad.tensor(_complex(4, 5), requires_grad=True)
    with pytest.raises(TypeError, match=r"np\.var of a complex Tensor that requires grad "
                                        r"\(shape \(4, 5\), dtype complex128\) with dtype= "
                                        r"or out= is not supported"):
        np.var(z, where=_MASK, dtype=np.float64)


@pytest.mark.parametrize("complex_values", [False, True])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("sizes", [(20, 20), (50, 30), (9, 8), (25, 3)])
def test_convolve_and_correlate_are_numpys_at_the_edges(sizes, mode, complex_values):
    # the edges summed zeros padded in with the overlap: the last bit differed for
    # complex values and for real kernels past 16 taps
    rng = np.random.default_rng(sum(sizes))
    for _ in range(3):
        a, v = rng.normal(size=sizes[0]), rng.normal(size=sizes[1])
        if complex_values:
            a, v = a + 1j * rng.normal(size=a.size), v + 1j * rng.normal(size=v.size)
        for function in (np.convolve, np.correlate):
            for first, second in ((a, v), (v, a)):
                result = function(ad.tensor(first, requires_grad=True), ad.tensor(second), mode)
                np.testing.assert_array_equal(result.data, function(first, second, mode))


def test_convolve_with_a_long_kernel_differentiates_at_the_edges():
    signal, kernel = _rng.normal(size=20), _rng.normal(size=14)
    weights = np.arange(1.0, 21.0)
    gradient = ad.grad(lambda s: (np.convolve(s, kernel, "same") * weights).sum())(signal)
    numerical = central_difference(lambda s: (np.convolve(s, kernel, "same") * weights).sum(),
                                   signal)
    np.testing.assert_allclose(gradient, numerical, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_corrcoef_of_complex_variables_is_numpys_with_the_gradient(dtype):
    rng = np.random.default_rng(9)
    for _ in range(8):
        z0 = (rng.normal(size=(3, 6)) + 1j * rng.normal(size=(3, 6))).astype(dtype)
        result = np.corrcoef(ad.tensor(z0, requires_grad=True))
        assert result.dtype == np.corrcoef(z0).dtype and result.requires_grad
        np.testing.assert_array_equal(result.data, np.corrcoef(z0))
        np.testing.assert_array_equal(
            np.corrcoef(ad.tensor(z0[0], requires_grad=True), z0[1]).data,
            np.corrcoef(z0[0], z0[1]))
    z0 = _complex(3, 6)
    weights = np.arange(9.0).reshape(3, 3)

    def loss(z):
        return (np.abs(np.corrcoef(z)) * weights).sum()

    z = ad.tensor(z0, requires_grad=True)
    loss(z).backward()
    numerical = central_difference(lambda t: loss((t[:18] + 1j * t[18:]).reshape(3, 6)),
                                   np.concatenate([z0.real.ravel(), z0.imag.ravel()]))
    np.testing.assert_allclose(z.grad, (numerical[:18] + 1j * numerical[18:]).reshape(3, 6),
                               rtol=1e-6, atol=1e-8)


def test_histogram_with_complex_weights_names_them_and_the_fix():
    weights = ad.tensor(_complex(5), requires_grad=True)
    with pytest.raises(TypeError, match=r"histogram: complex weights \(of dtype complex128\) "
                                        r"are not supported; weigh by the parts apart"):
        np.histogram(np.arange(5.0), bins=2, weights=weights)
