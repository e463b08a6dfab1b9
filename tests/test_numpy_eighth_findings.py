"""What probing around the eighth set of NumPy programs (test_numpy_programs_eighth.py)
found.  Wrong or silent: ``rng.shuffle`` of a Tensor of two or more dimensions
duplicated rows (NumPy swaps rows of an object other than an ndarray one pair at a
time, and a Tensor's rows are views), with only NumPy's general warning; the series
evaluations of numpy.polynomial (``polyval``, ``chebval`` ...) at a Tensor with
coefficients of two or more dimensions broadcast the columns against the points (NumPy
reshapes them only for an ndarray), a different result, and ``polyvalfromroots`` at a
Tensor gave one number instead of one value per point.  Failing where NumPy
computes: ``t.sort(kind=...)`` without ``axis=`` (a TypeError from inside the
library), the ``reduce`` / ``accumulate`` of two-input ufuncs without a reduction of
their own (``np.hypot.reduce``, ``np.power.accumulate``, ``np.logical_and.reduce``
...), ``np.matmul(..., axes=)``, ``np.nan_to_num(t, copy=False)``,
``np.polynomial.polynomial.polyval2d`` / ``polygrid2d``.  Unclear: ``out=`` an ndarray
of a reduction or product said "not supported, call it without them"; the tape drops
of ``np.r_`` / ``np.c_``, of ``numpy.random`` draws with Tensor parameters, of
``np.fill_diagonal`` into an ndarray and of ``np.require`` named only the line, or no
fix; a ``Polynomial`` evaluated at a Tensor suggested only the fix for Tensor
coefficients; a decorated SciPy function was named after its wrapper
(``scipy.wrapper``); ``t.view(dtype)`` did not say that ``t.view()`` keeps the tape for
the tensor's own dtype.  The reductions and the in-place ``nan_to_num`` replay in a
compiled step."""

import re
import warnings

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference

_rng = np.random.default_rng(8)
_DATA = np.abs(_rng.normal(size=(3, 4, 2))) + 0.5


def _gradient_matches_central_differences(call, data):
    """``ad.grad`` of a weighted sum of ``call`` against central differences of the
    same sum computed by NumPy, in float64."""
    weights = _rng.normal(size=np.shape(call(data.copy())))
    grad = ad.grad(lambda t: (call(t) * weights).sum())(data.copy())
    flat = data.ravel()
    numerical = central_difference(
        lambda p: (call(p.reshape(data.shape)) * weights).sum(), flat.copy())
    np.testing.assert_allclose(grad.ravel(), numerical, rtol=1e-6, atol=1e-6)


