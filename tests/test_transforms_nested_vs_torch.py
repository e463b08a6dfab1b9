"""Nested function transforms compared with ``torch.func`` in float64 (and with HIPS
``autograd`` for the classic perturbation-confusion test).

Each case builds the same computation twice, once with autodiff's transforms and
once with the reference's, and the two results (arrays, tuples or dicts of them)
must agree.  The cases compose two or three transforms, close over the outer
transform's variable (perturbation confusion), map with ``vmap`` inside and outside
other transforms, take argnums tuples, dict and tuple arguments and ``has_aux``, and
run over 0-d, size-1 and broadcast shapes.  Ops with special rules, modules and
``backward()`` inside a transform are in ``test_transforms_nested_ops_vs_torch.py``.
"""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")
tf = torch.func

from torch_compare import T, as_numpy, assert_same  # noqa: E402

RNG = np.random.default_rng(20261205)
X3 = RNG.standard_normal(3)
Y3 = RNG.standard_normal(3)
M23 = RNG.standard_normal((2, 3))
B43 = RNG.standard_normal((4, 3))


CASES = {}


def case(function):
    """Register ``function() -> (ours, reference)`` as a comparison case."""
    CASES[function.__name__] = function
    return function


# ----- two and three levels of the same and of different transforms --------------------

def _sin_cube(x, sin):
    return (sin(x) * x ** 3).sum()


@case
def grad_of_grad_0d():
    ours = ad.grad(ad.grad(lambda x: _sin_cube(x, ad.sin)))(0.7)
    ref = tf.grad(tf.grad(lambda x: _sin_cube(x, torch.sin)))(T(0.7))
    return ours, ref


@case
def grad_grad_grad_0d():
    ours = ad.grad(ad.grad(ad.grad(lambda x: _sin_cube(x, ad.sin))))(0.7)
    ref = tf.grad(tf.grad(tf.grad(lambda x: _sin_cube(x, torch.sin))))(T(0.7))
    return ours, ref


@case
def grad_of_summed_grad_vector():
    def ours_f(x):
        return ad.grad(lambda z: (ad.tanh(z) ** 2 * z).sum())(x).sum() * x[0]

    def ref_f(x):
        return tf.grad(lambda z: (torch.tanh(z) ** 2 * z).sum())(x).sum() * x[0]

    return ad.grad(ours_f)(X3), tf.grad(ref_f)(T(X3))


def _vector_f(x, sin, exp):
    return sin(x) * exp(x[[2, 0, 1]]) + x.sum() * x


@case
def jacfwd_of_jacrev():
    return (ad.jacfwd(ad.jacrev(lambda x: _vector_f(x, ad.sin, ad.exp)))(X3),
            tf.jacfwd(tf.jacrev(lambda x: _vector_f(x, torch.sin, torch.exp)))(T(X3)))


@case
def jacrev_of_jacfwd():
    return (ad.jacrev(ad.jacfwd(lambda x: _vector_f(x, ad.sin, ad.exp)))(X3),
            tf.jacrev(tf.jacfwd(lambda x: _vector_f(x, torch.sin, torch.exp)))(T(X3)))


@case
def jacrev_of_jacrev():
    return (ad.jacrev(ad.jacrev(lambda x: _vector_f(x, ad.sin, ad.exp)))(X3),
            tf.jacrev(tf.jacrev(lambda x: _vector_f(x, torch.sin, torch.exp)))(T(X3)))


@case
def jacfwd_of_jacfwd_of_jacrev():
    return (ad.jacfwd(ad.jacfwd(ad.jacrev(lambda x: _vector_f(x, ad.sin, ad.exp))))(X3),
            tf.jacfwd(tf.jacfwd(tf.jacrev(lambda x: _vector_f(x, torch.sin, torch.exp))))(
                T(X3)))


@case
def grad_of_jacfwd():
    def ours_f(x):
        return (ad.jacfwd(lambda z: _vector_f(z, ad.sin, ad.exp))(x) ** 2).sum()

    def ref_f(x):
        return (tf.jacfwd(lambda z: _vector_f(z, torch.sin, torch.exp))(x) ** 2).sum()

    return ad.grad(ours_f)(X3), tf.grad(ref_f)(T(X3))


