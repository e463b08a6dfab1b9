"""NumPy code differentiates unchanged; unsupported NumPy functions say so."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autodiff as ad


def numpy_softmax(z):                      # written for ndarrays, as in API.md
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def test_numpy_written_softmax_differentiates_unchanged():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4, 3))
    x = ad.tensor(data, requires_grad=True)
    out = numpy_softmax(x)
    assert isinstance(out, ad.Tensor)
    out[:, 0].sum().backward()
    s = numpy_softmax(data)
    expected = s[:, :1] * ((np.arange(3) == 0) - s)       # d s_0 / d z_j = s_0 (δ_0j - s_j)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12, atol=1e-15)
    assert ad.gradcheck(lambda t: numpy_softmax(t)[:, 0], [data])


# Each case is the body of ``lambda t: ...``; the source text is the test id.
RECORDED = [
    "np.exp(t)",
    "np.log(np.abs(t) + 1)",
    "np.sqrt(t * t + 1)",
    "np.tanh(t)",
    "np.sin(t) * np.cos(t)",
    "np.maximum(t, 0.1)",
    "np.sum(t, axis=1)",
    "np.mean(t, axis=0, keepdims=True)",
    "np.max(t, axis=-1)",
    "np.var(t)",
    "np.reshape(t, (-1,))",
    "np.transpose(t)",
    "np.swapaxes(t, 0, 1)",
    "np.expand_dims(t, 0)",
    "np.squeeze(t[:1])",
    "np.broadcast_to(t, (2, 3, 3))",
    "np.concatenate([t, t * 2], axis=1)",
    "np.stack([t, t], axis=0)",
    "np.split(t, 3, axis=1)[1]",
    "np.where(t > 0, t, t * t)",
    "np.clip(t, -0.5, 0.5)",
    "np.dot(t, t.T)",
    "np.matmul(t, t)",
    "t @ np.ones((3, 2))",
    "np.einsum('ij,jk->ik', t, t)",
    "np.linalg.inv(t + 3 * np.eye(3))",
    "np.take(t, [0, 0, 2])",
    "np.square(t) + np.reciprocal(t + 3) + np.log1p(t * t) + np.expm1(t)",
    "np.logaddexp(t, 0.5) - np.negative(t) ** 2",
    "np.ravel(t)",
    "np.amax(t) + np.amin(t)",
    "np.true_divide(1.0, t + 3)",
]


@pytest.mark.parametrize("source", RECORDED)
def test_numpy_functions_are_recorded(source):
    func = eval(f"lambda t: {source}")
    data = np.random.default_rng(1).standard_normal((3, 3))
    out = func(ad.tensor(data, requires_grad=True))
    assert isinstance(out, ad.Tensor) and out.requires_grad
    assert ad.gradcheck(func, [data])


def test_comparisons_and_non_differentiable_helpers():
    t = ad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    mask = np.greater(t, 0)
    assert isinstance(mask, ad.Tensor) and mask.dtype == bool
    assert np.argmax(t).item() == 2 if isinstance(np.argmax(t), ad.Tensor) else np.argmax(t) == 2
    assert np.allclose(t, [1.0, -2.0, 3.0])
    assert np.shape(t) == (3,) and np.ndim(t) == 1


@pytest.mark.parametrize("call, name", [
    (lambda t: np.isnat(t), "numpy.isnat"),
    (lambda t: np.logaddexp.reduceat(t, [0], dtype=np.float32), "numpy.logaddexp.reduceat"),
    (lambda t: np.sum(t, out=np.zeros(())), "numpy.sum"),
    (lambda t: np.frompyfunc(abs, 2, 1).reduce(t),
     "the ufunc abs (vectorized).reduce (not one of NumPy's)"),
], ids=["isnat", "logaddexp.reduceat with dtype", "sum with out", "frompyfunc.reduce"])
def test_unsupported_numpy_functions_raise_type_error_naming_them(call, name):
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="^" + re.escape(name) + " "):
        call(t)


def test_asarray_gives_the_raw_data():
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(ad.TapeDropWarning):
        assert np.asarray(t) is t.data
    assert np.asarray(t.detach()) is t.data


def _positive(t):
    return t * t + 1.5                       # in the domain of log, arccosh, ...


def _raw(t):
    return t.data if isinstance(t, ad.Tensor) else t


def _unit(t):
    return np.tanh(t) * 0.9                  # in (-1, 1): arcsin, arctanh, ...


NUMPY_SURFACE = [
    ("tan", lambda t: np.tan(t)), ("arcsin", lambda t: np.arcsin(_unit(t))),
    ("arccos", lambda t: np.arccos(_unit(t))), ("arctan", lambda t: np.arctan(t)),
    ("sinh", lambda t: np.sinh(t)), ("cosh", lambda t: np.cosh(t)),
    ("arcsinh", lambda t: np.arcsinh(t)), ("arccosh", lambda t: np.arccosh(_positive(t))),
    ("arctanh", lambda t: np.arctanh(_unit(t))), ("deg2rad", lambda t: np.deg2rad(t)),
    ("radians", lambda t: np.radians(t)), ("rad2deg", lambda t: np.rad2deg(t)),
    ("degrees", lambda t: np.degrees(t)), ("arctan2", lambda t: np.arctan2(t, _positive(t.T))),
    ("hypot", lambda t: np.hypot(t, 0.5)), ("log2", lambda t: np.log2(_positive(t))),
    ("log10", lambda t: np.log10(_positive(t))), ("exp2", lambda t: np.exp2(t)),
    ("logaddexp2", lambda t: np.logaddexp2(t, t.T)),
    ("mod operator", lambda t: t % 0.7 + 5.0 % _positive(t)),
    ("floor_divide", lambda t: (t // 0.7 + 5.0 // _positive(t) + np.floor_divide(t, 2)) * t),
    ("mod", lambda t: np.mod(t, -0.7)), ("remainder", lambda t: np.remainder(3.0, _positive(t))),
    ("fmod", lambda t: np.fmod(t, _positive(t.T))), ("fmax", lambda t: np.fmax(t, t.T * 0.5)),
    ("fmin", lambda t: np.fmin(t, 0.1)), ("fabs", lambda t: np.fabs(t)),
    ("ceil", lambda t: np.ceil(t) * t), ("trunc", lambda t: np.trunc(t) + t),
    ("fix", lambda t: np.fix(t * 3) * t),
    ("nan_to_num", lambda t: np.nan_to_num(t)),
    ("select", lambda t: np.select([_raw(t) > 0, _raw(t) < -1], [t * 2, t * t], default=-t)),
    ("real", lambda t: np.real(t) * 2), ("conj", lambda t: np.conj(t) * 2),
    ("conjugate", lambda t: np.conjugate(t) + t),
    ("prod", lambda t: np.prod(t, axis=0)),
    ("prod keepdims", lambda t: np.prod(t, 1, keepdims=True)),
    ("std", lambda t: np.std(t)), ("std ddof axis", lambda t: np.std(t, axis=1, ddof=1)),
    ("cumsum", lambda t: np.cumsum(t)), ("cumsum axis", lambda t: np.cumsum(t, axis=1)),
    ("cumprod", lambda t: np.cumprod(t, axis=0)), ("diff", lambda t: np.diff(t, n=2, axis=0)),
    ("diff prepend", lambda t: np.diff(t, prepend=t[:, :1])),
    ("ravel F", lambda t: np.ravel(t, order="F")), ("method ravel", lambda t: t.ravel()),
    ("moveaxis", lambda t: np.moveaxis(t[None], 0, -1)), ("rollaxis", lambda t: np.rollaxis(t, 1)),
    ("flip", lambda t: np.flip(t, 1)), ("flipud", lambda t: np.flipud(t)),
    ("fliplr", lambda t: np.fliplr(t)), ("rot90", lambda t: np.rot90(t, 3)),
    ("roll", lambda t: np.roll(t, (1, -1), axis=(0, 1))), ("repeat", lambda t: np.repeat(t, 2, 0)),
    ("tile", lambda t: np.tile(t, (2, 1, 2))), ("pad", lambda t: np.pad(t, 1)),
    ("pad wrap", lambda t: np.pad(t, ((0, 2), (1, 1)), mode="wrap")),
    ("diag", lambda t: np.diag(np.diag(t, 1))), ("diagonal", lambda t: np.diagonal(t, -1)),
    ("trace", lambda t: np.trace(t)), ("tril", lambda t: np.tril(t, -1)),
    ("triu", lambda t: np.triu(t)), ("sort", lambda t: np.sort(t, axis=0)),
    ("sort flattened", lambda t: np.sort(t, axis=None)),
    ("partition", lambda t: np.partition(t, 1)),
    ("take_along_axis", lambda t: np.take_along_axis(t, np.argsort(_raw(t), 1), 1)),
    ("linspace", lambda t: np.linspace(t[0], t[1], 4, axis=1)),
    ("fftshift", lambda t: np.fft.fftshift(t)), ("ifftshift", lambda t: np.fft.ifftshift(t, 1)),
]


@pytest.mark.parametrize("func", [pytest.param(f, id=name) for name, f in NUMPY_SURFACE])
def test_numpy_surface_is_recorded_and_matches_numpy(func):
    data = np.random.default_rng(2).standard_normal((3, 3))
    out = func(ad.tensor(data, requires_grad=True))
    assert isinstance(out, ad.Tensor) and out.requires_grad
    expected = func(data)
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_array_equal(out.data, expected)
    assert ad.gradcheck(func, [data])


def test_imag_of_a_real_tensor_is_zeros_with_gradient_zero():
    t = ad.tensor([1.0, -2.0], requires_grad=True)
    out = np.imag(t)
    assert isinstance(out, ad.Tensor) and out.requires_grad      # on the tape, as np.sign
    np.testing.assert_array_equal(out.data, [0.0, 0.0])
    assert np.real(t) is t                  # a view in NumPy too
    assert np.conj(t) is not t              # a new array in NumPy


@pytest.mark.parametrize("call, message", [
    pytest.param(lambda t: np.cumsum(t, dtype=np.int32), "dtype", id="cumsum int dtype"),
    pytest.param(lambda t: np.nancumsum(t, out=np.zeros(2)), "out", id="nancumsum out"),
    pytest.param(lambda t: np.std(t, out=np.zeros(())), "out", id="std out"),
    pytest.param(lambda t: np.tan(t, out=np.zeros(2)), "out", id="tan out"),
    pytest.param(lambda t: ad.logsumexp(t, b=2.0), "b", id="logsumexp b"),
    pytest.param(lambda t: ad.logsumexp(t, return_sign=True), "return_sign",
                 id="logsumexp return_sign"),
    pytest.param(lambda t: np.pad(t, 1, mode=lambda *a: None), "a function as the mode",
                 id="pad function mode"),
    pytest.param(lambda t: np.sort(t, order="x"), "order", id="sort order"),
    pytest.param(lambda t: np.linspace(t, 2.0, 3, dtype=int), "dtype", id="linspace int"),
    pytest.param(lambda t: np.trace(t[None] * t[:, None], dtype=np.int64), "dtype",
                 id="trace int dtype"),
])
def test_unsupported_arguments_raise_type_error_naming_them(call, message):
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=message.replace("(", r"\(")):
        call(t)


def test_an_ndarray_updated_in_place_with_a_tensor_says_to_write_a_new_name():
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    total = np.zeros(2)
    with pytest.raises(TypeError, match=r"numpy\.add with out= on a Tensor \(ndarray of shape "
                                        r"\(2,\), dtype float64, Tensor .*write `a = a \+ t`"):
        total += t
    with pytest.raises(TypeError, match=r"numpy\.exp with out="):
        np.exp(t, out=np.empty(2))
    assert np.add(t, 1.0, out=None).requires_grad          # out=None is the default


@pytest.mark.parametrize("choices, default", [
    (lambda a: [a, 1.0], 0), (lambda a: [a, 2], 0), (lambda a: [a, np.float64(1.0)], 0),
    (lambda a: [a], 1.0), (lambda a: [a], np.float64(1.0)),
    (lambda a: [a.astype(np.int8), 3], 0), (lambda a: [a.astype(np.int8)], 1.5)])
def test_select_gives_numpys_dtype_with_python_numbers_among_the_choices(choices, default):
    # Python numbers stay weak in np.select: a float choice next to float32 arrays is
    # float32; the chain of wheres had made it float64.
    a = np.array([1.5, -2.5, 0.0], np.float32)
    conditions = [a > 0, a < 0]
    want = np.select(conditions[:len(choices(a))], choices(a), default)
    got = np.select(conditions[:len(choices(a))],
                    [ad.tensor(c) if isinstance(c, np.ndarray) else c for c in choices(a)],
                    default)
    assert got.dtype == want.dtype and got.data.tobytes() == want.tobytes()


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("pad_width", [{1: (1, 2)}, {-1: (1, 2)}, {0: 1}, {0: (0, 1), 1: 2}])
def test_pad_takes_numpys_dict_form_of_pad_width(pad_width, mode):
    a = np.arange(6.0).reshape(2, 3)
    got = np.pad(ad.tensor(a, requires_grad=True), pad_width, mode=mode)
    assert got.data.tobytes() == np.pad(a, pad_width, mode=mode).tobytes()
    assert ad.gradcheck(lambda x: np.pad(x, pad_width, mode=mode), [a])


def test_pad_names_an_axis_the_input_does_not_have():
    with pytest.raises(ValueError, match="pad_width names axis 2, but the input has 2"):
        np.pad(ad.tensor(np.ones((2, 2))), {2: 1})


def test_where_with_one_argument_gives_the_indices_as_nonzero():
    x = ad.tensor([0.3, -0.8, 1.1, 0.0], requires_grad=True)
    indices = np.where(x > 0)
    assert isinstance(indices, tuple) and len(indices) == 1
    np.testing.assert_array_equal(indices[0], [0, 2])
    np.testing.assert_array_equal(np.where(x)[0], np.where(x.data)[0])
    x[np.where(x > 0)].sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0, 0.0])


def test_where_with_one_argument_picks_as_pytorchs():
    torch = pytest.importorskip("torch")
    x0 = np.array([[0.3, -0.8], [1.1, 0.0]])
    x = ad.tensor(x0, requires_grad=True)
    t = torch.tensor(x0, requires_grad=True)
    for got, expected in zip(np.where(x > 0), torch.where(t > 0)):
        np.testing.assert_array_equal(got, expected.numpy())
    (x[np.where(x > 0)] ** 2).sum().backward()
    (t[torch.where(t > 0)] ** 2).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


def test_where_with_one_argument_is_refused_by_compile_naming_it():
    x = ad.tensor([0.3, -0.8, 1.1], requires_grad=True)

    def step():
        x.grad = None
        loss = x[np.where(x > 0)].sum()
        loss.backward()
        return loss
    with pytest.raises(ad.TraceError, match=r"compile: np\.where at .*size depends on the values"):
        ad.compile(step)()


def test_where_with_two_arguments_is_refused_naming_it():
    x = ad.tensor([0.3, -0.8])
    with pytest.raises(TypeError, match=r"numpy\.where: got a condition and 1 more"):
        np.where(x > 0, x)
