"""Helpers for comparing ad.distributions with torch.distributions: values and
gradients of a function of the parameters in both libraries (float64 and float32),
against central differences, and sample moments within 6 standard errors."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import distributions as D


def torch_modules():
    """torch and torch.distributions, with PyTorch's default of validating arguments:
    torch._dynamo turns that off for the whole process once any test has compiled with
    torch (its TorchPatcher), so a file run after such a test would see it off."""
    torch = pytest.importorskip("torch")
    torch.distributions.Distribution.set_default_validate_args(True)
    return torch, torch.distributions


def central_differences(f, params, eps=1e-6):
    """The gradient of the scalar ``f(*params)`` in each array of ``params``."""
    grads = []
    for k, p in enumerate(params):
        grad = np.zeros_like(p)
        for index in np.ndindex(p.shape):
            step = np.zeros_like(p)
            step[index] = eps
            up = [q + step if i == k else q for i, q in enumerate(params)]
            down = [q - step if i == k else q for i, q in enumerate(params)]
            grad[index] = (f(*up) - f(*down)) / (2 * eps)
        grads.append(grad)
    return grads


def ours_with_grads(build, params, dtype=np.float64):
    """``build(*tensors)`` of the parameters as tensors that require grad, its value
    and the gradients of its sum."""
    tensors = [ad.tensor(np.asarray(p, dtype), requires_grad=True) for p in params]
    out = build(D, *tensors)
    out.sum().backward()
    return out.data, [t.grad if t.grad is not None else np.zeros(t.shape, dtype)
                      for t in tensors]


def theirs_with_grads(build, params, dtype=np.float64):
    torch, td = torch_modules()
    tensors = [torch.tensor(np.asarray(p, dtype), requires_grad=True) for p in params]
    out = build(td, *tensors)
    out.sum().backward()
    return out.detach().numpy(), [t.grad.numpy() if t.grad is not None
                                  else np.zeros(t.shape, dtype) for t in tensors]


def compare_with_torch(build, params, rtol64=1e-8, rtol32=2e-5, finite_difference=True,
                       dtypes=(np.float64, np.float32)):
    """``build(M, *params)`` (M: ad.distributions or torch.distributions) and the
    gradients of its sum in each parameter, ours against PyTorch's in each of ``dtypes``,
    and ours against central differences in float64.  (float64 gradients through
    digamma agree to 1e-8 only: PyTorch's trigamma is 1e-9 off.)"""
    for dtype, rtol in ((np.float64, rtol64), (np.float32, rtol32)):
        if dtype not in dtypes:
            continue
        value, grads = ours_with_grads(build, params, dtype)
        expected, expected_grads = theirs_with_grads(build, params, dtype)
        assert value.dtype == dtype
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=rtol)
        for grad, expected_grad in zip(grads, expected_grads):
            np.testing.assert_allclose(grad, expected_grad, rtol=rtol, atol=rtol)
    if finite_difference:
        def total(*arrays):
            return build(D, *[ad.tensor(a) for a in arrays]).data.sum()
        _, grads = ours_with_grads(build, params)
        numeric = central_differences(total, [np.asarray(p, np.float64) for p in params])
        for grad, expected in zip(grads, numeric):
            np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)


def operand_of(M, values, like):
    """``values`` as an operand of ``M``'s distributions, in ``like``'s dtype."""
    if M is D:
        return np.asarray(values, like.data.dtype)
    torch, _ = torch_modules()
    return torch.tensor(values, dtype=like.dtype)


def assert_moments(samples, mean, variance):
    """Sample mean and variance within 6 standard errors of ``mean`` and ``variance``."""
    n = samples.shape[0]
    assert (np.abs(samples.mean(0) - mean) < 6 * np.sqrt(variance / n)).all()
    centered = samples - samples.mean(0)
    fourth = (centered ** 4).mean(0)
    assert (np.abs(centered.var(0) - variance) < 6 * np.sqrt((fourth - variance ** 2) / n)
            + 1e-12).all()