@case
def jvp_of_grad():
    ours = ad.jvp(ad.grad(lambda x: _sin_cube(x, ad.sin)), (X3,), (Y3,))
    ref = tf.jvp(tf.grad(lambda x: _sin_cube(x, torch.sin)), (T(X3),), (T(Y3),))
    return ours, ref


@case
def grad_of_jvp():
    def ours_f(x):
        return ad.jvp(lambda z: ad.sin(z) * z, (x,), (np.ones(3),))[1].sum()

    def ref_f(x):
        return tf.jvp(lambda z: torch.sin(z) * z, (x,), (torch.ones(3, dtype=x.dtype),))[
            1].sum()

    return ad.grad(ours_f)(X3), tf.grad(ref_f)(T(X3))


@case
def vjp_of_jvp():
    _, pullback = ad.vjp(lambda x: ad.jvp(lambda z: ad.exp(z) * z[0], (x,), (Y3,))[1], X3)
    _, ref_pullback = tf.vjp(
        lambda x: tf.jvp(lambda z: torch.exp(z) * z[0], (x,), (T(Y3),))[1], T(X3))
    return pullback(M23[0] * 0 + X3), ref_pullback(T(X3))


@case
def hvp_forward_over_reverse_and_reverse_over_reverse():
    from autodiff.transforms import hvp_reverse_over_reverse

    f = lambda x: (ad.exp(x) * x[::-1] ** 2).sum()     # noqa: E731
    ref_h = tf.hessian(lambda x: (torch.exp(x) * x.flip(0) ** 2).sum())(T(X3)) @ T(Y3)
    return (ad.hvp(f, X3, Y3), hvp_reverse_over_reverse(f, X3, Y3)), (ref_h, ref_h)


@case
def hessian_two_argnums_blocks():
    ours = ad.hessian(lambda x, y: (ad.sin(x) * y ** 2).sum() * x[0], argnums=(0, 1))(X3, Y3)
    ref = tf.hessian(lambda x, y: (torch.sin(x) * y ** 2).sum() * x[0], argnums=(0, 1))(
        T(X3), T(Y3))
    return ours, ref


# ----- perturbation confusion: the inner transform closes over the outer variable ---

@case
def perturbation_confusion_grad_grad():
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1, not 2
    ours = ad.grad(lambda x: x * ad.grad(lambda y: x + y)(3.0))(2.0)
    ref = tf.grad(lambda x: x * tf.grad(lambda y: x + y)(T(3.0)))(T(2.0))
    return ours, ref


def test_perturbation_confusion_against_hips_autograd():
    hips = pytest.importorskip("autograd")
    for inner, label in ((lambda x: lambda y: x + y, "x + y"),
                                 (lambda x: lambda y: x * y ** 2, "x * y**2")):
        ours = ad.grad(lambda x: x * ad.grad(inner(x))(3.0))(2.0)
        reference = hips.grad(lambda x: x * hips.grad(inner(x))(3.0))(2.0)
        np.testing.assert_allclose(ours, reference, rtol=1e-12, err_msg=label)
    np.testing.assert_allclose(ad.grad(lambda x: x * ad.grad(lambda y: x + y)(3.0))(2.0), 1.0)


@case
def perturbation_confusion_product():
    # d/dx [x * d/dy (x * y)] = d/dx x**2 = 2x
    ours = ad.grad(lambda x: x * ad.grad(lambda y: x * y)(3.0))(2.0)
    ref = tf.grad(lambda x: x * tf.grad(lambda y: x * y)(T(3.0)))(T(2.0))
    return ours, ref


@case
def perturbation_confusion_jvp_in_jvp():
    def ours_f(x):
        return x * ad.jvp(lambda y: x + y, (3.0,), (1.0,))[1]

    def ref_f(x):
        return x * tf.jvp(lambda y: x + y, (T(3.0),), (T(1.0),))[1]

    return ad.jvp(ours_f, (2.0,), (1.0,)), tf.jvp(ref_f, (T(2.0),), (T(1.0),))


