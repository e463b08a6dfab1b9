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
import autodiff.nn.functional as F

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


# ----- third and fourth order -------------------------------------------------------

def _smooth_layers(torch):
    tnf = torch.nn.functional
    weights = np.arange(4.0)
    return {
        "tanh": (lambda x: ad.tanh(x).sum(), lambda x: torch.tanh(x).sum()),
        "softplus": (lambda x: F.softplus(x).sum(), lambda x: tnf.softplus(x).sum()),
        "logsumexp": (lambda x: ad.logsumexp(x * x, axis=0),
                      lambda x: torch.logsumexp(x * x, 0)),
        "softmax": (lambda x: (F.softmax(x, dim=0) * weights).sum(),
                    lambda x: (torch.softmax(x, 0) * T(weights)).sum()),
    }


@pytest.mark.parametrize("layer", ["tanh", "softplus", "logsumexp", "softmax"])
def test_third_and_fourth_derivatives_of_smooth_layers_match_torch(layer):
    torch = _torch()
    tf = torch.func
    ours, theirs = _smooth_layers(torch)[layer]
    scales = np.array([0.3, 1.1])
    assert_close(ad.vmap(ad.grad(ad.grad(ad.grad(lambda s: ours(X4 * s)))))(scales),
                 tf.vmap(tf.grad(tf.grad(tf.grad(lambda s: theirs(T(X4) * s)))))(T(scales)))
    assert_close(ad.grad(ad.grad(ad.grad(ad.grad(lambda s: ours(X4 * s)))))(0.3),
                 tf.grad(tf.grad(tf.grad(tf.grad(lambda s: theirs(T(X4) * s)))))(T(0.3)))
    assert_close(ad.jacfwd(ad.jacfwd(ad.jacrev(ours)))(X4),
                 tf.jacfwd(tf.jacfwd(tf.jacrev(theirs)))(T(X4)))
    assert_close(ad.jacrev(ad.jacrev(ad.jacrev(ours)))(X4),
                 tf.jacrev(tf.jacrev(tf.jacrev(theirs)))(T(X4)))


def _cubed_layer_norm(x):
    return (F.layer_norm(x, (4,)) ** 3).sum()


