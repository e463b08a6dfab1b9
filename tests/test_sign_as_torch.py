"""PyTorch's spellings of sign (``t.sign()``, ``t.sgn()``, ``ad.sgn``) give 0 for NaN,
as PyTorch does; ``ad.sign`` and ``np.sign`` keep NumPy's NaN.  The gradient is 0
everywhere in both."""

import numpy as np
import pytest

import autodiff as ad

VALUES = [np.nan, -0.0, 0.0, 2.5, -3.0, np.inf, -np.inf]


@pytest.mark.parametrize("spelling", [lambda t: t.sign(), lambda t: t.sgn(), ad.sgn])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_pytorchs_spellings_give_zero_for_nan(spelling, dtype):
    t = ad.tensor(np.array(VALUES, dtype), requires_grad=True)
    out = spelling(t)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.data, np.array([0, 0, 0, 1, -1, 1, -1], dtype))
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, 0.0)


def test_numpys_spellings_keep_nan():
    t = ad.tensor(VALUES)
    for out in (ad.sign(t), np.sign(t)):
        assert np.isnan(out.data[0])
        np.testing.assert_array_equal(out.data[1:], np.sign(np.array(VALUES[1:])))


def test_the_same_as_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array(VALUES)
    theirs = torch.tensor(x)
    for ours, expected in ((ad.tensor(x).sign(), theirs.sign()), (ad.tensor(x).sgn(), theirs.sgn()),
                           (ad.sgn(ad.tensor(x)), torch.sgn(theirs))):
        np.testing.assert_array_equal(ours.data, expected.numpy())
    z = np.array([1 + 1j, 0j, -2j])
    np.testing.assert_allclose(ad.tensor(z).sgn().data, torch.tensor(z).sgn().numpy(), rtol=1e-15)
    ints = np.array([3, 0, -2])
    np.testing.assert_array_equal(ad.tensor(ints).sign().data, torch.tensor(ints).sign().numpy())


def test_a_compiled_call_replays_it():
    w = ad.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)

    @ad.compile
    def f(x):
        return (x * w).sign()

    for x in (np.array([1.0, np.nan, -1.0]), np.array([np.nan, 2.0, 0.0])):
        np.testing.assert_array_equal(f(x).data, np.nan_to_num(np.sign(x * w.data)))
