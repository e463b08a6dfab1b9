"""Nested and composed transforms, third round: compositions not covered by
``test_transforms_nested_vs_torch.py`` and ``test_transforms_nested_ops_vs_torch.py``,
compared with ``torch.func`` in float64 to 1e-12 (relative), and with central finite
differences where that is cheap (those tests run without torch).

Covered: gradient hooks registered inside a transform (they belong to it, as in
``torch.func``); deeper perturbation confusion; third and fourth derivatives of
smooth layers; ``vmap(jacrev(f))`` through ops with special rules, against torch and
the per-example loop; ``vmap(vmap(f))`` with in_dims/out_dims off axis 0; the Hessian of
a module's loss in its parameters dict; nested ``has_aux``; in-place updates,
``detach()`` and ``no_grad()`` inside nested transforms; integer and bool
intermediates; ``ad.compile`` of a step calling a transform; and random programs
(``random_programs.py``) through ``jacrev``, ``jacfwd``, ``hessian`` and ``vmap(grad)``.
"""

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(20261205)
X3 = RNG.standard_normal(3)
X4 = RNG.standard_normal(4)


def _torch():
    return pytest.importorskip("torch")


def T(a):
    return _torch().tensor(np.asarray(a, dtype=np.float64))


def as_numpy(value):
    torch = _torch()
    if isinstance(value, dict):
        return {k: as_numpy(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(as_numpy(v) for v in value)
    if isinstance(value, torch.Tensor):
        return value.detach().numpy(force=True)
    return np.asarray(value.data if isinstance(value, ad.Tensor) else value)


def assert_close(ours, reference, rtol=1e-12, path="result"):
    """Leaf by leaf: same shape, equal to ``rtol`` relative (1e-12 absolute near 0)."""
    if isinstance(reference, dict):
        assert isinstance(ours, dict) and ours.keys() == reference.keys(), path
        for k in reference:
            assert_close(ours[k], reference[k], rtol, f"{path}[{k!r}]")
        return
    if isinstance(reference, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(reference), path
        for k, (o, r) in enumerate(zip(ours, reference)):
            assert_close(o, r, rtol, f"{path}[{k}]")
        return
    ours, reference = as_numpy(ours), as_numpy(reference)
    assert ours.shape == reference.shape, (path, ours.shape, reference.shape)
    np.testing.assert_allclose(ours, reference, rtol=rtol, atol=1e-12, err_msg=path)


def central_jacobian(func, x, h=1e-5):
    """d func / d x by central differences, shaped ``out.shape + x.shape``."""
    x = np.asarray(x, dtype=float)
    columns = []
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        columns.append((np.asarray(func(x + step)) - np.asarray(func(x - step))) / (2 * h))
    out_shape = np.shape(func(x))
    return np.stack(columns, axis=-1).reshape(out_shape + x.shape)


def values_of(transformed):
    """``transformed`` as a function giving plain arrays (for finite differences)."""
    return lambda x: np.asarray(as_numpy_free(transformed(x)))


def as_numpy_free(value):
    return value.data if isinstance(value, ad.Tensor) else value


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
    torch = _torch()
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


# ----- perturbation confusion, deeper ----------------------------------------------

def test_perturbation_confusion_three_levels_and_mixed_modes_match_torch():
    torch = _torch()
    tf = torch.func
    c = 0.7
    assert_close(
        ad.grad(lambda x: ad.grad(lambda y: ad.grad(lambda z: x * y * z * x)(c) * y)(x * 2))(1.3),
        tf.grad(lambda x: tf.grad(lambda y: tf.grad(lambda z: x * y * z * x)(T(c)) * y)(x * 2))(
            T(1.3)))
    assert_close(
        ad.grad(lambda x: ad.jvp(lambda y: (ad.tanh(x * y) * x).sum(), (x,), (ad.exp(x),))[1])(X4),
        tf.grad(lambda x: tf.jvp(lambda y: (torch.tanh(x * y) * x).sum(), (x,),
                                 (torch.exp(x),))[1])(T(X4)))
    batch = np.arange(8.0).reshape(2, 4) / 8
    assert_close(
        ad.grad(lambda x: ad.vmap(lambda r, s: (ad.sin(r * s) * s).sum(), in_dims=(0, None))(
            batch, x * x).sum())(X4),
        tf.grad(lambda x: tf.vmap(lambda r, s: (torch.sin(r * s) * s).sum(), in_dims=(0, None))(
            T(batch), x * x).sum())(T(X4)))
    def pull_twice(out, pullback, x):
        return pullback(out)[0] * pullback(x * out)[0]

    assert_close(ad.grad(lambda x: pull_twice(*ad.vjp(lambda y: ad.sin(x * y), x), x))(1.2),
                 tf.grad(lambda x: pull_twice(*tf.vjp(lambda y: torch.sin(x * y), x), x))(T(1.2)))
    assert_close(
        ad.grad(lambda x: (ad.hvp(lambda y: (ad.sin(y) * y * x).sum(), x, x * x) ** 2).sum())(X3),
        tf.grad(lambda x: (tf.jvp(tf.grad(lambda y: (torch.sin(y) * y * x).sum()), (x,),
                                  (x * x,))[1] ** 2).sum())(T(X3)))
