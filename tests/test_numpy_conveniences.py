"""NumPy's conveniences on Tensors: ``np.vectorize(f)(t)`` is recorded (values
NumPy's to the bit, gradients checked against central differences, to second order,
and against HIPS autograd on the same function written with ``where``);
``np.frompyfunc`` likewise (tests/test_numpy_frompyfunc.py), and ``np.ndenumerate`` /
``np.nditer`` of a Tensor warn naming themselves and what to iterate over instead.
(``np.r_`` / ``np.c_`` of Tensors warn that they drop the tape, as the API says:
tests/test_tape_drop.py.)"""

import re
import warnings

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference

_rng = np.random.default_rng(20261206)

# ---------------------------------------------------------------- np.vectorize


def _clipped_square(v):
    """A piecewise function written for numbers: a Python branch per element."""
    return v * v if v < 1 else 2 * v - 1


def _scaled_softplus(a, b):
    return np.log1p(np.exp(a)) * b if a > -0.5 else b * b * 0.5


def test_vectorize_calls_the_function_on_0d_tensors_and_records_each_call():
    seen = []

    def spy(v):
        seen.append((type(v), np.ndim(v), v.requires_grad if isinstance(v, ad.Tensor)
                     else None))
        return _clipped_square(v)

    x = ad.tensor([0.2, 0.9, 1.5, 3.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        y = np.vectorize(spy)(x)
    assert seen == [(ad.Tensor, 0, True)] * 4                 # (once each, in order)
    assert isinstance(y, ad.Tensor) and y.requires_grad
    np.testing.assert_array_equal(y.data, np.vectorize(_clipped_square)(x.data))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.where(x.data < 1, 2 * x.data, 2.0))
    # an array alone is NumPy's own call: an ndarray, Python numbers passed to f
    seen.clear()
    assert type(np.vectorize(spy, otypes=[float])(x.data)) is np.ndarray
    assert seen == [(float, 0, None)] * 4


def test_vectorize_broadcasts_tensors_and_arrays_with_gradients_to_second_order():
    a = _rng.normal(size=(3, 1))
    b = _rng.normal(size=4)
    scale = _rng.normal(size=(1, 4))
    f = np.vectorize(lambda p, q, s: _scaled_softplus(p, q) * s)
    result = f(ad.tensor(a), ad.tensor(b), scale)
    assert result.shape == (3, 4)
    np.testing.assert_array_equal(result.data, f(a, b, scale))
    weights = _rng.normal(size=(3, 4))
    ad.gradcheck(lambda p, q: np.sum(f(p, q, scale) * weights), [a, b])
    ad.gradgradcheck(lambda p, q: f(p, q, scale), [a, b])
    flat = np.concatenate([a.ravel(), b])

    def loss(v):
        return np.sum(f(v[:3].reshape(3, 1), v[3:], scale) * weights)

    np.testing.assert_allclose(ad.grad(loss)(flat), central_difference(loss, flat),
                               rtol=1e-6, atol=1e-9)


def test_vectorize_gradient_matches_hips_autograd_on_the_same_function_written_with_where():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    x = np.array([0.2, 0.9, 1.5, -3.0, 2.5])
    expected = autograd.grad(lambda v: anp.sum(anp.sin(anp.where(v < 1, v * v, 2 * v - 1))))(x)
    got = ad.grad(lambda v: np.sum(np.sin(np.vectorize(_clipped_square)(v))))(x)
    np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_vectorize_otypes_and_several_outputs_are_numpys():
    x = ad.tensor([0.25, 1.5, -2.0], requires_grad=True)
    halves = np.vectorize(lambda v: v / 3, otypes=[np.float32])(x)
    assert halves.dtype == np.float32 and halves.requires_grad
    np.testing.assert_array_equal(halves.data, np.vectorize(lambda v: v / 3,
                                                            otypes=[np.float32])(x.data))
    # without otypes the first call's result decides the dtype, and every result is
    # cast to it (an int first: the later floats are truncated, as NumPy's)
    first_int = np.vectorize(lambda v: 1 if v < 0.5 else v * 1.5)
    np.testing.assert_array_equal(first_int(x).data, first_int(x.data))
    assert first_int(x).dtype == first_int(x.data).dtype == np.int64
    pair = np.vectorize(lambda v: (v * v, np.sin(v) if v > 0 else v))
    square, sine = pair(x)
    for got, expected in zip((square, sine), pair(x.data)):
        np.testing.assert_array_equal(got.data, expected)
    (square.sum() + 2 * sine.sum()).backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 2 * np.where(x.data > 0, np.cos(x.data),
                                                                 1.0), rtol=1e-15)
    with pytest.raises(ValueError, match="wrong number of outputs.*expected 2, got 1"):
        np.vectorize(lambda v: (v, v) if v > 0 else v)(x)


