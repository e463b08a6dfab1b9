"""What the fifth set of NumPy programs (test_numpy_programs_fifth.py) found: the
library's fixes, and the clear refusals of what cannot be recorded."""

import warnings

import numpy as np
import pytest

import autodiff as ad

_rng = np.random.default_rng(5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("size", [0, 1, 40, 70000])
@pytest.mark.parametrize("bins", ["edges", "uneven", 5])
@pytest.mark.parametrize("density", [False, True])
def test_weighted_histogram_sums_are_numpys_to_the_bit(dtype, size, bins, density):
    """NumPy sums the weights of given edges as differences of a running sum in sorted
    order, and of even bins by bincount block by block of 65536 entries: the same
    additions give the same bits (a bincount over all entries differed in the last)."""
    data = _rng.normal(size=size)
    weights = _rng.random(size).astype(dtype)
    bins = {"edges": np.histogram_bin_edges(data, 4),
            "uneven": np.array([-1.0, 0.0, 0.3, 2.5])}.get(bins, bins)
    with np.errstate(invalid="ignore"):
        expected, expected_edges = np.histogram(data, bins, weights=weights, density=density)
        hist, edges = np.histogram(data, bins, weights=ad.tensor(weights), density=density)
    assert isinstance(hist, ad.Tensor) and hist.dtype == expected.dtype
    np.testing.assert_array_equal(hist.data, expected)
    np.testing.assert_array_equal(edges.data, expected_edges)


def test_the_weights_of_given_edges_get_their_bins_gradient_to_second_order():
    data = np.array([0.3, -0.2, 1.7, 0.9, 3.5, 0.0, -2.0])
    edges = np.array([-1.0, 0.0, 0.5, 2.0])
    scale = np.array([1.0, 2.0, 3.0])
    # entries -2.0 and 3.5 fall outside the edges: no gradient
    bin_of_entry = np.array([1, 0, 2, 2, -1, 1, -1])

    def f(w):
        hist, _ = np.histogram(data, edges, weights=w ** 2)
        return np.sum(hist * scale)

    w = _rng.normal(size=7)
    expected = np.where(bin_of_entry >= 0, scale[bin_of_entry], 0.0) * 2 * w
    np.testing.assert_allclose(ad.grad(f)(w), expected, rtol=1e-15)
    np.testing.assert_allclose(ad.hessian(f)(w), np.diag(expected / w), rtol=1e-15)


def test_a_compiled_histogram_over_given_edges_sorts_each_replays_data():
    w = ad.tensor(np.ones(6), requires_grad=True)
    edges = np.array([-1.0, 0.0, 1.0, 2.0])

    @ad.compile
    def step(x):
        sums, _ = np.histogram(x, edges, weights=w * x, density=True)
        w.grad = None
        (sums * np.array([1.0, 2.0, 3.0])).sum().backward()
        return sums

    for x in [_rng.normal(size=6), _rng.normal(size=6) + 0.5, _rng.normal(size=6) * 2]:
        np.testing.assert_array_equal(step(x).data,
                                      np.histogram(x, edges, weights=x, density=True)[0])
        eager = ad.tensor(np.ones(6), requires_grad=True)
        hist, _ = np.histogram(x, edges, weights=eager * x, density=True)
        (hist * np.array([1.0, 2.0, 3.0])).sum().backward()
        np.testing.assert_array_equal(w.grad, eager.grad)
    assert step.traces == 1


_LIKE_CALLS = [
    (np.zeros, ((2, 3),), {}), (np.ones, (3,), {"dtype": np.float32}), (np.empty, ((0,),), {}),
    (np.full, ((2,), 7.5), {}), (np.eye, (3, 4), {"k": 1}), (np.identity, (3,), {}),
    (np.tri, (3,), {"k": -1}), (np.arange, (1.0, 4.0, 0.5), {}),
    (np.array, ([[1.0, 2.0]],), {"ndmin": 3}), (np.asarray, ([1, 2],), {}),
    (np.ascontiguousarray, ([1.0],), {}), (np.frombuffer, (np.arange(3.0).tobytes(),), {}),
    (np.fromfunction, (lambda i, j: i * 10 + j, (2, 3)), {}),
]


@pytest.mark.parametrize("func, args, kwargs", _LIKE_CALLS,
                         ids=[f.__name__ for f, _, _ in _LIKE_CALLS])
def test_creation_with_like_a_tensor_makes_a_tensor_of_numpys_array(func, args, kwargs):
    """NEP 35's like=: the call reaches the Tensor (it was refused as 'no differentiable
    rule'), and gives NumPy's array as a Tensor to write Tensors into."""
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    made = func(*args, like=t, **kwargs)
    expected = func(*args, **kwargs)
    assert isinstance(made, ad.Tensor) and not made.requires_grad
    assert made.dtype == expected.dtype and made.shape == expected.shape
    np.testing.assert_array_equal(made.data, expected)


def _rotation_like(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]], like=angle)