# ----- silently wrong -------------------------------------------------------------
def test_shuffling_a_tensor_of_rows_is_refused_naming_the_fix():
    """NumPy shuffles what is not an ndarray by ``t[i], t[j] = t[j], t[i]``; with a
    Tensor's rows being views the second write copied the already overwritten row, so
    rows came out duplicated.  Now refused naming the method and t[rng.permutation]."""
    for shuffle in (np.random.default_rng(0).shuffle, np.random.shuffle,
                    np.random.RandomState(0).shuffle):
        rows = ad.tensor(np.arange(12.0).reshape(4, 3))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)     # (NumPy's own, for non-ndarrays)
            with pytest.raises(TypeError, match=r"numpy\.random\.(Generator\.|RandomState\.|)"
                                                r"shuffle of a Tensor of shape \(4, 3\).*"
                                                r"duplicated.*t\[rng\.permutation\(len\(t\)\)\]"):
                shuffle(rows)
        np.testing.assert_array_equal(rows.data, np.arange(12.0).reshape(4, 3))
    # a 1-D Tensor's entries are not views: NumPy's shuffle of it is an ndarray's
    values, reference = ad.tensor(np.arange(6.0)), np.arange(6.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        np.random.default_rng(3).shuffle(values)
    np.random.default_rng(3).shuffle(reference)
    np.testing.assert_array_equal(values.data, reference)


def test_the_suggested_shuffle_by_permutation_is_numpys_and_on_the_tape():
    data = np.arange(12.0).reshape(4, 3)
    rows = ad.tensor(data, requires_grad=True)
    order = np.random.default_rng(0).permutation(len(rows))
    shuffled = rows[order]
    np.testing.assert_array_equal(shuffled.data, data[order])
    (shuffled * np.arange(4.0)[:, None]).sum().backward()
    np.testing.assert_array_equal(rows.grad, np.argsort(order)[:, None] * np.ones((1, 3)))



_SERIES = [np.polynomial.polynomial.polyval, np.polynomial.chebyshev.chebval,
           np.polynomial.legendre.legval, np.polynomial.hermite.hermval,
           np.polynomial.hermite_e.hermeval, np.polynomial.laguerre.lagval]


@pytest.mark.parametrize("evaluate", _SERIES, ids=[f.__name__ for f in _SERIES])
def test_a_series_with_coefficient_columns_at_a_tensor_is_refused_naming_the_fix(evaluate):
    """NumPy reshapes coefficients of two or more dimensions (tensor=True) only for an
    ndarray x: at a Tensor the columns broadcast against x, a different result (shape
    (3,) instead of NumPy's (3, 3)) without any error.  Now refused; the fix it names
    is NumPy's result, on the tape; one-dimensional coefficients and tensor=False are
    NumPy's as before."""
    points = np.array([0.1, 0.2, 0.3])
    columns = _rng.normal(size=(3, 3))
    x = ad.tensor(points, requires_grad=True)
    with pytest.raises(TypeError, match=evaluate.__name__ + r" at a Tensor x of shape \(3,\) "
                                        r"with coefficients of shape \(3, 3\).*tensor=False\)"):
        evaluate(x, columns)
    fixed = evaluate(x, columns.reshape(columns.shape + (1,) * x.ndim), tensor=False)
    assert fixed.requires_grad
    np.testing.assert_array_equal(fixed.data, evaluate(points, columns))
    np.testing.assert_array_equal(evaluate(x, columns, tensor=False).data,
                                  evaluate(points, columns, tensor=False))
    np.testing.assert_array_equal(evaluate(x, columns[0]).data, evaluate(points, columns[0]))
    _gradient_matches_central_differences(
        lambda a: evaluate(a, columns.reshape(3, 3, 1), tensor=False), points)



def test_a_product_over_roots_at_a_tensor_is_refused_naming_the_fix():
    """polyvalfromroots reshapes its roots (even one-dimensional ones) only for an
    ndarray x: at a Tensor it gave one number instead of one value per point."""
    points, roots = np.array([0.1, 0.2, 0.3]), _rng.normal(size=(2, 3))
    evaluate = np.polynomial.polynomial.polyvalfromroots
    x = ad.tensor(points, requires_grad=True)
    for given in (roots, roots[0]):
        with pytest.raises(TypeError, match=r"polyvalfromroots at a Tensor x of shape \(3,\) "
                                            r"with roots of shape .*tensor=False\)"):
            evaluate(x, given)
        fixed = evaluate(x, given.reshape(given.shape + (1,)), tensor=False)
        assert fixed.requires_grad
        np.testing.assert_array_equal(fixed.data, evaluate(points, given))
    with pytest.raises(ValueError, match="x.ndim must be < r.ndim when tensor == False"):
        evaluate(x, roots[0], tensor=False)
    np.testing.assert_array_equal(evaluate(x, roots, tensor=False).data,
                                  evaluate(points, roots, tensor=False))
    at_a_number = evaluate(ad.tensor(0.5, requires_grad=True), roots[0])
    np.testing.assert_array_equal(at_a_number.data, evaluate(0.5, roots[0]))


# ----- failing where NumPy computes -------------------------------------------------
def test_sort_in_place_with_kind_alone_sorts_along_the_last_axis_as_ndarray_sort():
    """``t.sort(kind="stable")`` raised a TypeError comparing an int with the unset
    axis; ndarray.sort's axis defaults to -1."""
    data = _rng.normal(size=(3, 4))
    x = ad.tensor(data, requires_grad=True)
    y = x * 1.0
    assert y.sort(kind="stable") is None
    expected = data.copy()
    expected.sort(kind="stable")
    np.testing.assert_array_equal(y.data, expected)
    weights = _rng.normal(size=(3, 4))
    (y * weights).sum().backward()
    order = np.argsort(data, axis=-1, kind="stable")
    expected_grad = np.zeros_like(data)
    np.put_along_axis(expected_grad, order, weights, axis=-1)
    np.testing.assert_array_equal(x.grad, expected_grad)


_SEQUENTIAL = [
    ("hypot.reduce", lambda a: np.hypot.reduce(a, axis=1)),
    ("hypot.reduce axis=None", lambda a: np.hypot.reduce(a, axis=None)),
    ("hypot.reduce two axes keepdims", lambda a: np.hypot.reduce(a, axis=(0, 2),
                                                                 keepdims=True)),
    ("hypot.reduce one entry", lambda a: np.hypot.reduce(-a[:1], axis=0)),
    ("power.reduce", lambda a: np.power.reduce(a, axis=-1)),
    ("arctan2.reduce", lambda a: np.arctan2.reduce(a, axis=0)),
    ("float_power.reduce keepdims", lambda a: np.float_power.reduce(a, axis=2,
                                                                    keepdims=True)),
    ("copysign.reduce", lambda a: np.copysign.reduce(a - 1.0, axis=1)),
    ("hypot.accumulate", lambda a: np.hypot.accumulate(a, axis=1)),
    ("power.accumulate", lambda a: np.power.accumulate(a, axis=-1)),
    ("arctan2.accumulate", lambda a: np.arctan2.accumulate(a.ravel())),
]


@pytest.mark.parametrize("call", [call for _, call in _SEQUENTIAL],
                         ids=[name for name, _ in _SEQUENTIAL])
def test_reduce_and_accumulate_of_other_two_input_ufuncs_are_numpys_with_gradients(call):
    """They raised "no differentiable rule"; now the op applied slice by slice in
    NumPy's order: the values are NumPy's to the bit (dtype and shape too), on the
    tape, and the gradient matches central differences."""
    x = ad.tensor(_DATA.copy(), requires_grad=True)
    result, expected = call(x), call(_DATA.copy())
    assert isinstance(result, ad.Tensor) and result.requires_grad
    assert result.dtype == expected.dtype and result.shape == np.shape(expected)
    np.testing.assert_array_equal(result.data, expected)
    _gradient_matches_central_differences(call, _DATA)


def test_logical_reduce_and_accumulate_give_numpys_booleans():
    data = _rng.normal(size=(3, 4))
    data[1, 2] = 0.0
    for call in (lambda a: np.logical_and.reduce(a, axis=1),
                 lambda a: np.logical_or.reduce(a > 0.5, axis=0),
                 lambda a: np.logical_xor.accumulate(a > 0, axis=1),
                 lambda a: np.logical_and.accumulate(a, axis=0)):
        result, expected = call(ad.tensor(data, requires_grad=True)), call(data)
        assert result.dtype == np.bool_
        np.testing.assert_array_equal(result.data, expected)


def test_sequential_reductions_raise_numpys_errors():
    """Several axes of a ufunc that is not reorderable, and an empty reduction without
    an identity, are NumPy's errors; an empty one with an identity, and one from
    initial=, are NumPy's values."""
    x = ad.tensor(_DATA, requires_grad=True)
    with pytest.raises(ValueError, match="reduction operation 'power' is not reorderable"):
        np.power.reduce(x, axis=None)
    with pytest.raises(ValueError, match="zero-size array to reduction operation power"):
        np.power.reduce(x[:0], axis=0)
    np.testing.assert_array_equal(np.hypot.reduce(x[:0], axis=0).data,
                                  np.hypot.reduce(_DATA[:0], axis=0))
    # initial= is NumPy's (test_numpy_seventeenth_findings.py has the rest)
    np.testing.assert_array_equal(np.hypot.reduce(x, axis=0, initial=1.0).data,
                                  np.hypot.reduce(_DATA, axis=0, initial=1.0))


def test_hypot_reduce_matches_torchs_norm_and_its_gradient():
    """np.hypot.reduce along an axis is the Euclidean norm: PyTorch's vector_norm
    and its gradient, to rounding."""
    torch = pytest.importorskip("torch")
    x = ad.tensor(_DATA.copy(), requires_grad=True)
    np.hypot.reduce(x, axis=1).sum().backward()
    reference = torch.tensor(_DATA, requires_grad=True)
    torch.linalg.vector_norm(reference, dim=1).sum().backward()
    np.testing.assert_allclose(np.hypot.reduce(_DATA, axis=1),
                               torch.linalg.vector_norm(reference, dim=1).detach().numpy(),
                               rtol=1e-15)
    np.testing.assert_allclose(x.grad, reference.grad.numpy(), rtol=1e-13)


_MATMUL_AXES = [
    ("the last two", (2, 3, 3), lambda a: np.matmul(a, a, axes=[(-2, -1), (-2, -1),
                                                                (-2, -1)])),
    ("the first two", (3, 3, 2), lambda a: np.matmul(a, a, axes=[(0, 1), (0, 1), (0, 1)])),
    ("mixed", (2, 3, 3), lambda a: np.matmul(a, np.moveaxis(a, 0, 2),
                                             axes=[(1, 2), (0, 1), (2, 0)])),
]


@pytest.mark.parametrize("shape, call", [(shape, call) for _, shape, call in _MATMUL_AXES],
                         ids=[name for name, _, _ in _MATMUL_AXES])
def test_matmul_with_axes_is_numpys_with_gradients(shape, call):
    """np.matmul(a, b, axes=[...]) was refused ("call it without them")."""
    data = _rng.normal(size=shape)
    result = call(ad.tensor(data, requires_grad=True))
    assert result.requires_grad
    np.testing.assert_array_equal(result.data, call(data))
    _gradient_matches_central_differences(call, data)


def test_matmul_with_axes_into_out_and_as_pytorch_computes_it():
    torch = pytest.importorskip("torch")
    data = _rng.normal(size=(3, 3, 2))
    x = ad.tensor(data, requires_grad=True)
    out = ad.zeros((3, 3, 2))
    assert np.matmul(x, x, axes=[(0, 1), (0, 1), (0, 1)], out=out) is out
    expected = np.matmul(data, data, axes=[(0, 1), (0, 1), (0, 1)])
    np.testing.assert_array_equal(out.data, expected)
    weights = _rng.normal(size=(3, 3, 2))
    (out * weights).sum().backward()
    reference = torch.tensor(data, requires_grad=True)
    moved = reference.movedim((0, 1), (-2, -1))
    product = torch.matmul(moved, moved).movedim((-2, -1), (0, 1))
    (product * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.data, product.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(x.grad, reference.grad.numpy(), rtol=1e-12)
    with pytest.raises(TypeError, match=r"numpy\.matmul on a Tensor: axes=\[\(1, 2\), \(0,\), "
                                        r"\(1,\)\] is supported as three pairs.*np\.moveaxis"):
        np.matmul(x, x[0, 0], axes=[(1, 2), (0,), (1,)])


def test_nan_to_num_without_a_copy_replaces_in_place_on_the_tape():
    """copy=False was refused ("a tensor does not allow" in-place changes, which it
    does); now the Tensor itself is changed and returned, as NumPy's array is."""
    data = np.array([1.0, np.nan, np.inf, -2.0, -np.inf])
    x = ad.tensor(data.copy(), requires_grad=True)
    y = x * 2.0
    assert np.nan_to_num(y, copy=False, posinf=5.0, neginf=-5.0) is y
    np.testing.assert_array_equal(y.data, np.nan_to_num(data * 2.0, copy=False, posinf=5.0,
                                                         neginf=-5.0))
    (y * np.arange(5.0)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0, 6.0, 0.0])
    with pytest.raises(RuntimeError, match="nan_to_num: tensor of shape \\(5,\\) is a leaf "
                                           "that requires grad"):
        np.nan_to_num(x, copy=False)


def test_view_as_a_dtype_is_refused_naming_the_view_that_keeps_the_tape():
    """PyTorch's t.view(dtype) gives a tensor without gradient even for the tensor's own
    dtype; here it stays refused, and the message names t.view() for that case."""
    x = ad.tensor(np.arange(4.0), requires_grad=True)
    with pytest.raises(TypeError, match=r"view\(float64\): reinterpreting the bytes.*for "
                                        r"the tensor's own dtype, t\.view\(\) is the same"):
        x.view(np.float64)
    viewed = (x * 1.0).view()
    assert viewed.requires_grad and viewed.dtype == np.float64



_GRIDS = [
    ("polyval2d at points", (2, 5), lambda a: np.polynomial.polynomial.polyval2d(
        a[0], a[1], _COEFFICIENTS)),
    ("polyval2d of coefficients", (3, 4), lambda a: np.polynomial.polynomial.polyval2d(
        np.linspace(0, 1, 3), np.linspace(1, 2, 3), a)),
    ("polygrid2d at points", (2, 3), lambda a: np.polynomial.polynomial.polygrid2d(
        a[0], a[1, :2], _COEFFICIENTS)),
    ("polygrid2d of stacked coefficients", (3, 4), lambda a: np.polynomial.polynomial.polygrid2d(
        np.linspace(0, 1, 3), [0.5, 2.0], a.reshape(3, 2, 2))),
]
_COEFFICIENTS = _rng.normal(size=(3, 4))


@pytest.mark.parametrize("shape, call", [(shape, call) for _, shape, call in _GRIDS],
                         ids=[name for name, _, _ in _GRIDS])
def test_polyval2d_and_polygrid2d_are_numpys_with_gradients(shape, call):
    """NumPy hands these two to the Tensor, where they had no rule."""
    data = _rng.normal(size=shape)
    result = call(ad.tensor(data, requires_grad=True))
    expected = call(data)
    assert result.requires_grad and result.shape == expected.shape
    np.testing.assert_array_equal(result.data, expected)
    _gradient_matches_central_differences(call, data)
    with pytest.raises(ValueError, match="polyval2d: x, y are incompatible"):
        np.polynomial.polynomial.polyval2d(ad.tensor(data[0]), data[0][:-1], _COEFFICIENTS)


# ----- unclear ----------------------------------------------------------------------
@pytest.mark.parametrize("call, name", [
    (lambda t: np.sum(t, axis=0, out=np.zeros(2)), "numpy.sum"),
    (lambda t: t.max(axis=0, out=np.zeros(2)), "numpy.max"),
    (lambda t: np.mean(t, axis=0, out=np.zeros(2)), "numpy.mean"),
    (lambda t: np.cumsum(t, axis=0, out=np.zeros((3, 2))), "numpy.cumsum"),
    (lambda t: np.dot(t, np.ones(2), out=np.zeros(3)), "numpy.dot"),
], ids=["sum", "max method", "mean", "cumsum", "dot"])
def test_out_an_ndarray_of_a_function_on_the_tape_is_refused_naming_it(call, name):
    """It said the argument was "not supported; call it without them" while out= a
    Tensor works; now it names the function and says what to write."""
    t = ad.tensor(_rng.normal(size=(3, 2)), requires_grad=True)
    with pytest.raises(TypeError, match=re.escape(name) + r" with out= an ndarray on a "
                                        r"Tensor \(Tensor of shape \(3, 2\).*an ndarray "
                                        r"cannot hold.*give out= a Tensor"):
        call(t)
    out = ad.zeros(2)
    assert np.sum(t, axis=0, out=out) is out


def _tape_drop_message(run) -> str:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run()
    drops = [w for w in caught if issubclass(w.category, ad.TapeDropWarning)]
    assert drops, "no TapeDropWarning"
    assert all(w.filename == __file__ for w in drops)       # the user's line
    return str(drops[0].message)


def test_index_tricks_name_themselves_and_the_joins_to_write():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    assert "by np.r_, which makes an ndarray of each piece" in _tape_drop_message(
        lambda: np.r_[x, 0.0, 1:3])
    message = _tape_drop_message(lambda: np.c_[x, x])
    assert "by np.c_" in message and "np.column_stack([a, b])" in message
    joined = np.concatenate([x, np.atleast_1d(0.0), np.arange(1, 3)])
    np.testing.assert_array_equal(joined.data, np.r_[x.data, 0.0, 1:3])
    assert joined.requires_grad


@pytest.mark.parametrize("draw, name, instead", [
    (lambda rng, t: rng.normal(loc=t, scale=1.0), "numpy.random.Generator.normal",
     "loc + scale * rng.standard_normal(shape)"),
    (lambda rng, t: rng.exponential(scale=t), "numpy.random.Generator.exponential",
     "scale * rng.standard_exponential(shape)"),
    (lambda rng, t: rng.gamma(t), "numpy.random.Generator.gamma",
     "a function of a standard one"),
    (lambda rng, t: np.random.normal(t), "numpy.random.normal",
     "loc + scale * rng.standard_normal(shape)"),
], ids=["normal", "exponential", "gamma", "legacy normal"])
def test_random_draws_with_tensor_parameters_name_the_draw_and_the_reparameterisation(
        draw, name, instead):
    t = ad.tensor([0.5, 1.5], requires_grad=True)
    rng = np.random.default_rng(0)
    message = _tape_drop_message(lambda: draw(rng, t))
    assert f"by {name}, which draws with its parameters as plain numbers" in message
    assert instead in message and "rsample()" in message


def test_the_reparameterised_draw_has_the_pathwise_gradient():
    """The suggested form: the draw NumPy's (same generator state), the gradient with
    respect to the location 1 and to the scale the standard draw."""
    loc = ad.tensor([0.5, -1.0], requires_grad=True)
    scale = ad.tensor([2.0, 0.3], requires_grad=True)
    noise = np.random.default_rng(5).standard_normal(2)
    sample = loc + scale * noise
    np.testing.assert_array_equal(sample.data,
                                  np.random.default_rng(5).normal([0.5, -1.0], [2.0, 0.3]))
    sample.sum().backward()
    np.testing.assert_array_equal(loc.grad, [1.0, 1.0])
    np.testing.assert_array_equal(scale.grad, noise)


def test_fill_diagonal_into_an_ndarray_and_require_say_what_to_write():
    t = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    message = _tape_drop_message(lambda: np.fill_diagonal(np.zeros((3, 3)), t))
    assert "by np.fill_diagonal" in message and "make the target a Tensor first" in message
    target = np.zeros_like(t, shape=(3, 3))
    np.fill_diagonal(target, t)
    assert target.requires_grad
    np.testing.assert_array_equal(target.data, np.diag([1.0, 2.0, 3.0]))
    assert "a Tensor needs no np.require" in _tape_drop_message(
        lambda: np.require(t, requirements="C"))


def test_a_polynomial_at_tensor_points_is_recorded_and_the_advice_names_it():
    x = ad.tensor([0.1, 0.4], requires_grad=True)
    cubic = np.polynomial.Polynomial([1.0, -0.5, 0.25])
    kept = cubic(x)             # (recorded since the series' call takes a Tensor)
    assert kept.requires_grad
    np.testing.assert_array_equal(kept.data, cubic(x.data))
    message = _tape_drop_message(lambda: np.polynomial.Polynomial(x)(0.5))
    assert "np.polynomial.polynomial.polyval(x, c)" in message and "P(x)" in message



def test_a_wrapped_function_of_another_package_is_named_as_called():
    """A decorated SciPy function (scipy.linalg.cho_factor runs a wrapper) was named
    after the wrapper, "scipy.wrapper"; now as the user called it."""
    linalg = pytest.importorskip("scipy.linalg")
    matrix = ad.tensor(np.eye(2) * 2.0, requires_grad=True)
    message = _tape_drop_message(lambda: linalg.cho_factor(matrix))
    assert "by scipy.linalg.cho_factor, code outside NumPy and autodiff" in message


COMPILED_CALLS = {
    "hypot_reduce": lambda x: np.hypot.reduce(x.reshape(2, 3), axis=1).sum(),
    "power_accumulate": lambda x: np.power.accumulate(np.abs(x) + 0.5).sum(),
    "nan_to_num_in_place": lambda x: np.nan_to_num(np.log(x), copy=False, nan=1.0).sum(),
}


@pytest.mark.parametrize("loss", COMPILED_CALLS.values(), ids=COMPILED_CALLS.keys())
def test_what_was_added_replays_in_a_compiled_step_as_it_runs(loss):
    """A compiled training step using each addition gives, at every replay on new data,
    the loss and gradient of the step run directly."""
    w = ad.tensor(np.zeros(6), requires_grad=True)

    def step(x):
        value = loss(w + x)
        w.grad = None
        value.backward()
        return value, w.grad

    compiled = ad.compile(step)
    with np.errstate(invalid="ignore"):
        for seed in range(4):
            data = np.random.default_rng(seed).normal(size=6)
            value, grad = compiled(ad.tensor(data))
            value, grad = value.data.copy(), np.array(grad)
            expected_value, expected_grad = step(ad.tensor(data))
            np.testing.assert_array_equal(value, expected_value.data)
            np.testing.assert_array_equal(grad, expected_grad)
    assert compiled.traces == 1
