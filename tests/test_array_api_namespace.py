"""Array-API-generic functions, written the way libraries write them (``xp =
x.__array_namespace__()``, then only the standard's names), run on NumPy arrays (the
namespace is NumPy) and on Tensors (the namespace is ``ad.array_api``).

On Tensors each gives NumPy's value to the bit in NumPy's dtype (the same NumPy
functions run: ``ad.array_api`` hands them to NumPy's dispatch), float32 inputs keep
float32 values and gradients, and the gradient of a weighted sum of the result matches
central differences of the NumPy run in float64 (and the
Hessian matches central differences of the gradient)."""

import math
import warnings

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference

_rng = np.random.default_rng(20261206)


def standardize(x):
    xp = x.__array_namespace__()
    centred = x - xp.mean(x, axis=0, keepdims=True)
    return centred / xp.std(x, axis=0, correction=1, keepdims=True)


def logsumexp(x):
    xp = x.__array_namespace__()
    peak = xp.max(x, axis=-1, keepdims=True)
    return xp.squeeze(peak, axis=-1) + xp.log(xp.sum(xp.exp(x - peak), axis=-1))


def softmax(x):
    xp = x.__array_namespace__()
    e = xp.exp(x - xp.max(x, axis=-1, keepdims=True))
    return e / xp.sum(e, axis=-1, keepdims=True)


def pairwise_distances(a, b):
    xp = a.__array_namespace__()
    squared = (xp.sum(a * a, axis=1)[:, xp.newaxis] + xp.sum(b * b, axis=1)[xp.newaxis, :]
               - 2.0 * (a @ xp.matrix_transpose(b)))
    return xp.sqrt(xp.clip(squared, min=0.0))


def gaussian_log_likelihood(x, loc, log_scale):
    xp = x.__array_namespace__()
    scale = xp.exp(log_scale)
    z = (x - loc) / scale
    # math.log of a Python float: an xp.log of it would be a float64 array, promoting float32
    return xp.sum(-0.5 * z ** 2 - log_scale - 0.5 * math.log(2.0 * xp.pi), axis=0)


def ridge_regression(features, targets):
    xp = features.__array_namespace__()
    n_features = features.shape[1]
    gram = features.mT @ features + 0.1 * xp.eye(n_features, dtype=features.dtype)
    return xp.linalg.solve(gram, xp.matmul(features.mT, targets))


def kmeans_inertia(points, centres):
    xp = points.__array_namespace__()
    distances = xp.sum((points[:, None, :] - centres[None, :, :]) ** 2, axis=-1)
    labels = xp.argmin(distances, axis=1)                  # a constant assignment
    nearest = xp.take(centres, labels, axis=0)
    return xp.sum((points - nearest) ** 2, axis=1)


def polynomial_features(x):
    xp = x.__array_namespace__()
    powers = xp.stack([x ** k for k in range(1, 4)], axis=-1)      # (n, d, 3)
    flat = xp.reshape(powers, (x.shape[0], -1))
    return xp.concat([xp.ones((x.shape[0], 1), dtype=x.dtype), flat], axis=1)


def masked_mean(x):
    xp = x.__array_namespace__()
    mask = x > 0.0
    total = xp.sum(xp.where(mask, x, xp.zeros_like(x)), axis=0)
    count = xp.astype(xp.count_nonzero(mask, axis=0), x.dtype)
    return total / xp.maximum(count, xp.ones_like(count))


def cumulative_sums(x):
    xp = x.__array_namespace__()
    running = xp.cumulative_sum(x, axis=1)
    growth = xp.cumulative_prod(1.0 + 0.1 * x, axis=0)
    return running + growth + xp.diff(x, axis=1, prepend=x[:, :1])


def top_k_mean(x):
    xp = x.__array_namespace__()
    k = 2
    order = xp.flip(xp.argsort(x, axis=-1), axis=-1)[:, :k]       # constant indices
    largest = xp.take_along_axis(x, order, axis=-1)
    second_by_sort = xp.sort(x, axis=-1)[:, -k:]
    return xp.mean(largest, axis=-1) + xp.sum(second_by_sort, axis=-1)