def test_np_array_like_a_tensor_keeps_the_tensors_it_holds_on_the_tape():
    angle = 0.4
    rotation = _rotation_like(ad.tensor(angle))
    np.testing.assert_array_equal(rotation.data, _rotation_like(np.array(angle)))
    grad = ad.grad(lambda a: np.sum(_rotation_like(a) * np.array([[1.0, 2.0], [3.0, 4.0]])))
    np.testing.assert_allclose(grad(angle), -np.sin(angle) * 5 + np.cos(angle) * 1, rtol=1e-15)
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    assert np.asarray(t, like=t) is t
    copied = np.array(t, dtype=np.float32, ndmin=2, like=t)
    assert copied.shape == (1, 2) and copied.dtype == np.float32 and copied.requires_grad
    with pytest.raises(TypeError, match=r"numpy.array\(..., like=t\).*\['order'\]"):
        np.array([t[0], 1.0], order="F", like=t)
    with pytest.raises(TypeError, match=r"numpy.full\(..., like=t\).*np.full_like"):
        np.full(3, t[0], like=t)


def _householder_q(v):
    """Q of reflections written into the columns of an identity made with like=."""
    q = np.eye(3, like=v)
    for k in range(2):
        reflector = v[k:] / np.linalg.norm(v[k:])
        q[:, k:] -= 2.0 * np.outer(q[:, k:] @ reflector, reflector)
    return q