@case
def perturbation_confusion_same_point():
    # the inner function is evaluated at the outer variable itself
    ours = ad.grad(lambda x: x * ad.grad(lambda y: x * y ** 2)(x))(1.5)
    ref = tf.grad(lambda x: x * tf.grad(lambda y: x * y ** 2)(x))(T(1.5))
    return ours, ref


@case
def perturbation_confusion_mixed_modes_and_three_levels():
    v = np.array([0.5, -1.0])
    ours = (
        ad.jvp(lambda x: x * ad.grad(lambda y: x * y)(3.0), (2.0,), (1.0,))[1],
        ad.grad(lambda x: x * ad.jvp(lambda y: x * y, (3.0,), (1.0,))[1])(2.0),
        ad.jacfwd(lambda x: x * ad.jacrev(lambda y: x * y ** 2)(x))(X3),
        ad.hvp(lambda x: (x * ad.grad(lambda y: (x * y ** 3).sum())(x)).sum(), X3[:2], v),
        ad.vjp(lambda x: x * ad.grad(lambda y: (x * y).sum())(x), X3)[1](Y3)[0],
        ad.grad(lambda x: ad.grad(lambda y: ad.grad(lambda z: x * y * z * z)(y))(x))(1.5),
        ad.jvp(lambda x: ad.grad(lambda y: ad.jvp(lambda z: x * y * z ** 3, (y,), (x,))[1])(x),
               (1.5,), (1.0,))[1],
        ad.grad(lambda x: ad.vmap(lambda b: ad.grad(lambda y: x * y * b)(b))(Y3).sum())(2.0))
    ref = (
        tf.jvp(lambda x: x * tf.grad(lambda y: x * y)(T(3.0)), (T(2.0),), (T(1.0),))[1],
        tf.grad(lambda x: x * tf.jvp(lambda y: x * y, (T(3.0),), (T(1.0),))[1])(T(2.0)),
        tf.jacfwd(lambda x: x * tf.jacrev(lambda y: x * y ** 2)(x))(T(X3)),
        tf.hessian(lambda x: (x * tf.grad(lambda y: (x * y ** 3).sum())(x)).sum())(
            T(X3[:2])) @ T(v),
        tf.vjp(lambda x: x * tf.grad(lambda y: (x * y).sum())(x), T(X3))[1](T(Y3))[0],
        tf.grad(lambda x: tf.grad(lambda y: tf.grad(lambda z: x * y * z * z)(y))(x))(T(1.5)),
        tf.jvp(lambda x: tf.grad(lambda y: tf.jvp(lambda z: x * y * z ** 3, (y,), (x,))[1])(x),
               (T(1.5),), (T(1.0),))[1],
        tf.grad(lambda x: tf.vmap(lambda b: tf.grad(lambda y: x * y * b)(b))(T(Y3)).sum())(
            T(2.0)))
    return ours, ref


@case
def two_inner_grads_share_the_closed_over_variable():
    def ours_f(x):
        a = ad.grad(lambda y: (x * y).sum() ** 2)(Y3)
        b = ad.grad(lambda z: (ad.sin(x) * z ** 3).sum())(a)
        return (a * b).sum()

    def ref_f(x):
        a = tf.grad(lambda y: (x * y).sum() ** 2)(T(Y3))
        b = tf.grad(lambda z: (torch.sin(x) * z ** 3).sum())(a)
        return (a * b).sum()

    return ad.grad(ours_f)(X3), tf.grad(ref_f)(T(X3))


@case
def vmap_inside_grad_closing_over_the_variable():
    def ours_f(w):
        return ad.vmap(lambda b: (ad.sin(w * b) * b).sum())(B43).sum()

    def ref_f(w):
        return tf.vmap(lambda b: (torch.sin(w * b) * b).sum())(T(B43)).sum()

    return ad.grad(ours_f)(X3), tf.grad(ref_f)(T(X3))


