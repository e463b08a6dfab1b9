"""``Tensor.__array_namespace__`` and the namespace it returns, ``ad.array_api``: the
versions it accepts, the standard's names (all present), its dtypes and constants
(NumPy's own objects), creation functions that return Tensors, ``asarray``'s copy and
dtype rules on the tape, functions whose NumPy results are NumPy values made Tensors,
``sort``/``argsort`` with ``descending=``, the dtype functions, the library's rules for
``float()``/``bool()`` and implicit conversions, and ``array_api_compat``."""

import math
import warnings

import numpy as np
import pytest

import autodiff as ad

xp = ad.array_api

ELEMENTWISE = (
    "abs acos acosh add asin asinh atan atan2 atanh bitwise_and bitwise_left_shift "
    "bitwise_invert bitwise_or bitwise_right_shift bitwise_xor ceil clip conj copysign cos "
    "cosh divide equal exp expm1 floor floor_divide greater greater_equal hypot imag "
    "isfinite isinf isnan less less_equal log log1p log2 log10 logaddexp logical_and "
    "logical_not logical_or logical_xor maximum minimum multiply negative nextafter "
    "not_equal positive pow real reciprocal remainder round sign signbit sin sinh square "
    "sqrt subtract tan tanh trunc").split()
OTHER_FUNCTIONS = (
    "arange asarray empty empty_like eye from_dlpack full full_like linspace meshgrid ones "
    "ones_like tril triu zeros zeros_like astype can_cast finfo iinfo isdtype result_type "
    "take take_along_axis matmul matrix_transpose tensordot vecdot broadcast_arrays "
    "broadcast_to concat expand_dims flip moveaxis permute_dims repeat reshape roll squeeze "
    "stack tile unstack argmax argmin count_nonzero nonzero searchsorted where unique_all "
    "unique_counts unique_inverse unique_values argsort sort cumulative_prod cumulative_sum "
    "max mean min prod std sum var all any diff __array_namespace_info__").split()
LINALG = ("cholesky cross det diagonal eigh eigvalsh inv matmul matrix_norm matrix_power "
          "matrix_rank matrix_transpose outer pinv qr slogdet solve svd svdvals tensordot "
          "trace vecdot vector_norm").split()
FFT = ("fft ifft fftn ifftn rfft irfft rfftn irfftn hfft ihfft fftfreq rfftfreq fftshift "
       "ifftshift").split()
DTYPES = ("bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32 float64 "
          "complex64 complex128").split()


def test_a_tensor_gives_the_namespace_for_every_version_numpy_accepts():
    x = ad.tensor([1.0, 2.0])
    assert x.__array_namespace__() is xp is ad.array_api
    for version in ["2021.12", "2022.12", "2023.12", "2024.12"]:
        assert x.__array_namespace__(api_version=version) is xp
        assert np.ones(1).__array_namespace__(api_version=version) is np
    assert xp.__array_api_version__ == "2024.12"


@pytest.mark.parametrize("version", ["2099.12", "2024.13", "", 2024, 2024.12])
def test_an_unsupported_version_raises_as_numpys_does(version):
    with pytest.raises(ValueError):
        np.ones(1).__array_namespace__(api_version=version)
    with pytest.raises(ValueError, match="api_version|version"):
        ad.tensor([1.0]).__array_namespace__(api_version=version)


def test_every_name_of_the_standard_is_there_and_callable():
    for name in ELEMENTWISE + OTHER_FUNCTIONS:
        assert callable(getattr(xp, name)), name
    for name in LINALG:
        assert callable(getattr(xp.linalg, name)), name
    for name in FFT:
        assert callable(getattr(xp.fft, name)), name
    with pytest.raises(AttributeError, match="no attribute 'not_a_function'"):
        xp.not_a_function  # noqa: B018


def test_dtypes_and_constants_are_numpys_own_objects():
    for name in DTYPES:
        assert getattr(xp, name) is getattr(np, name), name
    assert (xp.pi, xp.e, xp.inf, xp.newaxis) == (np.pi, np.e, np.inf, None)
    assert math.isnan(xp.nan)
    assert xp.isdtype(xp.float32, "real floating") and not xp.isdtype(xp.int64, "bool")
    info = xp.__array_namespace_info__()
    assert info.default_dtypes()["real floating"] == np.float64


