"""Focused tests of what the eleventh round of NumPy programs found
(test_numpy_programs_eleventh.py and the probes around it): ``np.real_if_close`` of a
complex Tensor on the tape dropped the gradient (its real result came back off the
tape, silently); ``np.dot`` with an operand beyond 2-D summed in another order than
NumPy's (an einsum), so its last bit differed in most draws; ``np.interp`` refused a
complex ``fp``; a list holding Tensors in ``np.polyint(k=)`` or ``np.ediff1d(to_end=)``
was dropped from the tape; and ``np.logspace`` and ``np.pad(mode='linear_ramp')`` of
float32 data computed in another dtype than NumPy."""

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference


def _circular_convolution(v):
    """Complex, with imaginary parts of rounding size (the product of two real signals'
    spectra is Hermitian)."""
    return np.fft.ifft(np.fft.fft(v) * np.fft.fft(np.array([0.5, 0.3, 0.0, 0.2])))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_real_if_close_of_a_complex_tensor_on_the_tape_keeps_the_gradient(dtype):
    x0 = np.array([0.5, -1.0, 2.0, 0.25], dtype=dtype)
    x = ad.tensor(x0, requires_grad=True)
    real = np.real_if_close(_circular_convolution(x), tol=1000)
    expected = np.real_if_close(_circular_convolution(x0), tol=1000)
    assert real.dtype == expected.dtype and real.dtype.kind == "f"
    np.testing.assert_array_equal(real.data, expected)
    assert real.requires_grad
    (real ** 2 * np.arange(1.0, 5.0)).sum().backward()
    numerical = central_difference(
        lambda v: (np.real(_circular_convolution(v)) ** 2 * np.arange(1.0, 5.0)).sum(),
        x0.astype(np.float64))
    np.testing.assert_allclose(x.grad, numerical, rtol=1e-4 if dtype == np.float32 else 1e-7)


def test_real_if_close_keeps_a_complex_tensor_whose_imaginary_parts_are_not_small():
    z = ad.tensor(np.array([1.0 + 1e-3j, 2.0]), requires_grad=True)
    kept = np.real_if_close(z)
    assert kept is z


@pytest.mark.parametrize("tol, imaginary", [(100, 1e-15), (100, 1e-13), (1e-10, 1e-11),
                                            (1e-10, 1e-9), (1, 0.5)])
def test_real_if_close_decides_as_numpy_does(tol, imaginary):
    data = np.array([1.0 + imaginary * 1j, -2.0, 3.0 - imaginary * 1j])
    z = ad.tensor(data, requires_grad=True)
    got, expected = np.real_if_close(z, tol=tol), np.real_if_close(data, tol=tol)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got.data, expected)
    assert got.requires_grad
    loss = (np.abs(got) ** 2).sum()
    loss.backward()
    np.testing.assert_allclose(z.grad.real, 2 * data.real)


def test_real_if_close_without_grad_and_of_a_real_tensor():
    data = np.array([1.0 + 1e-20j, 2.0])
    got = np.real_if_close(ad.tensor(data))
    np.testing.assert_array_equal(got.data, np.real_if_close(data))
    assert not got.requires_grad
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    assert np.real_if_close(x) is x


