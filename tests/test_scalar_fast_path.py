"""Binary arithmetic on 0-d float tensors runs through NumPy's scalar arithmetic (a
scalar chain's hot path); its results, dtypes, warnings and gradients are the ufunc's
(a warning's text says "in scalar multiply" where the ufunc's says "in multiply")."""

import itertools
import warnings

import numpy as np
import pytest

import autodiff as ad

OPS = [(ad.add, np.add), (ad.subtract, np.subtract), (ad.multiply, np.multiply),
       (ad.divide, np.true_divide)]
VALUES = [0.0, -0.0, 1.5, -3.25, 1e-310, 3e38, np.inf, -np.inf, np.nan, 7]


def _operands(dtype):
    for a, b in itertools.product(VALUES, repeat=2):
        yield np.asarray(a, dtype), b                   # tensor with a Python number
        yield np.asarray(a, dtype), np.asarray(b, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op, ufunc", OPS, ids=[o.name for o, _ in OPS])
def test_0d_arithmetic_equals_the_ufunc_bitwise_with_the_same_warnings(op, ufunc, dtype):
    for a, b in _operands(dtype):
        with warnings.catch_warnings(record=True) as ours, np.errstate(all="warn"):
            warnings.simplefilter("always")
            got = op(ad.tensor(a, requires_grad=True), b if np.ndim(b) == 0 and not
                     isinstance(b, np.ndarray) else ad.tensor(b, requires_grad=True))
        with warnings.catch_warnings(record=True) as numpys, np.errstate(all="warn"):
            warnings.simplefilter("always")
            want = np.asarray(ufunc(a, b))
        assert type(got.data) is np.ndarray and got.data.shape == ()
        assert got.data.dtype == want.dtype, (a, b)
        assert got.data.tobytes() == want.tobytes() or (np.isnan(want) and np.isnan(got.data))
        # The same warnings; NumPy's scalar arithmetic words them "... in scalar divide".
        assert [str(w.message).replace("scalar ", "") for w in ours] == \
            [str(w.message) for w in numpys], (a, b)


def test_mixed_precisions_and_python_numbers_promote_as_numpy():
    f32 = ad.tensor(np.float32(1.1), requires_grad=True)
    f64 = ad.tensor(np.float64(2.2), requires_grad=True)
    assert (f32 * 3).dtype == np.float32 and (f32 * 0.1).dtype == np.float32
    assert (f32 * f64).dtype == np.float64
    assert (0.5 / f32).dtype == np.float32
    assert (f32 * f64).data.tobytes() == np.multiply(f32.data, f64.data).tobytes()


def test_a_scalar_chain_has_the_gradient_of_the_array_chain():
    def chain(x):
        y = x
        for _ in range(50):
            y = (y * 0.999 + 0.001) / 1.0001 - 0.0002
        return y.sum()

    scalar = ad.tensor(0.5, requires_grad=True)
    vector = ad.tensor(np.array([0.5]), requires_grad=True)
    chain(scalar).backward()
    chain(vector).backward()
    assert scalar.grad.tobytes() == vector.grad[0].tobytes()