def test_vectorize_excluded_arguments_reach_the_function_whole_and_get_gradients():
    x = _rng.normal(size=3)
    w = _rng.normal(size=2)

    def weighted(a, weights, power=2):
        return np.sum(weights ** power) * a if a > 0 else a

    by_position = np.vectorize(weighted, excluded={1})
    by_name = np.vectorize(weighted, excluded={"weights", "power"})
    expected = by_position(x, w)
    for f in (lambda a, b: by_position(a, b), lambda a, b: by_name(a, weights=b, power=2)):
        np.testing.assert_array_equal(f(ad.tensor(x), ad.tensor(w)).data, expected)
        ad.gradcheck(lambda a, b: np.sum(f(a, b) * np.arange(1.0, 4.0)), [x, w])
        ad.gradgradcheck(f, [x, w])
    # a Tensor reached only through an excluded argument still records the calls
    weights = ad.tensor(w, requires_grad=True)
    by_position(x, weights).sum().backward()
    np.testing.assert_allclose(weights.grad, 2 * w * np.sum(np.where(x > 0, x, 0.0)),
                               rtol=1e-14)


@pytest.mark.parametrize("signature, f, shapes", [
    ("(n)->()", lambda v: np.sum(v * v) if v[0] > 0 else np.max(v), [(3, 4)]),
    ("()->(k)", lambda v: np.stack([v, v * v, np.sin(v)]), [(2, 3)]),
    ("(n),(n)->()", lambda a, b: a @ b, [(2, 1, 3), (4, 3)]),
    ("(m,n)->(n,m)", lambda m: m.T * m.sum(), [(2, 2, 3)]),
], ids=["(n)->()", "()->(k)", "(n),(n)->()", "(m,n)->(n,m)"])
def test_vectorize_with_a_signature_loops_over_the_broadcast_dimensions(signature, f, shapes):
    arrays = [_rng.normal(size=shape) for shape in shapes]
    vectorized = np.vectorize(f, signature=signature)
    result = vectorized(*map(ad.tensor, arrays))
    expected = vectorized(*arrays)
    assert result.shape == expected.shape and result.dtype == expected.dtype
    np.testing.assert_array_equal(result.data, expected)
    weights = _rng.normal(size=expected.shape)
    ad.gradcheck(lambda *a: np.sum(np.tanh(vectorized(*a)) * weights), arrays)
    ad.gradgradcheck(lambda *a: np.tanh(vectorized(*a)), arrays)


def test_vectorize_signature_with_two_outputs_and_its_errors():
    m = ad.tensor(_rng.normal(size=(3, 4)), requires_grad=True)
    moments = np.vectorize(lambda v: (np.mean(v), v - np.mean(v)), signature="(n)->(),(n)")
    mean, centred = moments(m)
    for got, expected in zip((mean, centred), moments(m.data)):
        np.testing.assert_array_equal(got.data, expected)
    (mean.sum() + (centred ** 2).sum()).backward()
    np.testing.assert_allclose(m.grad, 0.25 + 2 * centred.data, rtol=1e-14)
    with pytest.raises(ValueError, match="inconsistent size for core dimension 'n': 2 vs 4"):
        np.vectorize(lambda a, b: a @ b, signature="(n),(n)->()")(m, np.ones(2))
    with pytest.raises(ValueError, match="0-dimensional argument does not have enough"):
        np.vectorize(np.sum, signature="(n)->()")(m[0, 0])
    with pytest.raises(ValueError, match=r"gave a value of shape \(\).*core dimensions "
                                         r"\['k'\]|shape \(\) where"):
        np.vectorize(lambda v: v.sum(), signature="(n)->(k)")(m)


