"""``ad.func.linearize(f, *primals)`` at primals that need grad, as
``torch.func.linearize``: the primals are constants of ``jvp_fn``, so a backward
through a ``jvp_fn`` result leaves their ``.grad`` as it was (``None``) and reaches
only the tangents that need grad, while the output ``f(*primals)`` reaches the
primals.  The library's tangent pass was recorded against the primals: a backward
through it gave them a gradient PyTorch does not give, and freed the one recorded run,
so a later backward through the output raised."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import func

X = np.array([1.0, 2.0, -0.5])


def _f(x):
    return ad.sin(x) * x


def _derivative(x):
    return np.cos(x) * x + np.sin(x)


def test_a_backward_through_jvp_fn_leaves_the_primals_grad_none():
    x = ad.tensor(X, requires_grad=True)
    out, jvp_fn = func.linearize(_f, x)
    tangent = ad.ones(3, requires_grad=True)
    jvp_fn(tangent).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(tangent.grad.data, _derivative(X), rtol=1e-13)


def test_the_output_still_reaches_the_primals_after_a_backward_through_jvp_fn():
    x = ad.tensor(X, requires_grad=True)
    out, jvp_fn = func.linearize(_f, x)
    for _ in range(2):          # the one recorded run is not freed by the tangent pass
        jvp_fn(ad.ones(3, requires_grad=True)).sum().backward()
    assert out.requires_grad
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, _derivative(X), rtol=1e-13)


def test_a_result_of_constant_tangents_needs_no_grad_and_says_so():
    x = ad.tensor(X, requires_grad=True)
    _, jvp_fn = func.linearize(_f, x)
    result = jvp_fn(ad.ones(3))
    np.testing.assert_allclose(result.data, _derivative(X), rtol=1e-13)
    assert not result.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        result.sum().backward()
    assert x.grad is None


def test_jvp_fn_with_tangents_that_need_grad_has_second_order_in_the_tangent():
    x = ad.tensor(X, requires_grad=True)
    _, jvp_fn = func.linearize(lambda x: x ** 3, x)
    tangent = ad.tensor([0.5, -1.0, 2.0], requires_grad=True)
    (jvp_fn(tangent) ** 2).sum().backward()
    # d/dt sum((3x² t)²) = 2 (3x²)² t
    np.testing.assert_allclose(tangent.grad.data, 2 * (3 * X ** 2) ** 2 * tangent.data,
                               rtol=1e-13)
    assert x.grad is None


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    xt = torch.tensor(X, requires_grad=True)
    out_t, jvp_t = torch.func.linearize(lambda x: x.sin() * x, xt)
    tangent_t = torch.ones(3, dtype=torch.float64, requires_grad=True)
    jvp_t(tangent_t).sum().backward()
    out_t.sum().backward()

    x = ad.tensor(X, requires_grad=True)
    out, jvp_fn = func.linearize(_f, x)
    tangent = ad.ones(3, requires_grad=True)
    jvp_fn(tangent).sum().backward()
    assert x.grad is None
    out.sum().backward()
    # the same formula evaluated by both libraries' own sin/cos kernels: a few ulps apart
    np.testing.assert_allclose(tangent.grad.data, tangent_t.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-13)