def test_the_dtype_functions_take_tensors():
    x32, x64 = ad.tensor(np.ones(2, np.float32)), ad.tensor(np.ones(2))
    assert xp.finfo(x32).eps == np.finfo(np.float32).eps
    assert xp.iinfo(ad.tensor([1, 2])).max == np.iinfo(np.int64).max
    assert xp.result_type(x32, 1.0) == np.float32          # a Python float is weak
    assert xp.result_type(x32, x64) == xp.result_type(x32, np.float64) == np.float64
    assert xp.can_cast(x32, xp.float64) and not xp.can_cast(x64, xp.float32)


def test_numpys_functions_are_the_namespaces_own():
    assert xp.exp is np.exp and xp.sum is np.sum and xp.linalg.solve is np.linalg.solve
    assert xp.fft.rfft is np.fft.rfft and xp.concat is np.concat


@pytest.mark.parametrize("make, expected", [
    (lambda: xp.zeros((2, 3)), np.zeros((2, 3))),
    (lambda: xp.ones(4, dtype=xp.float32), np.ones(4, np.float32)),
    (lambda: xp.full((2,), 3), np.full((2,), 3)),
    (lambda: xp.full((2, 2), 0.5, dtype=xp.float32), np.full((2, 2), 0.5, np.float32)),
    (lambda: xp.eye(3, 4, k=1), np.eye(3, 4, k=1)),
    (lambda: xp.arange(5), np.arange(5)),
    (lambda: xp.arange(1.0, 2.0, 0.25), np.arange(1.0, 2.0, 0.25)),
    (lambda: xp.linspace(0.0, 1.0, 5, endpoint=False), np.linspace(0.0, 1.0, 5, endpoint=False)),
    (lambda: xp.zeros_like(ad.tensor([1, 2])), np.zeros(2, np.int64)),
    (lambda: xp.ones_like(np.ones((2, 2), np.float32)), np.ones((2, 2), np.float32)),
    (lambda: xp.full_like(ad.tensor([1.0, 2.0]), 7, dtype=xp.int32), np.full(2, 7, np.int32)),
    (lambda: xp.fft.fftfreq(4, d=0.5), np.fft.fftfreq(4, 0.5)),
    (lambda: xp.fft.rfftfreq(5, dtype=xp.float32), np.fft.rfftfreq(5).astype(np.float32)),
])
def test_creation_functions_return_tensors_of_numpys_values(make, expected):
    made = make()
    assert isinstance(made, ad.Tensor) and not made.requires_grad
    assert made.dtype == expected.dtype
    np.testing.assert_array_equal(made.data, expected)


def test_creation_takes_the_cpu_device_and_refuses_others():
    assert xp.empty((2,), device="cpu").shape == (2,)
    assert xp.zeros(2, device=ad.ones(1).device).shape == (2,)
    for make in [lambda d: xp.zeros(2, device=d), lambda d: xp.asarray([1.0], device=d),
                 lambda d: xp.arange(3, device=d), lambda d: xp.fft.fftfreq(3, device=d)]:
        with pytest.raises(ValueError, match="cuda"):
            make("cuda")


def test_asarray_of_a_tensor_keeps_the_tape():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    assert xp.asarray(x) is x and xp.asarray(x, dtype=xp.float64, copy=False) is x
    copied = xp.asarray(x, copy=True)
    assert copied is not x and not np.shares_memory(copied.data, x.data)
    cast = xp.asarray(x, dtype=xp.float32)
    assert cast.dtype == np.float32
    (3.0 * copied + 2.0 * cast).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])
    assert x.grad.dtype == np.float64
    with pytest.raises(ValueError, match="copy=False"):
        xp.asarray(x, dtype=xp.float32, copy=False)


def test_asarray_of_a_nested_list_of_tensors_is_recorded():
    x = ad.tensor(2.0, requires_grad=True)
    built = xp.asarray([[x, 1.0], [x * x, 0.0]])
    assert built.shape == (2, 2) and built.dtype == np.float64
    built.sum().backward()
    assert x.grad == 1.0 + 2 * 2.0
    with pytest.raises(ValueError, match="copy=False"):
        xp.asarray([x, x], copy=False)


