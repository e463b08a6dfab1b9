"""Gradient hooks registered inside a function transform belong to that transform, as
in ``torch.func``: they run in its own reverse pass, not when an outer transform (or a
``backward()`` after it returned) differentiates the recorded gradient again
(``autodiff/hooks.py``).  Checked against closed forms, central finite differences and
``torch.func``."""

import numpy as np
import pytest

import autodiff as ad
from transform_checks import T, assert_close, central_jacobian, torch_or_skip, values_of

X3 = np.random.default_rng(20261205).standard_normal(3)


# ----- gradient hooks belong to the transform that registered them -------------------

def _hooked_square(x):
    """sum((2 sin x)**2) with the gradient of 2 sin x tripled by a hook."""
    y = ad.sin(x) * 2
    y.register_hook(lambda g: g * 3)
    return (y * y).sum()


def test_jacrev_of_a_grad_whose_function_hooks_is_the_derivative_of_that_grad():
    # grad = 24 sin x cos x; before the fix the outer pass ran the hook again (x3 on
    # one term), giving 72 cos**2 - 24 sin**2 instead of 24 (cos**2 - sin**2).
    gradient = ad.grad(_hooked_square)
    expected = np.diag(24 * (np.cos(X3) ** 2 - np.sin(X3) ** 2))
    np.testing.assert_allclose(ad.jacrev(gradient)(X3), expected, rtol=1e-12)
    np.testing.assert_allclose(central_jacobian(values_of(gradient), X3), expected,
                               rtol=1e-7)
    np.testing.assert_allclose(ad.hessian(_hooked_square)(X3), expected, rtol=1e-12)


def test_a_hook_closing_over_the_outer_variable_gives_the_total_derivative():
    def outer(x):
        def inner(y):
            z = ad.sin(y) * 2
            z.register_hook(lambda g: g * x)
            return (z * y).sum()
        return ad.grad(inner)(x * 1.5).sum()

    expected = central_jacobian(values_of(outer), X3)
    np.testing.assert_allclose(ad.grad(outer)(X3), expected, rtol=1e-7)


def test_hooks_outside_transforms_keep_the_eager_double_backward_rule():
    # PyTorch eager: a second backward through the hooked tensor runs its hook again.
    x = ad.tensor(X3, requires_grad=True)
    (g,) = ad.autograd.grad(_hooked_square(x), [x], create_graph=True)
    (h,) = ad.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(h, 72 * np.cos(X3) ** 2 - 24 * np.sin(X3) ** 2, rtol=1e-12)


def test_a_hook_inside_a_transform_does_not_run_in_a_backward_after_it_returns():
    w = ad.tensor(0.5, requires_grad=True)       # makes the gradient a recorded Tensor
    calls = []

    def f(x):
        y = ad.sin(x) * w
        y.register_hook(lambda g: calls.append(1) or g * 3)
        return (y * y).sum()

    g = ad.grad(f)(X3)
    assert len(calls) == 1
    g.sum().backward()
    assert len(calls) == 1
    # g = 6 w**2 sin(x) cos(x), the hook's 3 a constant of it: dg.sum()/dw = 12 w sum(sin cos)
    np.testing.assert_allclose(w.grad, 12 * 0.5 * (np.sin(X3) * np.cos(X3)).sum(), rtol=1e-12)


def test_hooks_in_vjp_pullbacks_and_three_levels_match_torch_func():
    torch = torch_or_skip()
    tf = torch.func

    def programs(lib):
        S, G, V = (ad, ad.grad, ad.vjp) if lib == "ad" else (torch, tf.grad, tf.vjp)

        def vjp_hook(x):
            def f(y):
                z = S.tanh(y) * 1.0
                z.register_hook(lambda g: g * x)
                return z * y
            out, pullback = V(f, x * 2)
            return (pullback(out)[0] ** 2).sum()

        def three_levels(x):
            def middle(y):
                def inner(z):
                    w = S.sin(z * y)
                    w.register_hook(lambda g: g * 2)
                    return (w * w).sum()
                q = G(inner)(y)
                q.register_hook(lambda g: g + 1.0)
                return (q * y).sum()
            return (G(middle)(x) ** 2).sum()

        def outer_hook(x):
            z = S.sin(x) * 1.0
            z.register_hook(lambda g: g * 5)
            return (G(lambda y: (y * z * y).sum())(x) * z).sum()

        return [vjp_hook, three_levels, outer_hook]

    for ours, theirs in zip(programs("ad"), programs("torch")):
        assert_close(ad.grad(ours)(X3), tf.grad(theirs)(T(X3)))
        assert_close(ad.jacrev(ad.grad(ours))(X3), tf.jacrev(tf.grad(theirs))(T(X3)))
        assert_close(ad.hessian(ours)(X3), tf.hessian(theirs)(T(X3)))


def test_a_hook_that_is_the_only_link_to_the_outer_variable_is_differentiated():
    # The inner gradient's graph does not reach x; only the hook closes over it.  The
    # result used to come back as an unrecorded array: d/dx lost the hook's part.
    c = np.array([0.3, -0.8, 1.1])

    def outer(x):
        def inner(y):
            z = ad.sin(y) * 1.0
            z.register_hook(lambda g: g * x)
            return (z * y).sum()
        return (ad.grad(inner)(c) * x).sum()

    # grad(inner) = x cos(c) c + sin(c), so outer = x**2 sum(c cos c) + x sum(sin c)
    expected = 2 * 1.3 * (c * np.cos(c)).sum() + np.sin(c).sum()
    np.testing.assert_allclose(ad.grad(outer)(1.3), expected, rtol=1e-12)
    w = ad.tensor(0.5, requires_grad=True)

    def hooked_by_parameter(y):
        z = ad.sin(y) * 1.0
        z.register_hook(lambda g: g * w)
        return (z * y).sum()

    gradient = ad.grad(hooked_by_parameter)(c)
    assert isinstance(gradient, ad.Tensor) and gradient.requires_grad
    gradient.sum().backward()
    np.testing.assert_allclose(w.grad, (c * np.cos(c)).sum(), rtol=1e-12)


def test_a_hook_registered_in_forward_mode_is_refused_as_torch_func_refuses_it():
    """jvp and jacfwd run no reverse pass, so a hook inside their function would never
    run: refused (torch.func too), where jacrev and hessian honour it."""
    def f(x):
        y = x * 2
        y.register_hook(lambda g: g * 2)
        return (y * x).sum()

    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(ad.jacrev(f)(x), 6 * x)          # 2x from y, 4x with the hook
    np.testing.assert_allclose(ad.hessian(f)(x), 6 * np.eye(2))
    with pytest.raises(RuntimeError, match="register_hook: called inside the function of "
                                           "ad.jvp or ad.jacfwd"):
        ad.jacfwd(f)(x)
    with pytest.raises(RuntimeError, match="forward mode runs no reverse pass"):
        ad.jvp(f, (x,), (np.ones(2),))
