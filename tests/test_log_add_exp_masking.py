"""``np.logaddexp.reduce`` and ``np.logaddexp2.reduce`` with ``initial=`` and ``where=``
on Tensors (a masked log-sum-exp, as HMM and attention code write it): the values are
NumPy's to the bit, the gradient is the softmax over the kept entries and the initial
term, 0 where masked out, and it matches central differences, PyTorch's logsumexp
and second order."""

import numpy as np
import pytest

import autodiff as ad
from numpy_program_checks import central_difference

UFUNCS = [np.logaddexp, np.logaddexp2]
MASK = np.array([[True, False, True], [False, True, True]])
X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])

CASES = [
    dict(where=MASK[0], axis=1),
    dict(initial=0.5, axis=1),
    dict(initial=-np.inf, where=MASK, axis=1),
    dict(initial=2.0, where=MASK, axis=0, keepdims=True),
    dict(initial=0.25, axis=None),
    dict(where=np.array([[True], [False]]), axis=0),
]


@pytest.mark.parametrize("ufunc", UFUNCS, ids=lambda u: u.__name__)
@pytest.mark.parametrize("kwargs", CASES, ids=[str(sorted(c)) for c in CASES])
def test_masked_reduce_value_is_numpys_and_gradient_matches_differences(ufunc, kwargs):
    x = ad.tensor(X.copy(), requires_grad=True)
    out = ufunc.reduce(x, **kwargs)
    expected = ufunc.reduce(X, **kwargs)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_array_equal(out.data, expected)
    weights = np.arange(1.0, expected.size + 1).reshape(expected.shape)
    (out * weights).sum().backward()
    numerical = central_difference(
        lambda a: float(np.sum(ufunc.reduce(a.reshape(X.shape), **kwargs) * weights)),
        X.ravel()).reshape(X.shape)
    np.testing.assert_allclose(x.grad, numerical, rtol=1e-7, atol=1e-9)
    where = np.broadcast_to(kwargs.get("where", True), X.shape)
    assert np.all(x.grad[~where] == 0)


def test_masked_logsumexp_matches_pytorchs_to_second_order():
    torch = pytest.importorskip("torch")
    values = np.array([1.0, 2.0, 3.0, -0.5])
    kept = np.array([True, False, True, True])

    def masked(v):
        return np.logaddexp.reduce(v, where=kept, initial=0.5)

    grad = ad.grad(masked)(values)
    hessian = ad.hessian(masked)(values)
    t = torch.tensor(np.append(values[kept], 0.5), requires_grad=True)
    expected_grad = torch.autograd.grad(torch.logsumexp(t, 0), t)[0].numpy()[:-1]
    expected_hessian = torch.autograd.functional.hessian(
        lambda v: torch.logsumexp(v, 0), t.detach()).numpy()[:-1, :-1]
    np.testing.assert_allclose(grad[kept], expected_grad, rtol=1e-12)
    np.testing.assert_allclose(hessian[np.ix_(kept, kept)], expected_hessian,
                               rtol=1e-10, atol=1e-14)
    assert np.all(grad[~kept] == 0) and np.all(hessian[~kept] == 0)


@pytest.mark.parametrize("ufunc", UFUNCS, ids=lambda u: u.__name__)
def test_masked_reduce_at_infinities_and_in_float32(ufunc):
    x = ad.tensor([1.0, np.inf], requires_grad=True)
    ufunc.reduce(x, initial=np.inf).backward()         # +inf entries share the gradient
    np.testing.assert_array_equal(x.grad, [0.0, 0.5])
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    out = ufunc.reduce(x, where=np.array([False, False]))   # nothing kept: -inf, 0
    out.backward()
    assert out.data == -np.inf and np.all(x.grad == 0)
    x32 = ad.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    out = ufunc.reduce(x32, initial=0.5)
    expected = ufunc.reduce(np.array([1.0, 2.0], np.float32), initial=0.5)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.data, expected)
    out.backward()
    assert x32.grad.dtype == np.float32


def test_dtype_with_masking_is_numpys():
    kept = np.array([True, False, True])
    out = np.logaddexp.reduce(ad.tensor([1.0, 2.0, 3.0]), dtype=np.float32, where=kept,
                              initial=0.5)
    expected = np.logaddexp.reduce(np.array([1.0, 2.0, 3.0]), dtype=np.float32,
                                   where=kept, initial=0.5)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.data, expected)
