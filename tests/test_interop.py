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


@pytest.mark.parametrize("func", [
    lambda t: np.exp(t), lambda t: np.log(np.abs(t) + 1), lambda t: np.sqrt(t * t + 1),
    lambda t: np.tanh(t), lambda t: np.sin(t) * np.cos(t), lambda t: np.maximum(t, 0.1),
    lambda t: np.sum(t, axis=1), lambda t: np.mean(t, axis=0, keepdims=True),
    lambda t: np.max(t, axis=-1), lambda t: np.var(t), lambda t: np.reshape(t, (-1,)),
    lambda t: np.transpose(t), lambda t: np.swapaxes(t, 0, 1), lambda t: np.expand_dims(t, 0),
    lambda t: np.squeeze(t[:1]), lambda t: np.broadcast_to(t, (2, 3, 3)),
    lambda t: np.concatenate([t, t * 2], axis=1), lambda t: np.stack([t, t], axis=0),
    lambda t: np.split(t, 3, axis=1)[1], lambda t: np.where(t > 0, t, t * t),
    lambda t: np.clip(t, -0.5, 0.5), lambda t: np.dot(t, t.T), lambda t: np.matmul(t, t),
    lambda t: t @ np.ones((3, 2)), lambda t: np.einsum("ij,jk->ik", t, t),
    lambda t: np.linalg.inv(t + 3 * np.eye(3)), lambda t: np.take(t, [0, 0, 2]),
    lambda t: np.square(t) + np.reciprocal(t + 3) + np.log1p(t * t) + np.expm1(t),
    lambda t: np.logaddexp(t, 0.5) - np.negative(t) ** 2, lambda t: np.ravel(t),
    lambda t: np.amax(t) + np.amin(t), lambda t: np.true_divide(1.0, t + 3),
], ids=lambda f: str(id(f)))
def test_numpy_functions_are_recorded(func):
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
])
def test_unsupported_numpy_functions_raise_type_error_naming_them(call, name):
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=name.replace(".", r"\.")):
        call(t)


def test_asarray_gives_the_raw_data():
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(ad.TapeDropWarning):
        assert np.asarray(t) is t.data
    assert np.asarray(t.detach()) is t.data