@case
def vmap_of_grad_in_dims_none_0():
    loss = lambda w, x: ad.tanh(x @ w) ** 2      # noqa: E731
    ref_loss = lambda w, x: torch.tanh(x @ w) ** 2      # noqa: E731
    return (ad.vmap(ad.grad(loss), in_dims=(None, 0))(X3, B43),
            tf.vmap(tf.grad(ref_loss), in_dims=(None, 0))(T(X3), T(B43)))


@case
def vmap_of_grad_batch_on_axis_1_out_dims_1():
    loss = lambda w, x: (ad.sin(w) * x).sum()      # noqa: E731
    ref_loss = lambda w, x: (torch.sin(w) * x).sum()      # noqa: E731
    return (ad.vmap(ad.grad(loss, argnums=(0, 1)), in_dims=(None, 1), out_dims=1)(X3, B43.T),
            tf.vmap(tf.grad(ref_loss, argnums=(0, 1)), in_dims=(None, 1), out_dims=1)(
                T(X3), T(B43.T)))


@case
def vmap_of_jacrev():
    return (ad.vmap(ad.jacrev(lambda x: _vector_f(x, ad.sin, ad.exp)))(B43),
            tf.vmap(tf.jacrev(lambda x: _vector_f(x, torch.sin, torch.exp)))(T(B43)))


@case
def vmap_of_hessian():
    return (ad.vmap(ad.hessian(lambda x: _sin_cube(x, ad.sin)))(B43),
            tf.vmap(tf.hessian(lambda x: _sin_cube(x, torch.sin)))(T(B43)))


@case
def vmap_of_vmap_of_grad():
    f = ad.vmap(ad.vmap(ad.grad(lambda a, b: ad.sin(a * b)), in_dims=(0, None)),
                in_dims=(None, 0))
    ref = tf.vmap(tf.vmap(tf.grad(lambda a, b: torch.sin(a * b)), in_dims=(0, None)),
                  in_dims=(None, 0))
    return f(X3, Y3[:2]), ref(T(X3), T(Y3[:2]))


@case
def grad_of_vmapped_grad():
    def ours_f(w):
        return ad.vmap(ad.grad(lambda w, x: ad.tanh(x @ w) ** 2), in_dims=(None, 0))(
            w, B43).sum()

    def ref_f(w):
        return tf.vmap(tf.grad(lambda w, x: torch.tanh(x @ w) ** 2), in_dims=(None, 0))(
            w, T(B43)).sum()

    return ad.grad(ours_f)(X3), tf.grad(ref_f)(T(X3))


# ----- argnums, containers -----------------------------------------------------------

@case
def grad_argnums_tuple_and_negative():
    f = lambda a, b, c: (a * ad.exp(b) * c).sum()       # noqa: E731
    g = lambda a, b, c: (a * torch.exp(b) * c).sum()       # noqa: E731
    return (ad.grad(f, argnums=(2, 0))(X3, Y3, 2.0 * X3),
            tf.grad(g, argnums=(2, 0))(T(X3), T(Y3), T(2.0 * X3)))


@case
def grad_of_dict_and_tuple_arguments():
    def ours_f(p, xs):
        return (ad.tanh(xs[0] @ p["w"] + p["b"]) * xs[1]).sum()

    def ref_f(p, xs):
        return (torch.tanh(xs[0] @ p["w"] + p["b"]) * xs[1]).sum()

    p = {"w": M23, "b": Y3}
    xs = (B43[:2, :2], B43[2:])
    ours = ad.grad(ours_f, argnums=(0, 1))(p, xs)
    ref = tf.grad(ref_f, argnums=(0, 1))({k: T(v) for k, v in p.items()},
                                        tuple(T(v) for v in xs))
    return ours, ref


@case
def hessian_of_dict_argument_through_grad():
    def ours_f(p):
        return ad.grad(lambda q: (q["a"] ** 3 * ad.sin(q["b"])).sum())(p)["a"].sum()

    def ref_f(p):
        return tf.grad(lambda q: (q["a"] ** 3 * torch.sin(q["b"])).sum())(p)["a"].sum()

    p = {"a": X3, "b": Y3}
    return ad.grad(ours_f)(p), tf.grad(ref_f)({k: T(v) for k, v in p.items()})