#: np.dot with an operand beyond 2-D: (shape of a, shape of b)
ND_DOT_SHAPES = [((2, 3, 5), (5, 4)), ((2, 3, 5), (3, 5, 4)), ((3, 5), (2, 5, 4)),
                 ((2, 3, 5), (5,)), ((5,), (2, 5, 4)), ((1, 1, 5), (1, 5, 1)),
                 ((2, 1, 3, 4), (4, 2))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes", ND_DOT_SHAPES, ids=str)
def test_an_nd_dot_is_numpys_to_the_bit(shapes, dtype):
    # NumPy takes one inner product per output element; an einsum (as before) summed in
    # another order: the last bit differed in most draws
    rng = np.random.default_rng(11)
    for _ in range(20):
        a, b = (rng.normal(size=shape).astype(dtype) for shape in shapes)
        expected = np.dot(a, b)
        for got in (np.dot(ad.tensor(a, requires_grad=True), b), ad.dot(a, ad.tensor(b)),
                    ad.tensor(a).dot(ad.tensor(b))):
            assert got.dtype == expected.dtype and got.shape == expected.shape
            np.testing.assert_array_equal(got.data, expected)


@pytest.mark.parametrize("shapes", ND_DOT_SHAPES, ids=str)
def test_an_nd_dots_gradients_match_central_differences_to_second_order(shapes):
    rng = np.random.default_rng(12)
    a, b = (rng.normal(size=shape) for shape in shapes)
    assert ad.gradcheck(lambda x, y: np.dot(x, y), [a, b])
    assert ad.gradgradcheck(lambda x, y: np.dot(x, y), [a, b])


def test_a_complex_nd_dots_gradients_match_central_differences():
    from complex_checks import check_against_central_differences, sample
    check_against_central_differences(lambda x, y: np.dot(x, y),
                                      [sample((2, 2, 3)), sample((3, 2))])
    check_against_central_differences(lambda x, y: np.dot(x, y),
                                      [sample((3,)), sample((2, 3, 2))])


# ---- np.interp of complex fp (NumPy interpolates it; here it was refused even with
# nothing on the tape): NumPy's values bit for bit, gradients in x, xp and fp

def _complex_interp_cases():
    rng = np.random.default_rng(13)
    for trial in range(60):
        knots, points = [(5, 8), (8, 3), (1, 3), (2, 2)][trial % 4]
        xp = np.sort(rng.uniform(0, 5, knots))
        fp = rng.normal(size=knots) + 1j * rng.normal(size=knots)
        x = rng.uniform(-1, 6, points)
        x[0] = xp[0]                                  # on a knot
        if trial % 5 == 0:
            x[-1] = np.nan
        if trial % 7 == 0:
            fp = fp.astype(np.complex64)
        yield x, xp, fp, ({} if trial % 3 else {"left": 1.5, "right": -2 + 1j})


def test_interp_of_complex_fp_is_numpys_to_the_bit():
    for x, xp, fp, ends in _complex_interp_cases():
        expected = np.interp(x, xp, fp, **ends)
        for got in (np.interp(ad.tensor(x, requires_grad=True), xp, fp, **ends),
                    np.interp(x, xp, ad.tensor(fp, requires_grad=True), **ends),
                    np.interp(x, ad.tensor(xp, requires_grad=True),
                              ad.tensor(fp, requires_grad=True), **ends),
                    np.interp(ad.tensor(x), xp, fp, **ends)):
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got.data, expected)
    period = np.interp([0.5, 7.0], [0.0, 1.0, 2.0], [1 + 2j, 3 - 1j, 0.5j], period=3)
    np.testing.assert_array_equal(
        np.interp(ad.tensor([0.5, 7.0]), [0.0, 1.0, 2.0], [1 + 2j, 3 - 1j, 0.5j], period=3).data,
        period)


def _parts_loss(z):
    return (np.real(z) * np.array([1.0, 2.0, 3.0])).sum() + (np.imag(z) ** 2).sum()


def test_interp_of_complex_fp_differentiates_in_x_xp_and_fp():
    from complex_checks import check_against_central_differences
    x, xp = np.array([0.3, 1.7, 2.2]), np.array([0.0, 1.0, 2.0, 3.0])
    fp = np.array([1 + 1j, 2 - 1j, 0.5j, -1.0])
    for argnum, point in ((0, x), (1, xp)):
        def loss(v):
            args = [x, xp, fp]
            args[argnum] = v
            return _parts_loss(np.interp(*args))
        np.testing.assert_allclose(ad.grad(loss)(point), central_difference(loss, point),
                                   rtol=1e-7, atol=1e-9)
    check_against_central_differences(lambda f: np.interp(x, xp, f), [fp])


