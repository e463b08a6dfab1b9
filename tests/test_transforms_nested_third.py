"""Nested and composed transforms, third round: compositions not covered by
``test_transforms_nested_vs_torch.py`` and ``test_transforms_nested_ops_vs_torch.py``,
compared with ``torch.func`` in float64 to 1e-12 (relative), and with central finite
differences where that is cheap (those tests run without torch).

Covered (hooks registered inside transforms: ``test_hooks_in_transforms.py``): deeper
perturbation confusion; third and fourth derivatives of
smooth layers; ``vmap(jacrev(f))`` through ops with special rules, against torch and
the per-example loop; ``vmap(vmap(f))`` with in_dims/out_dims off axis 0; the Hessian of
a module's loss in its parameters dict; nested ``has_aux``; in-place updates,
``detach()`` and ``no_grad()`` inside nested transforms; integer and bool
intermediates; ``ad.compile`` of a step calling a transform; custom Functions whose
backward closes over an outer variable or does not record its use of grad.  Random
programs: ``test_transforms_random_programs.py``.
"""


import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff.compile import TraceError
from transform_checks import (T, as_numpy, assert_close, central_jacobian, torch_or_skip,
                              values_of)

RNG = np.random.default_rng(20261205)
X3 = RNG.standard_normal(3)
X4 = RNG.standard_normal(4)


# ----- perturbation confusion, deeper ----------------------------------------------

def test_perturbation_confusion_three_levels_and_mixed_modes_match_torch():
    torch = torch_or_skip()
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
    torch = torch_or_skip()
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