@case
def vmap_over_a_dict_with_in_dims_per_leaf():
    def ours_f(p, x):
        return ad.grad(lambda a: (ad.sin(a * p["b"]) * x).sum())(p["a"])

    def ref_f(p, x):
        return tf.grad(lambda a: (torch.sin(a * p["b"]) * x).sum())(p["a"])

    p = {"a": B43, "b": Y3}
    in_dims = ({"a": 0, "b": None}, 1)
    return (ad.vmap(ours_f, in_dims=in_dims)(p, M23.T[:, [0, 1, 0, 1]]),
            tf.vmap(ref_f, in_dims=in_dims)({k: T(v) for k, v in p.items()},
                                            T(M23.T[:, [0, 1, 0, 1]])))


@case
def grad_through_vmap_over_a_tuple_argument():
    def ours_f(w):
        return ad.vmap(lambda ab: (ab[0] * ad.exp(ab[1] * w)).sum())((B43, B43[[3, 2, 1, 0]])).sum()

    def ref_f(w):
        return tf.vmap(lambda ab: (ab[0] * torch.exp(ab[1] * w)).sum())(
            (T(B43), T(B43[[3, 2, 1, 0]]))).sum()

    return ad.grad(ours_f)(X3), tf.grad(ref_f)(T(X3))


def _with_aux(x, sin):
    y = sin(x) * x
    return (y ** 2).sum(), {"y": y, "first": x[0] * 2}


def _vector_with_aux(x, sin):
    return sin(x) * x[0], (x.sum(), x * 3)


@case
def has_aux_in_every_transform():
    ours = (ad.grad(lambda x: _with_aux(x, ad.sin), has_aux=True)(X3),
            ad.func.grad_and_value(lambda x: _with_aux(x, ad.sin), has_aux=True)(X3),
            ad.jacrev(lambda x: _vector_with_aux(x, ad.sin), has_aux=True)(X3),
            ad.jacfwd(lambda x: _vector_with_aux(x, ad.sin), has_aux=True)(X3),
            ad.jvp(lambda x: _vector_with_aux(x, ad.sin), (X3,), (Y3,), has_aux=True))
    out, pullback, aux = ad.vjp(lambda x: _vector_with_aux(x, ad.sin), X3, has_aux=True)
    ref_f, ref_vector = (lambda x: _with_aux(x, torch.sin)), (
        lambda x: _vector_with_aux(x, torch.sin))
    ref = (tf.grad(ref_f, has_aux=True)(T(X3)), tf.grad_and_value(ref_f, has_aux=True)(T(X3)),
           tf.jacrev(ref_vector, has_aux=True)(T(X3)),
           tf.jacfwd(ref_vector, has_aux=True)(T(X3)),
           tf.jvp(ref_vector, (T(X3),), (T(Y3),), has_aux=True))
    ref_out, ref_pullback, ref_aux = tf.vjp(ref_vector, T(X3), has_aux=True)
    return ((*ours, (out, pullback(Y3), aux)),
            (*ref, (ref_out, ref_pullback(T(Y3)), ref_aux)))


@case
def has_aux_nested_aux_carries_the_outer_derivative():
    # the inner aux depends on the outer variable: it must stay differentiable
    def ours_g(x):
        gradient, aux = ad.grad(lambda y: (((x * y) ** 2).sum(), ad.sin(x * y).sum()),
                                has_aux=True)(Y3)
        return (gradient * aux).sum()

    def ref_g(x):
        gradient, aux = tf.grad(lambda y: (((x * y) ** 2).sum(), torch.sin(x * y).sum()),
                                has_aux=True)(T(Y3))
        return (gradient * aux).sum()

    return ad.grad(ours_g)(X3), tf.grad(ref_g)(T(X3))