def test_vectorize_refuses_what_numpy_refuses_and_what_a_tensor_cannot_hold():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(2,\) where each call must give one "
                                         r"number.*signature='\(\)->\(n\)'"):
        np.vectorize(lambda v: np.stack([v, v]))(x)
    with pytest.raises(TypeError, match="np.vectorize on a Tensor: the function gave 'a'"):
        np.vectorize(lambda v: "a")(x)
    with pytest.raises(ValueError, match="size 0 inputs unless `otypes` is set"):
        np.vectorize(lambda v: v)(x[:0])
    empty = np.vectorize(lambda v: v, otypes="d")(x[:0])
    assert empty.shape == (0,) and empty.requires_grad
    empty.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_vectorize_warns_when_a_function_written_for_numbers_leaves_the_tape():
    x = ad.tensor([0.5, -1.0], requires_grad=True)
    as_number = np.vectorize(lambda v: float(np.log1p(np.exp(v))))
    with pytest.warns(ad.TapeDropWarning, match=r"every call gave a plain number.*"
                                                r"float\(v\), v\.item\(\)") as record:
        constant = as_number(x)
    assert record[0].filename == __file__ and not constant.requires_grad
    np.testing.assert_array_equal(constant.data, as_number(x.data))
    with warnings.catch_warnings():     # (integer results, or no gradient wanted: silent)
        warnings.simplefilter("error", ad.TapeDropWarning)
        np.vectorize(lambda v: 1 if v > 0 else 0)(x)
        as_number(x.detach())


def test_vectorize_works_in_transforms_and_as_a_decorator():
    @np.vectorize
    def smooth_step(v):
        return v * v * (3 - 2 * v) if 0 < v < 1 else (0.0 if v <= 0 else 1.0)

    x = np.array([-0.5, 0.25, 0.5, 0.8, 1.5])
    gradient = ad.grad(lambda v: np.sum(smooth_step(v)))(x)
    np.testing.assert_allclose(gradient, np.where((x > 0) & (x < 1), 6 * x * (1 - x), 0.0),
                               rtol=1e-15)
    np.testing.assert_allclose(
        ad.hessian(lambda v: np.sum(smooth_step(v)))(x),
        np.diag(np.where((x > 0) & (x < 1), 6 - 12 * x, 0.0)), rtol=1e-14, atol=1e-15)
    typed = np.vectorize(otypes=[np.float64])(lambda v: v if v > 0 else 0.0)
    np.testing.assert_array_equal(ad.grad(lambda v: np.sum(typed(v)))(x), x > 0)


def test_a_tensor_read_from_outside_a_vectorized_function_names_the_fix():
    w = ad.tensor(2.0, requires_grad=True)
    with pytest.warns(ad.TapeDropWarning, match=r"by numpy\.vectorize.*a Tensor the "
                                                r"function reads from outside.*excluded"):
        np.vectorize(lambda a: a * w)(np.arange(3.0))
    # as the message says: an excluded argument, and the calls are recorded
    np.vectorize(lambda a, v: a * v, excluded={1})(np.arange(3.0), w).sum().backward()
    assert w.grad == 3.0


# ------------------------------------------------------ np.ndenumerate, np.nditer


@pytest.mark.parametrize("iterate, name", [
    (lambda t: [v for _, v in np.ndenumerate(t)], "ndenumerate"),
    (lambda t: [v for v in np.nditer(t)], "nditer"),
], ids=["ndenumerate", "nditer"])
def test_ndenumerate_and_nditer_name_themselves_and_what_to_iterate_instead(iterate, name):
    t = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with pytest.warns(ad.TapeDropWarning) as record:
        iterate(t)
    message = str(record[0].message)
    assert record[0].filename == __file__
    assert f"by np.{name}, which iterates over" in message
    assert "for v in t.reshape(-1)" in message and "np.ndindex(t.shape)" in message
    expected = re.escape(f"inside a transform, a Tensor (shape (2, 2)) that requires grad "
                         f"was converted to a NumPy array by np.{name}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(TypeError) as raised:
            ad.grad(lambda a: sum(iterate(a)) * a.sum())(t.data)
    if name == "nditer":
        # (np.nditer replaces any TypeError of the conversion with its own, about
        # writing back, so the reason comes as a warning too)
        assert re.search(expected, str(caught[0].message)) and caught[0].filename == __file__
    else:
        assert re.search(expected, str(raised.value))
    # the iterations the message suggests keep the entries on the tape
    on_tape = [t[index] * (k + 1) for k, index in enumerate(np.ndindex(t.shape))]
    (sum(on_tape) + sum(v * v for v in t.reshape(-1))).backward()
    np.testing.assert_array_equal(t.grad, [[3.0, 6.0], [9.0, 12.0]])
