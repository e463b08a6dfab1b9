"""NumPy code differentiates unchanged; unsupported NumPy functions say so."""

from __future__ import annotations

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
    (lambda t: np.cumsum(t), "numpy.cumsum"),
    (lambda t: np.sort(t), "numpy.sort"),
    (lambda t: np.arctan(t), "numpy.arctan"),
    (lambda t: np.add.reduce(t), "numpy.add.reduce"),
    (lambda t: np.sum(t, out=np.zeros(())), "numpy.sum"),
], ids=["cumsum", "sort", "arctan", "add.reduce", "sum with out"])
def test_unsupported_numpy_functions_raise_type_error_naming_them(call, name):
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=name.replace(".", r"\.")):
        call(t)


def test_asarray_gives_the_raw_data():
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    assert np.asarray(t) is t.data