@case
def jacobians_of_dict_and_tuple_arguments():
    def ours_f(p, xs):
        return ad.tanh(xs[0] @ p["w"] + p["b"]) * xs[1][0]

    def ref_f(p, xs):
        return torch.tanh(xs[0] @ p["w"] + p["b"]) * xs[1][0]

    p, xs = {"w": M23, "b": Y3}, (B43[:2, :2], B43[2:])
    tp, txs = {k: T(v) for k, v in p.items()}, tuple(T(v) for v in xs)
    return ((ad.jacrev(ours_f, argnums=(0, 1))(p, xs), ad.jacfwd(ours_f)(p, xs),
             ad.jacfwd(ours_f, argnums=1, vectorized=False)(p, xs)),
            (tf.jacrev(ref_f, argnums=(0, 1))(tp, txs), tf.jacfwd(ref_f)(tp, txs),
             tf.jacfwd(ref_f, argnums=1)(tp, txs)))


@case
def vjp_and_jvp_of_dict_and_tuple_primals():
    def ours_f(p, xs):
        return ad.tanh(xs[0] @ p["w"] + p["b"]) * xs[1][0]

    def ref_f(p, xs):
        return torch.tanh(xs[0] @ p["w"] + p["b"]) * xs[1][0]

    p, xs = {"w": M23, "b": Y3}, (B43[:2, :2], B43[2:])
    tp, txs = {k: T(v) for k, v in p.items()}, tuple(T(v) for v in xs)
    dp, dxs = {"w": M23[::-1].copy(), "b": X3}, (B43[2:, :2], B43[:2])
    cotangent = RNG.standard_normal((2, 3))
    out, pullback = ad.vjp(ours_f, p, xs)
    ref_out, ref_pullback = tf.vjp(ref_f, tp, txs)
    return ((out, pullback(cotangent), ad.jvp(ours_f, (p, xs), (dp, dxs))),
            (ref_out, ref_pullback(T(cotangent)),
             tf.jvp(ref_f, (tp, txs), ({k: T(v) for k, v in dp.items()},
                                       tuple(T(v) for v in dxs)))))


# ----- shapes ------------------------------------------------------------------------

@case
def size_one_dims_and_broadcasting():
    a = RNG.standard_normal((1, 3))
    b = RNG.standard_normal((2, 1))

    def ours_f(a, b):
        return ad.exp(a * b) / (1 + b ** 2)

    def ref_f(a, b):
        return torch.exp(a * b) / (1 + b ** 2)

    return ((ad.jacfwd(ours_f, argnums=(0, 1))(a, b), ad.jacrev(ours_f, argnums=(0, 1))(a, b)),
            (tf.jacfwd(ref_f, argnums=(0, 1))(T(a), T(b)),
             tf.jacrev(ref_f, argnums=(0, 1))(T(a), T(b))))


@case
def zero_d_hessian_and_jacobians():
    f = lambda x: ad.exp(x) * ad.sin(x)     # noqa: E731
    g = lambda x: torch.exp(x) * torch.sin(x)     # noqa: E731
    return ((ad.hessian(f)(0.3), ad.jacfwd(f)(0.3), ad.jacrev(ad.jacfwd(f))(0.3)),
            (tf.hessian(g)(T(0.3)), tf.jacfwd(g)(T(0.3)), tf.jacrev(tf.jacfwd(g))(T(0.3))))


@case
def vmap_in_dims_negative_and_size_one_batch():
    f = lambda x, y: ad.jacrev(lambda z: z * y.sum())(x)     # noqa: E731
    g = lambda x, y: tf.jacrev(lambda z: z * y.sum())(x)     # noqa: E731
    x = RNG.standard_normal((2, 1))
    y = RNG.standard_normal((1, 3))
    return (ad.vmap(f, in_dims=(-1, 0))(x, y), tf.vmap(g, in_dims=(-1, 0))(T(x), T(y)))


# ----- third and fourth order, transforms of vmap, derivatives through pullbacks -----

def _sin_times_sum(x, sin):
    return sin(x) * x.sum()


def _exp_times_prod(x, exp):
    return (exp(x) * x.prod()).sum()


