"""``np.subtract.reduceat`` and ``np.divide.reduceat`` on Tensors (running differences
and quotients over segments): NumPy's values to the bit, gradients and second
derivatives against central differences (HIPS autograd has no ``reduceat``); and
``ufunc.reduceat`` / ``.reduce`` / ``.accumulate`` with ``out=`` an ndarray: NumPy's
result where no value is on the tape, an error saying what to write otherwise."""

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(7)
UFUNCS = [np.subtract, np.divide, np.multiply, np.maximum, np.minimum]
# indices that increase, repeat and go back (NumPy then takes a[indices[i]] alone)
INDICES = [np.array([0, 3, 5]), np.array([0, 2, 2, 1, 6]), np.array([4]), np.array([5, 0])]


@pytest.mark.parametrize("ufunc", UFUNCS, ids=lambda u: u.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_are_numpys_to_the_bit(ufunc, dtype):
    for n in (7, 40):
        data = (RNG.random((3, n)) + 0.5).astype(dtype)
        for indices in INDICES + [np.sort(RNG.integers(0, n, size=6))]:
            for axis, values in ((1, data), (0, np.ascontiguousarray(data.T)), (-1, data)):
                result = ufunc.reduceat(ad.tensor(values, requires_grad=True), indices,
                                        axis=axis)
                expected = ufunc.reduceat(values, indices, axis=axis)
                assert result.requires_grad and result.dtype == expected.dtype
                np.testing.assert_array_equal(result.data, expected)


@pytest.mark.parametrize("ufunc", [np.subtract, np.divide], ids=lambda u: u.__name__)
@pytest.mark.parametrize("indices", INDICES, ids=str)
def test_first_and_second_derivatives_match_central_differences(ufunc, indices):
    data = RNG.random((2, 7)) + 0.5                  # away from zero: divide is smooth
    weights = RNG.standard_normal(ufunc.reduceat(data, indices, axis=1).shape)

    def weighted(a):
        return (ufunc.reduceat(a, indices, axis=1) ** 2 * weights).sum()
    point = ad.tensor(data, requires_grad=True)
    assert ad.gradcheck(weighted, [point])
    assert ad.gradgradcheck(weighted, [point])


def test_a_running_difference_gradient_by_hand():
    x = ad.tensor([1.0, 2.0, 4.0, 8.0, 16.0], requires_grad=True)
    y = np.subtract.reduceat(x, [0, 3])              # [1 - 2 - 4, 8 - 16]
    np.testing.assert_array_equal(y.data, [-5.0, -8.0])
    (y * ad.tensor([1.0, 10.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, -1.0, -1.0, 10.0, -10.0])
    x.grad = None
    q = np.divide.reduceat(x, [1, 3])                # [2 / 4, 8 / 16]
    np.testing.assert_array_equal(q.data, [0.5, 0.5])
    q.sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 1 / 4, -2 / 16, 1 / 16, -8 / 256], rtol=1e-15)


def test_integer_inputs_give_numpys_dtype_and_numpys_errors_stay():
    for ufunc in (np.subtract, np.divide):
        expected = ufunc.reduceat(np.arange(1, 6), [0, 2, 1])
        result = ufunc.reduceat(ad.tensor(np.arange(1, 6)), [0, 2, 1])
        assert result.dtype == expected.dtype
        np.testing.assert_array_equal(result.data, expected)
    with pytest.raises(IndexError, match="out-of-bounds"):
        np.subtract.reduceat(ad.tensor(np.ones(3), requires_grad=True), [0, 5])


def test_a_compiled_step_replays_segment_differences():
    w = ad.tensor(RNG.random(6) + 0.5, requires_grad=True)

    @ad.compile
    def step(x):
        loss = (np.divide.reduceat(x * w, [0, 2, 5])
                + np.subtract.reduceat(x * w, [1, 4, 5])).sum()
        loss.backward()
        return loss

    for _ in range(3):
        x = RNG.random(6) + 0.5
        w.grad = None
        loss = step(x)
        eager_w = ad.tensor(w.data, requires_grad=True)
        eager = (np.divide.reduceat(x * eager_w, [0, 2, 5])
                 + np.subtract.reduceat(x * eager_w, [1, 4, 5])).sum()
        eager.backward()
        assert loss.item() == eager.item()
        np.testing.assert_array_equal(w.grad, eager_w.grad)
    assert step.traces == 1


@pytest.mark.parametrize("method, call", [
    ("reduceat", lambda u, t, out: u.reduceat(t, [0, 2], out=out)),
    ("reduce", lambda u, t, out: u.reduce(t, out=out[:1].reshape(()))),
    ("accumulate", lambda u, t, out: u.accumulate(t[:2], out=out)),
], ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply], ids=lambda u: u.__name__)
def test_out_an_ndarray(method, call, ufunc):
    data = np.arange(1.0, 6.0)
    expected_out = np.zeros(2)
    expected = call(ufunc, data, expected_out)
    out = np.zeros(2)
    result = call(ufunc, ad.tensor(data), out)           # off the tape: NumPy's own
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(out, expected_out)
    name = rf"numpy\.{ufunc.__name__}\.{method}"
    with pytest.raises(TypeError, match=rf"^{name} with out= an ndarray on a Tensor.*"
                                        rf"r = np\.{ufunc.__name__}\.{method}\(t, \.\.\.\)"):
        call(ufunc, ad.tensor(data, requires_grad=True), np.zeros(2))