def test_asarray_of_other_values_follows_numpys_copy_rules():
    array = np.arange(3.0)
    assert np.shares_memory(xp.asarray(array, copy=False).data, array)
    assert not np.shares_memory(xp.asarray(array, copy=True).data, array)
    assert xp.asarray([1, 2]).dtype == np.int64 and xp.asarray(True).dtype == np.bool_
    assert xp.asarray(1.5, dtype=xp.float32).dtype == np.float32
    with pytest.raises(ValueError, match="copy"):
        xp.asarray([1.0, 2.0], copy=False)           # NumPy's refusal: a list is copied


def test_from_dlpack_shares_memory_and_keeps_a_tensor():
    array = np.arange(4.0)
    viewed = xp.from_dlpack(array)
    assert isinstance(viewed, ad.Tensor) and np.shares_memory(viewed.data, array)
    x = ad.tensor([1.0], requires_grad=True)
    assert xp.from_dlpack(x) is x
    assert xp.from_dlpack(x, copy=True).requires_grad


def test_a_tensor_fill_value_and_linspace_ends_are_recorded():
    value = ad.tensor(1.5, requires_grad=True)
    filled = xp.full((2, 3), value)
    assert filled.shape == (2, 3) and not np.shares_memory(filled.data, value.data)
    like = xp.full_like(ad.ones((2,)), value)
    ends = xp.linspace(value, 2.0 * value, 3)
    (filled.sum() + like.sum() + ends.sum()).backward()
    assert value.grad == 6 + 2 + (1 + 1.5 + 2)
    with pytest.raises(ValueError, match="scalar"):
        xp.full((2,), ad.tensor([1.0, 2.0]))


def test_integer_and_truth_results_are_tensors():
    x = ad.tensor([[1.0, -2.0, 3.0], [1.0, 0.0, -1.0]], requires_grad=True)
    for got, expected in [(xp.argmax(x), np.argmax(x.data)),
                          (xp.argmin(x, axis=1), np.argmin(x.data, axis=1)),
                          (xp.count_nonzero(x), np.count_nonzero(x.data)),
                          (xp.all(x > -3), True), (xp.any(x > 5, axis=0), [False] * 3),
                          (xp.linalg.matrix_rank(x), 2)]:
        assert isinstance(got, ad.Tensor) and not got.requires_grad
        np.testing.assert_array_equal(got.data, expected)
    rows, columns = xp.nonzero(x)
    assert isinstance(rows, ad.Tensor) and isinstance(columns, ad.Tensor)
    np.testing.assert_array_equal(x.data[rows.data, columns.data], x.data[x.data != 0])
    unique = xp.unique_all(x)
    assert all(isinstance(field, ad.Tensor) for field in unique)
    np.testing.assert_array_equal(unique.counts.data, [1, 1, 1, 2, 1])
    xp.sum(unique.values ** 2).backward()      # the values are on the tape, each from
    np.testing.assert_array_equal(x.grad, [[2.0, -4.0, 6.0], [0.0, 0.0, -2.0]])  # its first place


def test_sort_and_argsort_take_descending_and_keep_ties_stable():
    values = np.array([[2.0, 1.0, 2.0, 3.0, 1.0], [0.0, 0.0, -1.0, 5.0, 0.0]])
    x = ad.tensor(values, requires_grad=True)
    np.testing.assert_array_equal(xp.argsort(x, descending=True).data,
                                  np.argsort(-values, axis=-1, stable=True))
    np.testing.assert_array_equal(xp.argsort(x, axis=0, descending=True).data,
                                  np.argsort(-values, axis=0, stable=True))
    np.testing.assert_array_equal(xp.argsort(x, stable=False).data.shape, values.shape)
    descending = xp.sort(x, descending=True)
    np.testing.assert_array_equal(descending.data, -np.sort(-values, axis=-1))
    (descending[:, 0]).sum().backward()        # the largest of each row
    np.testing.assert_array_equal(x.grad, [[0, 0, 0, 1, 0], [0, 0, 0, 1, 0]])


def _scaled_loss(x):
    xp = x.__array_namespace__()
    scale = float(xp.max(xp.abs(x)))           # an explicit exit: a constant
    if bool(xp.any(x < 0)):
        scale = 2.0 * scale
    return xp.sum(x ** 2) / scale