@case
def vmap_of_jacfwd_and_jacobians_of_vmap():
    ours = (ad.vmap(ad.jacfwd(lambda x: _sin_times_sum(x, ad.sin)))(B43),
            ad.jacfwd(ad.vmap(lambda x: _sin_times_sum(x, ad.sin)))(B43),
            ad.jacrev(ad.vmap(lambda x: _sin_times_sum(x, ad.sin)))(B43))
    ref = (tf.vmap(tf.jacfwd(lambda x: _sin_times_sum(x, torch.sin)))(T(B43)),
           tf.jacfwd(tf.vmap(lambda x: _sin_times_sum(x, torch.sin)))(T(B43)),
           tf.jacrev(tf.vmap(lambda x: _sin_times_sum(x, torch.sin)))(T(B43)))
    return ours, ref


@case
def jvp_of_jacrev_and_third_order():
    ours = (ad.jvp(ad.jacrev(lambda x: _sin_times_sum(x, ad.sin)), (X3,), (Y3,)),
            ad.jacfwd(ad.hessian(lambda x: _exp_times_prod(x, ad.exp)))(X3),
            ad.jacrev(ad.hessian(lambda x: _exp_times_prod(x, ad.exp)))(X3))
    ref = (tf.jvp(tf.jacrev(lambda x: _sin_times_sum(x, torch.sin)), (T(X3),), (T(Y3),)),
           tf.jacfwd(tf.hessian(lambda x: _exp_times_prod(x, torch.exp)))(T(X3)),
           tf.jacrev(tf.hessian(lambda x: _exp_times_prod(x, torch.exp)))(T(X3)))
    return ours, ref


@case
def hessian_of_a_summed_hessian_fourth_order():
    return (ad.hessian(lambda z: ad.hessian(lambda x: _exp_times_prod(x, ad.exp))(z).sum())(X3),
            tf.hessian(lambda z: tf.hessian(lambda x: _exp_times_prod(x, torch.exp))(z).sum())(
                T(X3)))


@case
def grad_through_a_vjp_pullback_and_a_jvp_tangent_that_depend_on_x():
    ours = (ad.grad(lambda x: ad.vjp(lambda z: ad.sin(z) * x, Y3)[1](x)[0].sum())(X3),
            ad.grad(lambda x: ad.jvp(lambda z: ad.exp(z) * z, (Y3,), (x * x,))[1].sum())(X3))
    ref = (tf.grad(lambda x: tf.vjp(lambda z: torch.sin(z) * x, T(Y3))[1](x)[0].sum())(T(X3)),
           tf.grad(lambda x: tf.jvp(lambda z: torch.exp(z) * z, (T(Y3),), (x * x,))[1].sum())(
               T(X3)))
    return ours, ref


@case
def vmap_of_jacrev_with_out_dims_tuple():
    def ours_f(x):
        return ad.jacrev(lambda z: _sin_times_sum(z, ad.sin))(x), _sin_times_sum(x, ad.sin)

    def ref_f(x):
        return tf.jacrev(lambda z: _sin_times_sum(z, torch.sin))(x), _sin_times_sum(x, torch.sin)

    return (ad.vmap(ours_f, out_dims=(2, 1))(B43), tf.vmap(ref_f, out_dims=(2, 1))(T(B43)))


@case
def grad_of_vmap_of_hessian_closing_over_the_variable():
    def ours_f(w):
        return ad.vmap(lambda x: ad.hessian(lambda v: ad.tanh(v @ x * w[0]) ** 2)(w))(
            B43).sum()

    def ref_f(w):
        return tf.vmap(lambda x: tf.hessian(lambda v: torch.tanh(v @ x * w[0]) ** 2)(w))(
            T(B43)).sum()

    return ad.grad(ours_f)(X3), tf.grad(ref_f)(T(X3))


@case
def tracked_tensor_at_two_argnums_then_backward():
    w = ad.tensor(X3, requires_grad=True)
    a, b = ad.grad(lambda a, b: (a * b * b).sum(), argnums=(0, 1))(w, w)
    (a * b).sum().backward()
    wt = T(X3).requires_grad_()
    at, bt = tf.grad(lambda a, b: (a * b * b).sum(), argnums=(0, 1))(wt, wt)
    (at * bt).sum().backward()
    return w.grad, wt.grad


# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CASES))
def test_nested_transform_matches_torch_func(name):
    ours, reference = CASES[name]()
    assert_same(as_numpy(ours), as_numpy(reference))