def cosine_similarity(a, b):
    xp = a.__array_namespace__()
    dots = xp.vecdot(a, b, axis=-1)
    norms = xp.linalg.vector_norm(a, axis=-1) * xp.linalg.vector_norm(b, axis=-1)
    return dots / norms


def gram_and_trace(x):
    xp = x.__array_namespace__()
    gram = xp.matrix_transpose(x) @ x
    right = x @ x.mT
    return xp.linalg.trace(gram) + xp.sum(right, axis=(0, 1)) + xp.linalg.matrix_norm(x)


def normalized_rows(x):
    xp = x.__array_namespace__()
    unit = x / xp.linalg.vector_norm(x, axis=-1, keepdims=True)
    l1 = xp.linalg.vector_norm(x, ord=1, axis=(0, 1), keepdims=True)
    return unit + x / l1


def log_determinant_and_inverse(x):
    xp = x.__array_namespace__()
    spd = x @ x.mT + xp.eye(x.shape[0], dtype=x.dtype)
    sign, logdet = xp.linalg.slogdet(spd)
    eigenvalues = xp.linalg.eigvalsh(spd)
    return logdet + xp.sum(xp.linalg.inv(spd)) + xp.sum(xp.log(eigenvalues))


def power_spectrum(x):
    xp = x.__array_namespace__()
    spectrum = xp.fft.rfft(x, axis=-1, norm="ortho")
    return xp.real(spectrum) ** 2 + xp.imag(spectrum) ** 2


def cholesky_whitening(x):
    xp = x.__array_namespace__()
    covariance = (xp.matrix_transpose(x) @ x / x.shape[0]
                  + 0.5 * xp.eye(x.shape[1], dtype=x.dtype))
    factor = xp.linalg.cholesky(covariance)
    return xp.linalg.solve(factor, xp.matrix_transpose(x))


def takes_its_input_through_asarray(x, weights):
    """Libraries begin with ``xp.asarray`` on what they are given: a Tensor stays
    itself, keeping its tape."""
    xp = x.__array_namespace__()
    x = xp.asarray(x)
    weights = xp.asarray(weights, dtype=x.dtype)
    return xp.tanh(x) * weights


def _normal(*shape):
    return _rng.normal(size=shape)


# (function, inputs): smooth where they are evaluated (no ties, no kinks)
FUNCTIONS = [
    (standardize, [_normal(5, 3)]),
    (logsumexp, [_normal(4, 6)]),
    (softmax, [_normal(3, 5)]),
    (pairwise_distances, [_normal(4, 3), _normal(5, 3)]),
    (gaussian_log_likelihood, [_normal(6, 2), _normal(2), 0.3 * _normal(2)]),
    (ridge_regression, [_normal(7, 3), _normal(7)]),
    (kmeans_inertia, [_normal(8, 2), _normal(3, 2)]),
    (polynomial_features, [_normal(4, 2)]),
    (masked_mean, [_normal(6, 3)]),
    (cumulative_sums, [_normal(3, 4)]),
    (top_k_mean, [_normal(3, 5)]),
    (cosine_similarity, [_normal(4, 3), _normal(4, 3)]),
    (gram_and_trace, [_normal(3, 4)]),
    (normalized_rows, [_normal(3, 4)]),
    (log_determinant_and_inverse, [_normal(3, 3)]),
    (power_spectrum, [_normal(2, 6)]),
    (cholesky_whitening, [_normal(5, 3)]),
    (takes_its_input_through_asarray, [_normal(2, 3), _normal(2, 3)]),
]
IDS = [function.__name__ for function, _ in FUNCTIONS]
each = pytest.mark.parametrize("function, inputs", FUNCTIONS, ids=IDS)


def _weights(shape):
    return np.random.default_rng(7).normal(size=shape)