def test_float_and_bool_of_traced_values_are_silent_exits():
    p = np.array([1.0, -2.0, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = ad.grad(_scaled_loss)(p)
        eager = ad.tensor(p, requires_grad=True)
        _scaled_loss(eager).backward()
    np.testing.assert_allclose(grad, 2 * p / 4.0, rtol=1e-15)      # scale = 2 * 2 held fixed
    np.testing.assert_array_equal(eager.grad, grad)


def _implicitly_converted(x):
    xp = x.__array_namespace__()
    return xp.sum(x) * math.exp(xp.sum(x))     # math.exp leaves the tape


def test_an_implicit_conversion_warns_and_raises_inside_a_transform():
    p = np.array([1.0, -2.0])
    with pytest.warns(ad.TapeDropWarning, match="math.exp|off the tape"):
        _implicitly_converted(ad.tensor(p, requires_grad=True))
    with pytest.raises(TypeError, match="inside a transform"):
        ad.grad(_implicitly_converted)(p)


def test_array_api_compat_finds_the_namespace():
    compat = pytest.importorskip("array_api_compat")
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    assert compat.array_namespace(x) is xp
    assert compat.array_namespace(x, 3.0, api_version="2024.12") is xp
    assert compat.is_array_api_obj(x)
    namespace = compat.array_namespace(x)
    namespace.sum(namespace.exp(x)).backward()
    np.testing.assert_allclose(x.grad, np.exp([1.0, 2.0]), rtol=1e-15)


def test_complex_of_a_tensor_is_an_explicit_exit_as_float_is():
    x = ad.tensor(2.0, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert complex(x) == 2.0 + 0.0j
        assert complex(ad.tensor(np.array(1.0 - 3.0j))) == 1.0 - 3.0j
    import cmath
    with pytest.warns(ad.TapeDropWarning, match="Python complex"):
        cmath.exp(x)
    with pytest.raises(TypeError, match="inside a transform"):
        ad.grad(lambda t: t * cmath.exp(t).real)(1.0)


def test_other_libraries_take_a_tensor_through_dlpack_as_through_asarray():
    constant = ad.tensor([1.0, 2.0])
    assert constant.__dlpack_device__() == np.ones(1).__dlpack_device__()
    exported = np.from_dlpack(constant)
    assert isinstance(exported, np.ndarray) and np.shares_memory(exported, constant.data)
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(ad.TapeDropWarning, match="DLPack"):
        np.from_dlpack(x)
    with pytest.raises(TypeError, match="inside a transform"):
        ad.grad(lambda t: (t * np.from_dlpack(t)).sum())(np.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(np.from_dlpack(x.detach()), [1.0, 2.0])


def test_torch_takes_a_tensor_through_dlpack():
    torch = pytest.importorskip("torch")
    converted = torch.from_dlpack(ad.tensor([1.0, 2.0], dtype=np.float32))
    assert converted.dtype == torch.float32 and converted.tolist() == [1.0, 2.0]


def _integer_results(x):
    xp = x.__array_namespace__()
    order = xp.argsort(x, axis=-1, descending=True)
    flags = xp.astype(xp.any(x > 1.0, axis=1), x.dtype)
    first = xp.argmax(x, axis=0)
    return (xp.sum(xp.take_along_axis(x, order[:, :1], axis=-1))
            + xp.astype(xp.count_nonzero(x < 0), x.dtype) + xp.sum(xp.take(x[0], first))
            + xp.sum(flags) + xp.sum(xp.fft.rfftfreq(4) * xp.ones(3)))


def test_integer_results_and_created_arrays_are_replayed_by_compile():
    step = ad.compile(_integer_results)
    rng = np.random.default_rng(5)
    step(ad.tensor(rng.normal(size=(3, 4))))
    for _ in range(3):
        x = rng.normal(size=(3, 4))
        np.testing.assert_array_equal(step(ad.tensor(x)).data,
                                      _integer_results(ad.tensor(x)).data)


@pytest.mark.parametrize("name", ["nonzero", "unique_values", "unique_counts"])
def test_compile_refuses_results_whose_size_depends_on_the_values(name):
    """A plan's shapes are fixed (the library's rule for np.nonzero and np.unique)."""
    step = ad.compile(lambda x: getattr(xp, name)(x > 0)[0])
    with pytest.raises(ad.TraceError, match=name):
        step(ad.tensor([1.0, -1.0, 2.0]))