def test_third_derivative_of_layer_norm_matches_finite_differences_and_its_formula():
    # torch.nn.functional.layer_norm's own third derivative differs from finite
    # differences (by ~300 here), so torch is compared through the formula instead.
    third = ad.jacrev(ad.jacrev(ad.jacrev(_cubed_layer_norm)))(X4)
    np.testing.assert_allclose(third, ad.jacfwd(ad.jacfwd(ad.jacrev(_cubed_layer_norm)))(X4),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(third, central_jacobian(ad.hessian(_cubed_layer_norm), X4),
                               rtol=1e-6, atol=1e-6)
    assert np.allclose(third, np.transpose(third, (1, 2, 0)), rtol=1e-12)     # symmetric
    torch = _torch()

    def by_formula(x):
        centered = x - x.mean()
        return ((centered / torch.sqrt((centered ** 2).mean() + 1e-5)) ** 3).sum()

    assert_close(third, torch.func.jacrev(torch.func.jacrev(torch.func.jacrev(by_formula)))(
        T(X4)))


def test_third_derivatives_through_attention_match_torch():
    torch = _torch()
    tf = torch.func
    q, k, v = (RNG.standard_normal((3, 2)) for _ in range(3))

    def ours(queries):
        weights = F.softmax(queries @ ad.tensor(k).T / np.sqrt(2), dim=-1)
        return ((weights @ ad.tensor(v)) ** 2).sum()

    def theirs(queries):
        weights = torch.softmax(queries @ T(k).T / np.sqrt(2), -1)
        return ((weights @ T(v)) ** 2).sum()

    assert_close(ad.grad(ad.grad(ad.grad(lambda s: ours(q * s))))(0.8),
                 tf.grad(tf.grad(tf.grad(lambda s: theirs(T(q) * s))))(T(0.8)))
    assert_close(ad.jacfwd(ad.jacfwd(ad.jacrev(ours)))(q[:2]),
                 tf.jacfwd(tf.jacfwd(tf.jacrev(theirs)))(T(q[:2])))


# ----- vmap(jacrev(f)) through ops with special rules --------------------------------

BATCH = RNG.standard_normal((3, 4))
TIES = np.array([[1.0, 3.0, 3.0, 2.0], [0.5, 0.5, 0.5, 1.0], [4.0, -1.0, 2.0, 2.0]])
LABELS = np.array([2, 0, 1])
W43 = RNG.standard_normal((4, 3))
KERNEL = RNG.standard_normal((2, 1, 2, 2))


def _per_example_ops(torch):
    tnf = torch.nn.functional
    return {
        "matmul": (lambda x: x @ ad.tensor(W43), lambda x: x @ T(W43), BATCH),
        "softmax": (lambda x: F.softmax(x * x, dim=0), lambda x: torch.softmax(x * x, 0), BATCH),
        "conv2d": (lambda x: F.conv2d(x.reshape(1, 1, 2, 2) ** 2, ad.tensor(KERNEL),
                                      padding=1).sum(axis=0),
                   lambda x: tnf.conv2d(x.reshape(1, 1, 2, 2) ** 2, T(KERNEL),
                                        padding=1).sum(0), BATCH),
        "layer_norm": (lambda x: F.layer_norm(x, (4,)), lambda x: tnf.layer_norm(x, (4,)),
                       BATCH),
        "indexing": (lambda x: x[np.array([0, 2, 2])] * x[1:3].sum(),
                     lambda x: x[[0, 2, 2]] * x[1:3].sum(), BATCH),
        "cumsum": (lambda x: ad.cumsum(x * x, axis=0), lambda x: torch.cumsum(x * x, 0), BATCH),
        "sort": (lambda x: ad.sort(x ** 3, axis=0), lambda x: torch.sort(x ** 3, 0)[0], BATCH),
        "topk": (lambda x: ad.topk(x ** 3, 2)[0], lambda x: torch.topk(x ** 3, 2)[0], BATCH),
        "where": (lambda x: ad.where(x > 0, x ** 2, ad.sin(x)),
                  lambda x: torch.where(x > 0, x ** 2, torch.sin(x)), BATCH),
        "clamp_at_bounds": (lambda x: ad.clamp(x, 0.5, 2.0) * x,
                            lambda x: torch.clamp(x, 0.5, 2.0) * x, TIES),
        "max_ties": (lambda x: ad.max(x * x), lambda x: torch.max(x * x), TIES),
        "amax_ties": (lambda x: ad.amax(x * x, axis=0), lambda x: torch.amax(x * x, 0), TIES),
        "max_dim_ties": (lambda x: ad.max(x * x, dim=0)[0], lambda x: torch.max(x * x, 0)[0],
                         TIES),
        "median_ties": (lambda x: x.median(), lambda x: x.median(), TIES),
        "masked_fill": (lambda x: (x * 3).masked_fill(x > 1, 0.5),
                        lambda x: (x * 3).masked_fill(x > 1, 0.5), TIES),
        "relu_at_zero": (lambda x: F.relu(x - 0.5) * x, lambda x: tnf.relu(x - 0.5) * x, TIES),
    }


OP_NAMES = ["matmul", "softmax", "conv2d", "layer_norm", "indexing", "cumsum", "sort",
            "topk", "where", "clamp_at_bounds", "max_ties", "amax_ties", "max_dim_ties",
            "median_ties", "masked_fill", "relu_at_zero"]


@pytest.mark.parametrize("op", OP_NAMES)
def test_vmap_of_jacrev_matches_torch_and_the_per_example_loop(op):
    torch = _torch()
    tf = torch.func
    ours, theirs, batch = _per_example_ops(torch)[op]
    mapped = ad.vmap(ad.jacrev(ours))(batch)
    loop = np.stack([ad.jacrev(ours)(row) for row in batch])
    np.testing.assert_array_equal(mapped, loop)
    assert_close(mapped, tf.vmap(tf.jacrev(theirs))(T(batch)))
    assert_close(ad.vmap(ad.jacfwd(ours))(batch), mapped)


def test_vmap_of_jacrev_through_cross_entropy_and_embedding_match_torch():
    torch = _torch()
    tf = torch.func
    tnf = torch.nn.functional

    def ours(x, t):
        return F.cross_entropy(x.reshape(1, 4) ** 2, t.reshape(1), label_smoothing=0.2)

    def theirs(x, t):
        return tnf.cross_entropy(x.reshape(1, 4) ** 2, t.reshape(1), label_smoothing=0.2)

    assert_close(ad.vmap(ad.jacrev(ours))(BATCH, LABELS),
                 tf.vmap(tf.jacrev(theirs))(T(BATCH), torch.tensor(LABELS)))
    tables = RNG.standard_normal((3, 5, 3))
    ids = np.array([[1, 1], [4, 0], [2, 2]])
    assert_close(
        ad.vmap(ad.jacrev(lambda e, i: F.embedding(ad.tensor(i), e) * e[0]))(tables, ids),
        tf.vmap(tf.jacrev(lambda e, i: tnf.embedding(i, e) * e[0]))(T(tables),
                                                                     torch.tensor(ids)))


# ----- vmap of vmap off axis 0 ------------------------------------------------------

def test_vmap_of_vmap_with_in_dims_and_out_dims_off_axis_zero_matches_torch():
    torch = _torch()
    tf = torch.func
    a = RNG.standard_normal((3, 4, 2))
    b = RNG.standard_normal(2)

    def ours(x, y):
        return ad.sin(x) * y + x.sum()

    def theirs(x, y):
        return torch.sin(x) * y + x.sum()

    assert_close(ad.vmap(ad.vmap(ours, in_dims=(0, None)), in_dims=(1, None))(a, b),
                 tf.vmap(tf.vmap(theirs, in_dims=(0, None)), in_dims=(1, None))(T(a), T(b)))
    assert_close(
        ad.vmap(ad.vmap(ours, in_dims=(0, None), out_dims=1), in_dims=(2, 0), out_dims=2)(a, b),
        tf.vmap(tf.vmap(theirs, in_dims=(0, None), out_dims=1), in_dims=(2, 0), out_dims=2)(
            T(a), T(b)))
    assert_close(ad.vmap(ad.vmap(lambda x: ad.outer(x, x), out_dims=-1), in_dims=1)(a),
                 tf.vmap(tf.vmap(lambda x: torch.outer(x, x), out_dims=-1), in_dims=1)(T(a)))
    assert_close(
        ad.vmap(ad.vmap(ad.grad(lambda x, y: (ad.tanh(x * y) ** 2).sum(), argnums=1),
                        in_dims=(0, None)), in_dims=(1, None))(a, b),
        tf.vmap(tf.vmap(tf.grad(lambda x, y: (torch.tanh(x * y) ** 2).sum(), argnums=1),
                        in_dims=(0, None)), in_dims=(1, None))(T(a), T(b)))
    assert_close(
        ad.grad(lambda m: (ad.vmap(ad.vmap(lambda x, y: ad.tanh(x * y).sum(), in_dims=(0, None)),
                                   in_dims=(1, None))(m, b) ** 2).sum())(a),
        tf.grad(lambda m: (tf.vmap(tf.vmap(lambda x, y: torch.tanh(x * y).sum(),
                                           in_dims=(0, None)),
                                   in_dims=(1, None))(m, T(b)) ** 2).sum())(T(a)))