def test_third_derivative_of_layer_norm_matches_finite_differences():
    third = ad.jacrev(ad.jacrev(ad.jacrev(_cubed_layer_norm)))(X4)
    np.testing.assert_allclose(third, ad.jacfwd(ad.jacfwd(ad.jacrev(_cubed_layer_norm)))(X4),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(third, central_jacobian(ad.hessian(_cubed_layer_norm), X4),
                               rtol=1e-6, atol=1e-6)
    assert np.allclose(third, np.transpose(third, (1, 2, 0)), rtol=1e-12)     # symmetric
    # reverse over forward (where torch's layer_norm also differs from differences)
    second = ad.jacrev(ad.jacfwd(_cubed_layer_norm))(X4)
    np.testing.assert_allclose(second, central_jacobian(values_of(ad.grad(_cubed_layer_norm)),
                                                        X4), rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(second, ad.hessian(_cubed_layer_norm)(X4), rtol=1e-12)


def test_third_derivative_of_layer_norm_matches_torch_through_its_formula():
    # torch.nn.functional.layer_norm's own third derivative differs from finite
    # differences (by ~300 here), so torch is compared through the formula instead.
    torch = torch_or_skip()
    third = ad.jacrev(ad.jacrev(ad.jacrev(_cubed_layer_norm)))(X4)

    def by_formula(x):
        centered = x - x.mean()
        return ((centered / torch.sqrt((centered ** 2).mean() + 1e-5)) ** 3).sum()

    assert_close(third, torch.func.jacrev(torch.func.jacrev(torch.func.jacrev(by_formula)))(
        T(X4)))


def test_third_derivatives_through_attention_match_torch():
    torch = torch_or_skip()
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
    torch = torch_or_skip()
    tf = torch.func
    ours, theirs, batch = _per_example_ops(torch)[op]
    mapped = ad.vmap(ad.jacrev(ours))(batch)
    loop = np.stack([ad.jacrev(ours)(row) for row in batch])
    np.testing.assert_array_equal(mapped, loop)
    assert_close(mapped, tf.vmap(tf.jacrev(theirs))(T(batch)))
    assert_close(ad.vmap(ad.jacfwd(ours))(batch), mapped)


def test_vmap_of_jacrev_through_cross_entropy_and_embedding_match_torch():
    torch = torch_or_skip()
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
    torch = torch_or_skip()
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


# ----- modules, has_aux ---------------------------------------------------------------

def test_hessian_of_a_module_loss_in_its_parameter_dict_matches_torch():
    torch = torch_or_skip()
    tf = torch.func
    tnf = torch.nn.functional
    ours = ad.nn.Sequential(ad.nn.Linear(3, 4), ad.nn.Tanh(), ad.nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                 torch.nn.Linear(4, 2)).double()
    params = {k: np.asarray(v.data).copy() for k, v in ours.named_parameters()}
    # autodiff's Linear weight is (in, out) (x @ weight); PyTorch's is (out, in)
    torch_params = {k: T(v.T if v.ndim == 2 else v).contiguous() for k, v in params.items()}
    x = RNG.standard_normal((5, 3))
    y = np.array([0, 1, 1, 0, 1])

    def our_loss(p, inputs):
        return F.cross_entropy(ad.func.functional_call(ours, p, (inputs,)), y)

    def their_loss(p, inputs):
        return tnf.cross_entropy(tf.functional_call(theirs, p, (inputs,)), torch.tensor(y))

    ours_h = ad.hessian(our_loss)(params, x)
    theirs_h = tf.hessian(their_loss)(torch_params, T(x))
    for a in params:
        for b in params:
            block = as_numpy(theirs_h[a][b])
            if params[a].ndim == 2:
                block = np.swapaxes(block, 0, 1)
            if params[b].ndim == 2:
                block = np.swapaxes(block, params[a].ndim, params[a].ndim + 1)
            assert_close(ours_h[a][b], block, path=f"H[{a}][{b}]")
    assert_close(ad.hessian(our_loss, argnums=(0, 1))(params, x)[1][1],
                 tf.hessian(their_loss, argnums=(0, 1))(torch_params, T(x))[1][1])
    per_example = ad.vmap(ad.grad(lambda p, xi, yi: F.cross_entropy(
        ad.func.functional_call(ours, p, (xi[None],)), yi[None])), in_dims=(None, 0, 0))(
            params, x, y)
    reference = tf.vmap(tf.grad(lambda p, xi, yi: tnf.cross_entropy(
        tf.functional_call(theirs, p, (xi[None],)), yi[None])), in_dims=(None, 0, 0))(
            torch_params, T(x), torch.tensor(y))
    assert_close(per_example["2.bias"], reference["2.bias"])
    assert_close(per_example["0.weight"], np.swapaxes(as_numpy(reference["0.weight"]), 1, 2))


def test_nested_has_aux_matches_torch():
    torch = torch_or_skip()
    tf = torch.func

    def inner(lib):
        sin = ad.sin if lib == "ad" else torch.sin

        def f(x):
            y = sin(x) * x
            return y.sum(), y
        return f

    def outer(grad, f):
        return lambda x: (lambda g, aux: ((g * aux).sum(), g))(*grad(f, has_aux=True)(x * x))

    assert_close(ad.grad(outer(ad.grad, inner("ad")), has_aux=True)(X3),
                 tf.grad(outer(tf.grad, inner("torch")), has_aux=True)(T(X3)))
    assert_close(
        ad.grad(lambda x: (lambda j, aux: (j.sum(0) * aux).sum())(
            *ad.jacrev(lambda z: (ad.exp(z * x), z.sum() * x), has_aux=True)(x)))(X3),
        tf.grad(lambda x: (lambda j, aux: (j.sum(0) * aux).sum())(
            *tf.jacrev(lambda z: (torch.exp(z * x), z.sum() * x), has_aux=True)(x)))(T(X3)))
    for part in (1, 2):     # the tangent, then the aux, of a jvp inside a vjp
        assert_close(
            ad.vjp(lambda x: ad.jvp(lambda z: (ad.exp(z * x), ad.cos(z) * x), (x,), (x,),
                                    has_aux=True)[part] * 2, X3)[1](np.ones(3)),
            tf.vjp(lambda x: tf.jvp(lambda z: (torch.exp(z * x), torch.cos(z) * x), (x,), (x,),
                                    has_aux=True)[part] * 2, T(X3))[1](T(np.ones(3))))


# ----- in-place updates, detach and no_grad inside nested transforms -----------------

def _doubled_in_place(lib):
    sin = ad.sin if lib == "ad" else torch_or_skip().sin

    def f(x):
        y = x * 1.0
        y.mul_(2)
        y.add_(x * x)
        view = y[0:2]
        view.mul_(3.0)
        view += x[1:]
        return (sin(y) * y).sum()
    return f


def test_in_place_updates_of_intermediates_inside_nested_transforms_match_torch():
    torch = torch_or_skip()
    tf = torch.func
    ours, theirs = _doubled_in_place("ad"), _doubled_in_place("torch")
    assert_close(ad.grad(ours)(X3), tf.grad(theirs)(T(X3)))
    assert_close(ad.hessian(ours)(X3), tf.hessian(theirs)(T(X3)))
    assert_close(ad.jacfwd(ad.grad(ours))(X3), tf.jacfwd(tf.grad(theirs))(T(X3)))
    assert_close(ad.grad(lambda c: ad.grad(lambda x: ours(x * c))(X3).sum())(0.7),
                 tf.grad(lambda c: tf.grad(lambda x: theirs(x * c))(T(X3)).sum())(T(0.7)))
    batch = np.stack([X3, X3[::-1]])
    assert_close(ad.vmap(ad.grad(ours))(batch), tf.vmap(tf.grad(theirs))(T(batch)))


def _overwritten_exp(x):
    """exp's result (which its derivative reuses) overwritten in place; PyTorch refuses
    this ('modified by an inplace operation'), autodiff must still be right."""
    y = ad.exp(x)
    y[1] = x[0] * x[2]
    y[0:2] *= 3
    return y * x


def _overwritten_exp_numpy(x):
    y = np.exp(x)
    y[1] = x[0] * x[2]
    y[0:2] *= 3
    return y * x


def test_setitem_on_an_intermediate_inside_vmap_and_hessian_matches_finite_differences():
    batch = np.stack([X3, X3 * 0.5, -X3])
    expected = np.stack([central_jacobian(_overwritten_exp_numpy, row) for row in batch])
    np.testing.assert_allclose(ad.vmap(ad.jacrev(_overwritten_exp))(batch), expected,
                               rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(ad.vmap(ad.jacfwd(_overwritten_exp))(batch), expected,
                               rtol=1e-7, atol=1e-8)
    hessian = ad.hessian(lambda x: _overwritten_exp(x).sum())(X3)
    np.testing.assert_allclose(
        hessian, central_jacobian(values_of(ad.grad(lambda x: _overwritten_exp(x).sum())), X3),
        rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        ad.grad(lambda m: (ad.vmap(_overwritten_exp)(m) ** 2).sum())(batch),
        central_jacobian(lambda m: (np.stack([_overwritten_exp_numpy(r) for r in m]) ** 2).sum(),
                         batch), rtol=1e-7, atol=1e-7)


def test_setitem_inside_vmap_of_a_value_closing_over_the_outer_variable_matches_torch():
    torch = torch_or_skip()
    tf = torch.func

    def body(c):
        def per_row(r):
            y = r * 1.0
            y[0] = c * r[1]
            return (y * y).sum()
        return per_row

    assert_close(ad.grad(lambda c: ad.vmap(body(c))(ad.tensor(BATCH)).sum())(0.4),
                 tf.grad(lambda c: tf.vmap(body(c))(T(BATCH)).sum())(T(0.4)))


def test_detach_cuts_the_level_of_the_tensor_it_is_called_on_as_in_torch():
    torch = torch_or_skip()
    tf = torch.func
    cases = [
        (lambda x: ad.grad(lambda y: y * x.detach() * y)(x),
         lambda x: tf.grad(lambda y: y * x.detach() * y)(x)),
        (lambda x: ad.grad(lambda y: ad.sin(y).detach() * x * y + y * y * x)(x * 2),
         lambda x: tf.grad(lambda y: torch.sin(y).detach() * x * y + y * y * x)(x * 2)),
        (lambda x: ad.grad(lambda y: ad.grad(lambda z: z * z * y.detach() * x
                                             + z * y * x.detach())(y))(x * x),
         lambda x: tf.grad(lambda y: tf.grad(lambda z: z * z * y.detach() * x
                                             + z * y * x.detach())(y))(x * x)),
        (lambda x: ad.jvp(lambda y: y.detach() * x * y, (x,), (x,))[1],
         lambda x: tf.jvp(lambda y: y.detach() * x * y, (x,), (x,))[1]),
    ]
    for ours, theirs in cases:
        assert_close(ad.grad(ours)(0.9), tf.grad(theirs)(T(0.9)))
    for outer in ("jacfwd", "jacrev"):
        for inner in ("jacfwd", "jacrev"):
            ours = getattr(ad, outer)(lambda x: getattr(ad, inner)(
                lambda y: ad.sin(y).detach() * x * y)(x))
            theirs = getattr(tf, outer)(lambda x: getattr(tf, inner)(
                lambda y: torch.sin(y).detach() * x * y)(x))
            assert_close(ours(X3), theirs(T(X3)), path=f"{outer}({inner})")


def test_no_grad_inside_nested_grads_matches_torch():
    torch = torch_or_skip()
    tf = torch.func

    def inner_no_grad(lib):
        grad, no_grad = (ad.grad, ad.no_grad) if lib == "ad" else (tf.grad, torch.no_grad)

        def f(x):
            def inner(y):
                with no_grad():
                    k = y * x
                return k * y * x
            return grad(inner)(x * 3)
        return f

    def grad_under_no_grad(lib):
        grad, no_grad, enable = ((ad.grad, ad.no_grad, ad.enable_grad) if lib == "ad"
                                 else (tf.grad, torch.no_grad, torch.enable_grad))

        def f(x):
            with no_grad():
                plain = grad(lambda y: y * y * x)(x)
                with enable():
                    recorded = grad(lambda y: y * y * x)(x)
            return plain * x + recorded * x * x
        return f

    for make in (inner_no_grad, grad_under_no_grad):
        assert_close(ad.grad(make("ad"))(1.1), tf.grad(make("torch"))(T(1.1)),
                     path=make.__name__)


# ----- integer and bool intermediates; compile -----------------------------------------

def _with_integer_parts(lib):
    if lib == "ad":
        cumsum, argmax = ad.cumsum, ad.argmax
        as_float, as_int = (lambda t: t.astype(np.float64)), (lambda t: t.astype(np.int64))
    else:
        torch = torch_or_skip()
        cumsum, argmax = (lambda t, axis: torch.cumsum(t, axis)), torch.argmax
        as_float, as_int = (lambda t: t.to(torch.float64)), (lambda t: t.to(torch.int64))

    def f(x):
        positive = x > 0
        return ((x * positive).sum() * x[argmax(x * x)] + (as_int(x * 10) * x).sum()
                + as_float(cumsum(positive, axis=0)) @ x)
    return f


def test_integer_and_bool_intermediates_match_torch_in_every_transform():
    torch = torch_or_skip()
    tf = torch.func
    ours, theirs = _with_integer_parts("ad"), _with_integer_parts("torch")
    assert_close(ad.grad(ours)(X3), tf.grad(theirs)(T(X3)))
    assert_close(ad.hessian(ours)(X3), tf.hessian(theirs)(T(X3)))
    assert_close(ad.jacfwd(ours)(X3), tf.jacfwd(theirs)(T(X3)))
    assert_close(ad.vmap(ad.grad(ours))(BATCH[:, :3]),
                 np.stack([as_numpy(tf.grad(theirs)(T(row))) for row in BATCH[:, :3]]))


@pytest.mark.parametrize("body", ["vmap_of_grad", "hvp", "backward_create_graph"])
def test_compiling_a_step_that_differentiates_twice_is_refused_by_name(body):
    w = ad.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)

    def step(x):
        if body == "vmap_of_grad":
            return ad.vmap(ad.grad(lambda v: (ad.sin(v) * w).sum()))(x)
        if body == "hvp":
            return ad.hvp(lambda v: (ad.sin(v) * w).sum(), x[0], x[1])
        ad.sin(w * x[0]).sum().backward(create_graph=True)
        penalty = (w.grad ** 2).sum()
        w.grad = None
        penalty.backward()
        return penalty

    refusal = ("does not replay function transforms" if body != "backward_create_graph"
               else r"backward\(create_graph=True\).* is not supported in a compiled")
    with pytest.raises(TraceError, match=refusal):
        ad.compile(step)(RNG.standard_normal((2, 3)))


# ----- custom Functions whose backward does not record its use of grad ----------------

class _SineOnData(ad.autograd.Function):
    """sin, with a backward that multiplies grad's raw values (not recorded)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        raw = grad.data if isinstance(grad, ad.Tensor) else grad
        return raw * np.cos(x.data if isinstance(x, ad.Tensor) else x)


def test_forward_mode_through_a_backward_that_does_not_record_grad_is_refused():
    # The derived JVP transposes backward; unrecorded, it gave a zero tangent.
    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(ad.jacrev(_SineOnData.apply)(x), np.diag(np.cos(x)))
    for transform in (lambda: ad.jacfwd(_SineOnData.apply)(x),
                      lambda: ad.jvp(_SineOnData.apply, (x,), (np.ones(2),))):
        with pytest.raises(RuntimeError, match="'_SineOnData'.*without recording it"):
            transform()
    with pytest.raises(RuntimeError, match=r"_SineOnData.backward: .*without recording it"):
        ad.grad(lambda s: ad.grad(lambda v: (_SineOnData.apply(v) * s).sum())(x).sum())(0.5)


def test_a_backward_that_detaches_grad_but_records_the_input_is_refused_in_grad_of_grad():
    # grad.detach() * cos(x) still depends on x, so it requires grad: only following
    # what backward recorded shows that it does not depend on grad (it gave 0 here).
    class DetachedSine(ad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            if not isinstance(grad, ad.Tensor):
                return grad * np.cos(x)
            return grad.detach() * ad.cos(x)

    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(ad.hessian(lambda v: DetachedSine.apply(v).sum())(x),
                               np.diag(-np.sin(x)), rtol=1e-12)     # grad is the seed here
    with pytest.raises(RuntimeError, match=r"DetachedSine.backward: .*without recording it"):
        ad.grad(lambda s: ad.grad(lambda v: (DetachedSine.apply(v) * s).sum())(x).sum())(0.5)


def test_a_custom_gradient_vjp_that_detaches_g_is_refused_in_forward_mode_and_grad_of_grad():
    @ad.custom_gradient
    def sine(x):
        def vjp(g):
            return (g.detach() * ad.cos(x) if isinstance(g, ad.Tensor) else g * np.cos(x),)
        return ad.sin(x), vjp

    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(ad.grad(lambda v: sine(v).sum())(x), np.cos(x), rtol=1e-12)
    with pytest.raises(RuntimeError, match="'sine'.*without recording it"):
        ad.jacfwd(sine)(x)      # (a zero Jacobian before)
    with pytest.raises(RuntimeError, match=r"sine \(its vjp\).*without recording it"):
        ad.grad(lambda s: ad.grad(lambda v: (sine(v) * s).sum())(x).sum())(0.5)


def test_a_custom_gradient_that_records_grad_still_has_forward_mode():
    class Sine(ad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * (ad.cos(x) if isinstance(x, ad.Tensor) else np.cos(x))

    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(ad.jacfwd(Sine.apply)(x), np.diag(np.cos(x)), rtol=1e-12)
    np.testing.assert_allclose(
        ad.grad(lambda s: ad.grad(lambda v: (Sine.apply(v) * s).sum())(x).sum())(0.5),
        np.cos(x).sum(), rtol=1e-12)
    np.testing.assert_allclose(ad.hessian(lambda v: Sine.apply(v).sum())(x),
                               np.diag(-np.sin(x)), rtol=1e-12)


def _scaled_by(x):
    """A Function whose backward scales grad by ``x``, closed over (a gradient
    reversal layer's coefficient, say): its gradient depends on ``x``."""
    class Scale(ad.autograd.Function):
        @staticmethod
        def forward(ctx, y):
            return y * 2.0

        @staticmethod
        def backward(ctx, grad):
            return grad * x
    return Scale


def test_a_function_whose_backward_closes_over_the_outer_variable_is_differentiated():
    # grad(Scale.apply(y).sum()) = x, so the outer function is 3 x**2 (or 3 x for the
    # jacobians); the inner gradient used to be an unrecorded array, losing one x.
    c = np.array([0.3, -0.8, 1.1])

    def outer(x):
        return (ad.grad(lambda y: _scaled_by(x).apply(y).sum())(c) * x).sum()

    np.testing.assert_allclose(ad.grad(outer)(1.3), 6 * 1.3, rtol=1e-12)
    for jacobian in (ad.jacrev, ad.jacfwd):
        np.testing.assert_allclose(
            ad.grad(lambda x: jacobian(lambda y: _scaled_by(x).apply(y))(c).sum())(1.3), 3.0,
            rtol=1e-12)