def test_writes_into_an_identity_made_like_a_tensor_are_recorded_as_in_pytorch():
    torch = pytest.importorskip("torch")
    v = np.array([0.3, -1.2, 0.8])
    weights = np.arange(9.0).reshape(3, 3)
    grad = ad.grad(lambda t: np.sum(_householder_q(t) * weights))(v)
    np.testing.assert_array_equal(_householder_q(ad.tensor(v)).data, _householder_q(v))
    tv = torch.tensor(v, requires_grad=True)
    q = torch.eye(3, dtype=torch.float64)
    for k in range(2):
        reflector = tv[k:] / torch.linalg.norm(tv[k:])
        # (PyTorch refuses the product of q's columns that the write then changes)
        q[:, k:] -= 2.0 * torch.outer(q[:, k:].clone() @ reflector, reflector)
    (q * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(grad, tv.grad.numpy(), rtol=1e-12)


def test_writing_a_tensor_into_a_slice_of_an_ndarray_names_like():
    t = ad.tensor(np.ones((3, 2)), requires_grad=True)
    q = np.eye(3)
    with pytest.raises(TypeError, match=r"a\[key\] -= t.*np.eye\(n, like=t\)"):
        q[:, 1:] -= t


def test_a_compiled_function_makes_its_like_arrays_again_at_each_replay():
    @ad.compile
    def step(x):
        out = np.zeros(x.shape[0] + 1, like=x)
        out[1:] = np.cumsum(x)
        ramp = np.fromfunction(lambda i: x[0] * i, (3,), like=x)
        return np.arange(out.shape[0], like=x) * out + ramp

    for x in [np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([0.5, 0.5])]:
        np.testing.assert_array_equal(
            step(ad.tensor(x)).data,
            np.arange(3) * np.concatenate([[0.0], np.cumsum(x)]) + x[0] * np.arange(3.0))
    assert step.traces == 1


_NAN_DATA = np.array([[0.4, np.nan, -1.3, 2.2], [np.nan, np.nan, 0.7, -0.2],
                      [1.1, 0.5, np.nan, 0.9]])
_CHOSEN = np.array([[True, True, False, True], [True, False, True, True],
                    [False, True, True, True]])


@pytest.mark.parametrize("reduce, options", [
    (np.nansum, {}), (np.nansum, {"initial": 1.5}), (np.nanprod, {}),
    (np.nanprod, {"initial": 2.0}), (np.nanmean, {}), (np.nanmax, {"initial": -5.0}),
    (np.nanmin, {"initial": 5.0}),
], ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_nan_reductions_take_where_and_initial_as_numpy(reduce, options, axis):
    """np.nansum, nanprod, nanmean, nanmax and nanmin with NumPy's where= (and
    initial=): NumPy's values to the bit (they were refused), gradients to the chosen
    entries that are not NaN, matching central differences."""
    def f(x):
        return np.sum(reduce(x, axis=axis, where=_CHOSEN, **options) ** 2)

    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = reduce(_NAN_DATA, axis=axis, where=_CHOSEN, **options)
        got = reduce(ad.tensor(_NAN_DATA), axis=axis, where=_CHOSEN, **options)
        np.testing.assert_array_equal(got.data, expected)
        assert got.dtype == expected.dtype
        finite = np.isfinite(expected).all()
        x = np.where(np.isnan(_NAN_DATA), np.nan, _NAN_DATA + 0.01 * np.arange(12).reshape(3, 4))
        if finite:
            grad = ad.grad(f)(x)
            step = np.eye(12).reshape(12, 3, 4) * 1e-6
            numerical = np.array([(f(x + e) - f(x - e)) / 2e-6 for e in step]).reshape(3, 4)
            numerical[np.isnan(numerical)] = 0.0     # (a NaN entry moves nothing)
            np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-8)
            assert np.all(grad[~_CHOSEN | np.isnan(_NAN_DATA)] == 0)


@pytest.mark.parametrize("reduce", [np.nanmax, np.nanmin])
def test_nan_extremes_with_where_and_no_initial_raise_as_numpy(reduce):
    with pytest.raises(ValueError, match="identity"):
        reduce(_NAN_DATA, where=_CHOSEN)
    with pytest.raises(ValueError, match=f"np.{reduce.__name__} .*identity"):
        reduce(ad.tensor(_NAN_DATA), where=_CHOSEN)


def _strided_windows(p):
    return np.sum(np.lib.stride_tricks.as_strided(p, shape=(4, 3), strides=(8, 8)) ** 2)


def _scipy_logsumexp(p):
    special = pytest.importorskip("scipy.special")
    return special.logsumexp(p)


@pytest.mark.parametrize("program, named", [
    (_strided_windows, r"np\.lib\.stride_tricks\.as_strided.*sliding_window_view"),
    (_scipy_logsumexp, r"by scipy.special.logsumexp, code outside NumPy and autodiff"),
])
def test_a_conversion_by_a_function_that_cannot_be_recorded_names_it(program, named):
    """as_strided (arbitrary memory layouts) and a third-party function written with
    np.asarray cannot be recorded: the refusal names the function (it named only the
    line for a package outside NumPy) and what to write instead."""
    with pytest.raises(TypeError, match=named):
        ad.grad(program)(np.arange(6.0))
    if program is _strided_windows:     # (a view of raw memory: refused outside one too)
        with pytest.raises(TypeError, match=named):
            program(ad.tensor(np.arange(6.0), requires_grad=True))
        return
    with pytest.warns(ad.TapeDropWarning, match=named):
        program(ad.tensor(np.arange(6.0), requires_grad=True))


@pytest.mark.parametrize("axis, weights_shape", [(None, (3, 4)), (1, (4,)), (0, (3, 4)),
                                                 ((0, 1), (3, 4))])
@pytest.mark.parametrize("name, q", [("quantile", [0.0, 0.3, 1.0]), ("percentile", 45.0)])
def test_weighted_quantiles_are_numpys_picks_with_their_gradient(axis, weights_shape, name, q):
    """np.quantile/np.percentile with weights= (method='inverted_cdf'; it was refused):
    NumPy's values, leading zero weights skipped as NumPy does, the gradient to the
    entries picked (central differences), none to the weights (a step function)."""
    data = np.round(_rng.normal(size=(3, 4)), 1) + 0.01 * np.arange(12).reshape(3, 4)
    weights = np.array([0.0, 2.0, 1.0, 0.5, 1.0, 0.0, 3.0, 1.0, 0.5, 0.5, 0.0, 2.0])
    weights = weights[:4] if weights_shape == (4,) else weights.reshape(3, 4)
    reduce = getattr(np, name)

    def f(x):
        picked = reduce(x, q, axis=axis, method="inverted_cdf", weights=weights)
        return np.sum(picked * np.arange(1.0, np.size(picked) + 1).reshape(np.shape(picked)))

    got = reduce(ad.tensor(data), q, axis=axis, method="inverted_cdf", weights=weights)
    expected = reduce(data, q, axis=axis, method="inverted_cdf", weights=weights)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got.data, expected)
    step = np.eye(12).reshape(12, 3, 4) * 1e-7
    numerical = np.array([(f(data + e) - f(data - e)) / 2e-7 for e in step]).reshape(3, 4)
    np.testing.assert_allclose(ad.grad(f)(data), numerical, atol=1e-7)
    w = ad.tensor(weights, requires_grad=True)
    assert not np.sum(reduce(data, q, axis=axis, method="inverted_cdf", weights=w)).requires_grad


def test_weights_with_another_quantile_method_raise_numpys_error():
    with pytest.raises(ValueError, match="inverted_cdf"):
        np.quantile(ad.tensor([1.0, 2.0]), 0.5, weights=np.ones(2))


def test_a_compiled_weighted_quantile_picks_again_at_each_replay():
    weights = np.array([1.0, 0.0, 2.0, 1.0, 0.5])

    @ad.compile
    def step(x):
        return np.quantile(x, [0.2, 0.7], method="inverted_cdf", weights=weights)

    for x in [_rng.normal(size=5), _rng.normal(size=5), _rng.normal(size=5)]:
        np.testing.assert_array_equal(
            step(ad.tensor(x)).data,
            np.quantile(x, [0.2, 0.7], method="inverted_cdf", weights=weights))
    assert step.traces == 1