def _loss(function, weights):
    """The scalar ``sum(function(*inputs) * weights)`` on Tensors, through the namespace."""
    def loss(*inputs):
        out = function(*inputs)
        xp = out.__array_namespace__()
        return xp.sum(out * xp.asarray(weights, dtype=out.dtype))
    return loss


def _numpy_loss(function, inputs, weights, position):
    def loss(value):
        args = list(inputs)
        args[position] = value
        return float(np.sum(function(*args) * weights))
    return loss


@each
def test_the_namespace_of_a_tensor_gives_numpys_values_to_the_bit(function, inputs):
    expected = function(*[a.copy() for a in inputs])
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # no tape drop, no other warning
        got = function(*[ad.tensor(a, requires_grad=True) for a in inputs])
    assert isinstance(got, ad.Tensor) and got.requires_grad
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got.data, expected)


def _central(function, inputs, weights, position):
    """Central differences of the NumPy run's weighted sum in the input at ``position``."""
    shape = inputs[position].shape
    flat_loss = _numpy_loss(function, inputs, weights, position)
    return central_difference(lambda flat: flat_loss(flat.reshape(shape)),
                              inputs[position].ravel().copy()).reshape(shape)


def _gradients(function, inputs, weights):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        return ad.grad(_loss(function, weights), argnums=tuple(range(len(inputs))))(
            *[a.copy() for a in inputs])


@each
def test_the_gradient_matches_central_differences(function, inputs):
    weights = _weights(function(*inputs).shape)
    for position, grad in enumerate(_gradients(function, inputs, weights)):
        assert grad.dtype == np.float64 and grad.shape == inputs[position].shape
        np.testing.assert_allclose(grad, _central(function, inputs, weights, position),
                                   rtol=1e-6, atol=1e-6)


@each
def test_the_hessian_matches_central_differences_of_the_gradient(function, inputs):
    """Second order, in the first input: the rules the namespace reaches are recorded
    again under a transform."""
    weights = _weights(function(*inputs).shape)
    first, rest = inputs[0], inputs[1:]

    def loss_of_first(flat):
        return _loss(function, weights)(flat.reshape(first.shape), *rest)

    flat = first.ravel().copy()
    hessian = ad.hessian(loss_of_first)(flat)
    gradient = ad.grad(loss_of_first)
    numerical = np.stack([(gradient(flat + step) - gradient(flat - step)) / 2e-6
                          for step in np.eye(flat.size) * 1e-6])
    np.testing.assert_allclose(hessian, numerical, rtol=1e-5, atol=1e-5)


@each
def test_float32_inputs_keep_float32_values_and_gradients(function, inputs):
    inputs32 = [a.astype(np.float32) for a in inputs]
    expected = function(*[a.copy() for a in inputs32])
    assert expected.dtype == np.float32
    got = function(*[ad.tensor(a, requires_grad=True) for a in inputs32])
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.data, expected)
    weights = _weights(expected.shape)
    grads32 = _gradients(function, inputs32, weights)
    grads64 = _gradients(function, inputs, weights)
    for grad32, grad64 in zip(grads32, grads64):
        # float32 arithmetic (about 6e-8 relative per operation) over a few dozen ops
        assert grad32.dtype == np.float32
        np.testing.assert_allclose(grad32, grad64, rtol=2e-3,
                                   atol=2e-3 * np.abs(grad64).max())


@each
def test_a_compiled_function_replays_what_it_did_eagerly(function, inputs):
    """``ad.compile`` traces the first call and replays later ones: the namespace's
    creation functions and constant indices are computed again from the new inputs."""
    step = ad.compile(function)
    step(*[ad.tensor(a) for a in inputs])
    shifted = [a + np.random.default_rng(3).normal(size=a.shape) for a in inputs]
    replayed = step(*[ad.tensor(a) for a in shifted])
    eager = function(*[ad.tensor(a) for a in shifted])
    # equal up to the rounding of fused elementwise kernels (README, "Compiling a step")
    np.testing.assert_allclose(replayed.data, eager.data, rtol=1e-12, atol=1e-12)