def test_interp_of_a_complex_x_raises_numpys_error():
    with pytest.raises(TypeError, match="Cannot cast array data from dtype.'complex128'."):
        np.interp(ad.tensor([0.5 + 1j]), [0.0, 1.0], [1.0, 2.0])


# ---- a list that holds Tensors where a function reads an array (tensor_of): recorded
# as np.array would make it, not dropped from the tape

def test_a_list_holding_tensors_is_recorded_where_an_array_is_read():
    p0 = np.array([3.0, -1.0, 2.0, 0.5, -0.25])

    def antiderivative(p):
        return np.polyint(p[:3], m=2, k=[p[3], p[4]])

    def differences(p):
        return np.ediff1d(p[:3], to_end=[1.0, p[3]], to_begin=(p[4],))

    for function in (antiderivative, differences):
        value = function(ad.tensor(p0, requires_grad=True))
        np.testing.assert_array_equal(value.data, function(p0))
        weights = np.arange(1.0, value.size + 1)
        gradient = ad.grad(lambda p: (function(p) * weights).sum())(p0)
        np.testing.assert_allclose(
            gradient, central_difference(lambda p: (function(p) * weights).sum(), p0),
            rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("option, keywords", [   # (Tensor end_values: test_left_twentieth)
    ("stat_length", lambda t: {"mode": "mean", "stat_length": (t[0],)}),
    ("stat_length", lambda t: {"mode": "maximum", "stat_length": t[0]}),
])
def test_pad_values_given_as_tensors_are_refused_naming_the_argument(option, keywords):
    t = ad.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match=rf"^pad: {option} must be numbers, not Tensors.*"
                                        rf"{option}=t\.item\(\)"):
        np.pad(t, 1, **keywords(t))


# ---- float32 data in np.logspace and np.pad(mode='linear_ramp'): the dtype NumPy
# computes in (logspace's samples were float64 where NumPy's are float32; a ramp from
# one end value was computed in float32 where NumPy computes it in float64)

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("ends, base", [
    (lambda a: (a[:3], 1.0), 10.0), (lambda a: (a[0], a[1]), 2.0),
    (lambda a: (0.5, a[:2]), 10), (lambda a: (a[:3], a[3:6]), np.float32(3.0)),
    (lambda a: (a[:2], 1.0), np.array([2.0, 3.0])), (lambda a: (a[:2], 1.0), np.array(2.0)),
    (lambda a: (a[:2, None], a[2:4]), np.array([[2.0], [3.0]], np.float32))],
    ids=["array start", "0-d ends", "array stop, int base", "float32 base",
         "array base", "0-d array base", "broadcast ends and base"])
def test_logspace_of_float_ends_is_numpys(ends, base, dtype):
    rng = np.random.default_rng(14)
    for _ in range(10):
        a = rng.normal(size=6).astype(dtype)
        start, stop = ends(a)
        expected = np.logspace(start, stop, 5, base=base)
        got = np.logspace(*(ad.tensor(v) if isinstance(v, (np.ndarray, np.generic)) else v
                            for v in (start, stop)), 5, base=base)     # (numbers stay weak)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got.data, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("end_values", [
    1.5, 2, (0.5, -1.0), [[0.5, -1.0], [2.0, 0.25]], np.float32(1.5), np.array([1.0, 2.0]),
    [[1.5], [2.5]], ((1, 2),)], ids=str)
def test_a_linear_ramp_pad_is_numpys(end_values, dtype):
    rng = np.random.default_rng(15)
    for _ in range(20):
        a = rng.normal(size=(4, 6)).astype(dtype)
        expected = np.pad(a, ((2, 3), (1, 2)), mode="linear_ramp", end_values=end_values)
        got = np.pad(ad.tensor(a, requires_grad=True), ((2, 3), (1, 2)), mode="linear_ramp",
                     end_values=end_values)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got.data, expected)
